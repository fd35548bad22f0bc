"""The state of one CRM org: its OAuth client, data, limits, credits, notifications (`CrmOrgs` in
`orgs.py` holds the orgs of one sandbox app; the default org's calls and faults serve the whole app)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..accounts import DEFAULT_ACCOUNTS_KEY, GrantSigner
from ..common import CallCounter, Faults
from .clock import WriteClock, system_clock
from .limits import Credits, CrmLimits, Gate
from .notifications import Notifier
from .oauth import OAuthServer
from .org import OrgConfig
from .reads import PageTokens
from .seed import SeedBody, build


class CrmSettings(BaseModel):
    """How `create_app` builds the sandbox; `clock` is injectable for tests."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    clock: Callable[[], datetime] = system_clock
    limits: CrmLimits = Field(default_factory=CrmLimits)
    preset: Literal["demo"] | None = None
    oauth_seed: int = 8081
    accounts_key: str = DEFAULT_ACCOUNTS_KEY  # shared with the inventory sandbox: consent tokens work at both


class CrmSandbox:
    def __init__(self, settings: CrmSettings) -> None:
        self.settings = settings
        self.clock = settings.clock
        self.counter = CallCounter()
        self.faults = Faults(clock=lambda: self.clock().timestamp())
        self.credits = Credits(self.clock, lambda: timedelta(seconds=self.limits.credits_window_seconds))
        self.gate = Gate(self.credits, lambda header: self.oauth.principal(header), self.budget)
        self.notifier = Notifier(self.clock)
        self.reset()

    def reset(self) -> None:
        """Empty org (standard metadata, no records), fresh OAuth grants, default limits."""
        self.write_clock = WriteClock(self.clock)
        self.limits = self.settings.limits.model_copy()
        self.oauth = OAuthServer(
            self.clock, self.settings.oauth_seed, GrantSigner(self.settings.accounts_key)
        )
        self.page_tokens = PageTokens()
        self.credits.spent.clear()
        self.notifier.reset()
        self.data, _ = build(SeedBody(), self.write_clock.tick())
        if self.settings.preset:
            self.seed(SeedBody(preset=self.settings.preset))

    def seed(self, body: SeedBody) -> dict[str, Any]:
        """Replace the org's data; OAuth grants, channels and limits stay, except those `body.limits` sets."""
        limits = CrmLimits.model_validate(self.limits.model_dump() | body.limits)
        self.data, ids = build(body, self.write_clock.tick())
        self.limits = limits
        self.page_tokens = PageTokens()
        return {
            "org_id": self.data.org.id,
            "client_id": self.oauth.client_id,
            "client_secret": self.oauth.client_secret,
            "refresh_token": self.oauth.seeded_refresh_token,
            "ids": ids,
            "limits": self.describe_limits(),
        }

    def budget(self) -> tuple[int, int]:
        org = self.data.org
        per_day = self.limits.credits_per_day
        concurrency = self.limits.concurrency
        return (
            org.default_credits() if per_day is None else per_day,
            org.default_concurrency() if concurrency is None else concurrency,
        )

    def credits_remaining(self) -> tuple[int, int]:
        per_day, _ = self.budget()
        return max(0, per_day - self.credits.used()), per_day

    def charge_records(self, count: int) -> None:
        """Writes cost one credit per 10 records; the call's first credit is charged at admission."""
        self.credits.charge(math.ceil(count / 10) - 1)

    def set_limits(self, body: dict[str, Any]) -> dict[str, Any]:
        """Change the limits (and, with `edition`, the org's edition, whose defaults they follow)."""
        changes = dict(body)
        edition = changes.pop("edition", None)
        org = (
            self.data.org
            if edition is None
            else OrgConfig.model_validate(self.data.org.model_dump() | {"edition": edition})
        )
        self.limits = CrmLimits.model_validate(self.limits.model_dump() | changes)
        self.data.org = org
        return self.describe_limits()

    def describe_limits(self) -> dict[str, Any]:
        per_day, concurrency = self.budget()
        return self.limits.model_dump() | {
            "credits_per_day": per_day,
            "concurrency": concurrency,
            "credits_used": self.credits.used(),
            "edition": self.data.org.edition,
            "refused": dict(self.gate.refused),
        }
