"""Duplicate matching (M4): one key per record, the same from both sides for the same real thing.

Names compare after Unicode NFKC, case folding and whitespace collapsing. Keys carry the record
kind, so an account only matches a business customer and a CRM contact an individual customer.
- Accounts: `Account_Name` vs the customer display name (`contact_name`).
- Contacts (individual customers): the contact's full name vs `contact_name`.
- Vendors: `Vendor_Name` vs `contact_name`.
- Items: `Product_Name` and `Product_Code` vs `name` and `sku`: both must agree. An item with a SKU
  never matches one without; two records without a SKU match on the name alone.
- Contact persons: first and last name within the same (linked) customer: the CRM side uses the
  parent's inventory id (`linked_parent_id`), the inventory side its own parent.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from crmsync.domain.models import Side
from crmsync.domain.sync.canonical import full_name
from crmsync.domain.sync.model import PlanContext, RecordKind, SourceRecord
from crmsync.domain.sync.routing import route_reason

_CRM_NAME = {
    RecordKind.ACCOUNT: "Account_Name",
    RecordKind.VENDOR: "Vendor_Name",
    RecordKind.PRODUCT: "Product_Name",
}


def normalize_name(text: Any) -> str:
    """A name as matching compares it: NFKC, case-folded, inner whitespace collapsed, stripped."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return " ".join(unicodedata.normalize("NFKC", folded).split())


def match_key(ctx: PlanContext, record: SourceRecord) -> str | None:
    """The record's duplicate key, or None when it has no name or is not synced by the module."""
    if route_reason(ctx, record) is not None:
        return None
    name = normalize_name(_text(_name(record)))
    if not name:
        return None
    if record.kind is RecordKind.PRODUCT:
        sku = record.values.get("Product_Code" if record.side is Side.CRM else "sku")
        return f"{record.kind}:{name}|{normalize_name(_text(sku))}"
    if record.kind is RecordKind.PERSON:
        parent = record.linked_parent_id if record.side is Side.CRM else record.parent_id
        return f"{record.kind}:{parent}:{name}" if parent else None
    return f"{record.kind}:{name}"


def _name(record: SourceRecord) -> Any:
    values = record.values
    if record.side is Side.INVENTORY:
        if record.kind is RecordKind.PERSON:
            return " ".join(str(values.get(key) or "") for key in ("first_name", "last_name"))
        return values.get("name" if record.kind is RecordKind.PRODUCT else "contact_name")
    if record.kind in (RecordKind.CONTACT, RecordKind.PERSON):
        return full_name(values) or values.get("Full_Name")
    return values.get(_CRM_NAME[record.kind])


def _text(value: Any) -> Any:
    return value.get("name") if isinstance(value, dict) else value
