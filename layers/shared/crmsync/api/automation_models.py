"""Bodies of the automation, activity, deal (W3) and CRM-side (T1, T2) routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from crmsync.contracts.crm_side import CrmId
from crmsync.contracts.strict import Strict
from crmsync.domain.automation import NUMBER_KEYS, TYPE_OF_KIND, DealLink
from crmsync.domain.journal import ActivityEntry
from crmsync.domain.models import SharedOrgInfo
from crmsync.ports.inventory import InventoryRecord


# ------------------------------------------------------------------ activity (A4)
class ActivityOut(BaseModel):
    entry_id: str
    at: datetime
    kind: str
    result: str
    reason: str | None = None
    details: dict[str, Any] = {}

    @classmethod
    def of(cls, entry: ActivityEntry) -> ActivityOut:
        return cls(
            entry_id=entry.entry_id,
            at=entry.at,
            kind=entry.kind,
            result=entry.result,
            reason=entry.reason,
            details=entry.details,
        )


class ActivityList(BaseModel):
    entries: list[ActivityOut]
    next_cursor: str | None = None


# ------------------------------------------------------------------ deals (W3)
class DealOut(BaseModel):
    deal_id: str
    deal_name: str | None = None
    stage: str | None = None
    amount: float | None = None
    closing_date: str | None = None
    account_id: str | None = None
    account_name: str | None = None
    contact_id: str | None = None
    contact_name: str | None = None
    owner: str | None = None


class DealList(BaseModel):
    deals: list[DealOut]


class DealLinkIn(Strict):
    deal_id: CrmId


class DealLinkOut(BaseModel):
    type: str
    transaction_id: str
    deal_id: str
    deal_name: str | None = None
    trigger_made: bool
    linked_at: datetime

    @classmethod
    def of(cls, link: DealLink) -> DealLinkOut:
        return cls(
            type=TYPE_OF_KIND[link.transaction_kind],
            transaction_id=link.transaction_id,
            deal_id=link.deal_id,
            deal_name=link.deal_name,
            trigger_made=link.trigger_made,
            linked_at=link.linked_at,
        )


class TransactionOut(BaseModel):
    """An inventory transaction as a CRM user sees it in the finance section."""

    type: str
    transaction_id: str
    number: str | None = None
    status: str | None = None
    date: str | None = None
    customer_name: str | None = None
    vendor_name: str | None = None
    reference_number: str | None = None
    total: float | None = None
    balance: float | None = None
    currency_code: str | None = None
    custom_fields: list[dict[str, Any]] = []

    @classmethod
    def of(cls, kind: str, record: InventoryRecord) -> TransactionOut:
        values = record.values
        number = values.get(NUMBER_KEYS.get(kind, ""))
        return cls(
            type=TYPE_OF_KIND[kind],
            transaction_id=record.id,
            number=number,
            status=values.get("status"),
            date=values.get("date"),
            customer_name=values.get("customer_name"),
            vendor_name=values.get("vendor_name"),
            reference_number=values.get("reference_number") or None,
            total=values.get("total"),
            balance=values.get("balance"),
            currency_code=values.get("currency_code"),
            custom_fields=[
                {"api_name": f.get("api_name"), "label": f.get("label"), "value": f.get("value")}
                for f in values.get("custom_fields") or []
                if isinstance(f, dict)
            ],
        )


class TransactionList(BaseModel):
    transactions: list[TransactionOut]


class OrganizationOut(BaseModel):
    """The inventory organization's shared information (L1), as the CRM side sees it."""

    name: str
    email: str | None = None
    country: str | None = None
    users: list[dict[str, str | None]] = []

    @classmethod
    def of(cls, info: SharedOrgInfo) -> OrganizationOut:
        return cls(
            name=info.name, email=info.email, country=info.country, users=[u.model_dump() for u in info.users]
        )
