"""Which records a module syncs under its preferences (M1, M3, M9).

Customers by source: `accounts` syncs Accounts with business customers; `contacts` syncs Contacts
with individual customers; `accounts_and_contacts` syncs Accounts with business customers and
their Contacts with those customers' contact persons, and contacts of no account with individual
customers only when `include_unassociated_contacts` is on. The same rule holds in both directions,
so in two-way mode a business customer goes to CRM Accounts and an individual one to CRM Contacts
exactly when the source keeps that CRM module in step.
"""

from __future__ import annotations

from crmsync.domain.crm_modules import crm_module_of_kind
from crmsync.domain.models import CrmSource, Module, Side
from crmsync.domain.sync.model import PlanContext, RecordKind, SourceRecord

_NAMES: dict[RecordKind, dict[Side, tuple[str, str]]] = {  # (one, several)
    RecordKind.ACCOUNT: {
        Side.CRM: ("CRM account", "CRM accounts"),
        Side.INVENTORY: ("business customer", "business customers"),
    },
    RecordKind.CONTACT: {
        Side.CRM: ("CRM contact", "CRM contacts without an account"),
        Side.INVENTORY: ("individual customer", "individual customers"),
    },
    RecordKind.PERSON: {
        Side.CRM: ("CRM contact", "CRM contacts of an account"),
        Side.INVENTORY: ("contact person", "contact persons"),
    },
    RecordKind.VENDOR: {Side.CRM: ("CRM vendor", "CRM vendors"), Side.INVENTORY: ("vendor", "vendors")},
    RecordKind.PRODUCT: {Side.CRM: ("CRM product", "CRM products"), Side.INVENTORY: ("item", "items")},
}


def describe(record: SourceRecord) -> str:
    """The record in words, e.g. "CRM account 4711"."""
    return f"{_NAMES[record.kind][record.side][0]} {record.id}"


def route_reason(ctx: PlanContext, record: SourceRecord) -> str | None:
    """Why the module does not sync this record, or None when it does."""
    several = _NAMES[record.kind][record.side][1]
    if crm_module_of_kind(record.kind).sync_module is not ctx.module:
        return f"{_upper_first(several)} do not belong to {ctx.module}."
    if ctx.module is not Module.CUSTOMERS:
        return None
    source = ctx.settings.crm_source
    if record.kind is RecordKind.ACCOUNT and source is CrmSource.CONTACTS:
        return f"The customer source is CRM Contacts, so {several} are not synced."
    if record.kind is RecordKind.CONTACT:
        if source is CrmSource.ACCOUNTS:
            return f"The customer source is CRM Accounts, so {several} are not synced."
        if source is CrmSource.ACCOUNTS_AND_CONTACTS and not ctx.settings.include_unassociated_contacts:
            return (
                f"{_upper_first(several)} are synced only with the option to include contacts "
                "that belong to no account."
            )
    if record.kind is RecordKind.PERSON and source is not CrmSource.ACCOUNTS_AND_CONTACTS:
        return (
            f"{_upper_first(several)} are synced only with the customer source Accounts and their Contacts."
        )
    return None


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]
