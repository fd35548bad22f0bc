"""Several CRM orgs in one sandbox, side by side, as the vendor hosts many customers.

Each org is a `CrmSandbox`: its own OAuth client and refresh token, data, credits, concurrency,
limits, page tokens and notification channels. The first org is the *default*: `POST /_sandbox/seed`
replaces its data and the control routes act on it unless they name another org. `POST /_sandbox/orgs`
adds an org. An API call reaches the org its access token was issued for; the token endpoint and
the consent page reach the org of the `client_id` (a client no org owns, i.e. a consent token from
the inventory sandbox, goes to the default org, as it did when the CRM had one org).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Scope

from ..accounts import Client
from .limits import API_PREFIX, ORG
from .org import OrgConfig
from .sandbox import CrmSandbox, CrmSettings
from .seed import SeedBody


class UnknownOrg(Exception):
    """An org id no org of this sandbox has (the control routes answer 404)."""


class CrmOrgs:
    def __init__(self, settings: CrmSettings) -> None:
        self.settings = settings
        self.default = CrmSandbox(settings)
        self.extra: dict[str, CrmSandbox] = {}
        self.shared_limits: dict[
            str, Any
        ] = {}  # `PUT /_sandbox/limits` without org: every org, later ones too

    def all(self) -> list[CrmSandbox]:
        return [self.default, *self.extra.values()]

    def get(self, org_id: str | None) -> CrmSandbox:
        """The org with this id; the default org when `org_id` is None."""
        if org_id is None:
            return self.default
        found = next((org for org in self.all() if org.data.org.id == org_id), None)
        if found is None:
            raise UnknownOrg(f"unknown org_id {org_id}")
        return found

    def reset(self) -> None:
        """Back to the default org alone, reset; shared limit changes are forgotten."""
        self.extra.clear()
        self.shared_limits = {}
        self.default.reset()

    def reseed(self, org_id: str | None, body: SeedBody) -> dict[str, Any]:
        """Replace the data of one org (the default when `org_id` is None); an added org keeps its id
        unless the body names another free one."""
        org = self.get(org_id)
        wanted = body.org.get("id")
        if wanted is not None and str(wanted) != org.data.org.id and self._taken(str(wanted)):
            raise ValueError(f"org id {wanted} is already used")
        if org is not self.default and wanted is None:
            body = body.model_copy(update={"org": body.org | {"id": org.data.org.id}})
        return org.seed(body)

    def _taken(self, org_id: str) -> bool:
        return any(org.data.org.id == org_id for org in self.all())

    def add(self, body: SeedBody) -> dict[str, Any]:
        """A new org seeded with `body` (its `org.id` must be free; without one the next free id)."""
        taken = {org.data.org.id for org in self.all()}
        wanted = body.org.get("id")
        if wanted is not None and str(wanted) in taken:
            raise ValueError(f"org id {wanted} is already used")
        number = len(self.extra) + 1
        org_id = str(wanted) if wanted is not None else self._free_id(taken)
        settings = self.settings.model_copy(
            update={"preset": None, "oauth_seed": self.settings.oauth_seed * 1000 + number}
        )
        org = CrmSandbox(settings)
        if self.shared_limits:
            org.set_limits(self.shared_limits)
        reply = org.seed(body.model_copy(update={"org": body.org | {"id": org_id}}))
        self.extra[org_id] = org
        return reply

    @staticmethod
    def _free_id(taken: set[str]) -> str:
        candidate = int(OrgConfig().id)
        while str(candidate) in taken:
            candidate += 1
        return str(candidate)

    def set_shared_limits(self, body: dict[str, Any]) -> dict[str, Any]:
        """Every org's limits (validated against the default org first, so a bad body changes nothing)."""
        described = self.default.set_limits(body)
        for org in self.extra.values():
            org.set_limits(body)
        self.shared_limits |= body
        return described

    def for_client(self, client_id: str) -> CrmSandbox:
        return next((org for org in self.all() if org.oauth.client_id == client_id), self.default)

    def find_client(self, client_id: str) -> Client | None:
        return self.for_client(client_id).oauth.find_client(client_id)

    def revoke(self, token: str) -> None:
        for org in self.all():
            org.oauth.revoke(token)

    def caller(self, authorization: str | None) -> CrmSandbox:
        """The org whose access token the header carries; the default org when none has it."""
        return next((org for org in self.all() if org.oauth.principal(authorization)), self.default)

    def of(self, scope: Scope) -> CrmSandbox:
        return scope.get(ORG) or self.default

    @asynccontextmanager
    async def admit(self, scope: Scope) -> AsyncIterator[Response | None]:
        """The caller's org's gate (credits, concurrency) for an API call; sets the org on the scope."""
        org = self.default
        if scope["path"].startswith(API_PREFIX):
            org = self.caller(Headers(scope=scope).get("authorization"))
            scope[ORG] = org
        async with org.gate.admit(scope) as refusal:
            yield refusal

    async def drain(self) -> None:
        for org in self.all():
            await org.notifier.drain()

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "org_id": org.data.org.id,
                "company_name": org.data.org.company_name,
                "edition": org.data.org.edition,
                "client_id": org.oauth.client_id,
                "limits": org.describe_limits(),
            }
            for org in self.all()
        ]
