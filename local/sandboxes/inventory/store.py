"""In-memory state: organizations with their records, OAuth grants, limits and counters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from ..accounts import GrantSigner
from ..common import CallCounter, Faults
from .customfields import CustomFieldDefinition
from .errors import Code, InventoryApiError, invalid_value
from .limits import Budget, Limits, OrgLimits, RateLimiter, budget
from .oauth import Grant, OAuthRegistry
from .settings import InventorySandboxSettings
from .wire import IdSequence, now_utc

Record = dict[str, Any]


@dataclass
class OrgData:
    """One organization. Records are wire-shaped dicts; datetimes are rendered on the way out."""

    organization: Record
    tz: tzinfo
    users: list[Record]
    currencies: list[Record]
    customfields: dict[str, list[CustomFieldDefinition]]
    contacts: dict[str, Record] = field(default_factory=dict)
    person_owner: dict[str, str] = field(default_factory=dict)  # contact_person_id -> contact_id
    items: dict[str, Record] = field(default_factory=dict)
    sku_index: dict[str, str] = field(default_factory=dict)  # normalized sku -> item_id
    transactions: dict[str, dict[str, Record]] = field(default_factory=dict)  # kind path -> id -> record
    numbers: Counter[str] = field(default_factory=Counter)  # last auto number per kind
    payments: dict[str, Record] = field(default_factory=dict)
    transactions_by_contact: Counter[str] = field(default_factory=Counter)
    limits: OrgLimits = field(default_factory=OrgLimits)  # its own; unset keys follow the sandbox's

    @property
    def organization_id(self) -> str:
        return self.organization["organization_id"]

    def kind_records(self, kind: str) -> dict[str, Record]:
        return self.transactions.setdefault(kind, {})

    def base_currency(self) -> Record:
        return next(c for c in self.currencies if c["is_base_currency"])


class SandboxState:
    """Everything one sandbox app holds (`app.state.sandbox`); `reset` returns it to empty."""

    def __init__(self, settings: InventorySandboxSettings) -> None:
        self.settings = settings
        self.counter = CallCounter()
        self.faults = Faults(clock=settings.clock)
        self.reset()

    def reset(self) -> None:
        self.limits: Limits = self.settings.limits.model_copy()
        self.ids = IdSequence()
        self.org_ids = IdSequence(start=60_023_000_000)
        self.orgs: dict[str, OrgData] = {}
        self.oauth = OAuthRegistry(GrantSigner(self.settings.accounts_key))
        self.limiter = RateLimiter()

    def epoch(self) -> float:
        return self.settings.clock()

    def now(self) -> datetime:
        return now_utc(self.epoch())

    def set_limits(self, changes: dict[str, Any]) -> dict[str, Any]:
        self.limits = Limits.model_validate(self.limits.model_dump() | changes)
        return self.limits.model_dump()

    def budget(self, org: OrgData) -> Budget:
        """The limits in force for `org`: its own, else the sandbox-wide ones, else its plan's cap."""
        return budget(self.limits, org.limits, org.organization["plan_name"])

    def set_org_limits(self, org: OrgData, changes: dict[str, Any]) -> dict[str, Any]:
        """Change `org`'s own limits (a key set to None follows the sandbox's again) and, with
        `plan_name`, its plan; returns `describe_limits`."""
        plan = changes.pop("plan_name", None)
        org.limits = OrgLimits.model_validate(org.limits.model_dump() | changes)
        if plan is not None:
            org.organization["plan_name"] = plan.upper()
        return self.describe_limits(org)

    def describe_limits(self, org: OrgData) -> dict[str, Any]:
        in_force = self.budget(org)
        used = self.limiter.used_today(org.organization_id, self.epoch(), org.tz)
        return {
            "organization_id": org.organization_id,
            "plan_name": org.organization["plan_name"],
            "own": org.limits.model_dump(),
            "per_minute": in_force.per_minute,
            "window_seconds": in_force.window_seconds,
            "per_day": in_force.per_day,
            "used_today": used,
            "remaining_today": max(0, in_force.per_day - used),
            **self.limiter.observed(org.organization_id),
        }

    def org_for(self, raw: str | None, grant: Grant) -> OrgData:
        """The organization named by `organization_id`, if the caller's grant reaches it."""
        if raw is None or not raw.strip():
            raise invalid_value("organization_id")
        org_id = raw.strip()
        if org_id not in self.orgs or not grant.reaches(org_id):
            raise InventoryApiError(
                Code.ORGANIZATION_NOT_ASSOCIATED,
                f"This user is not associated with the CompanyID/CompanyName:{org_id}.",
            )
        return self.orgs[org_id]
