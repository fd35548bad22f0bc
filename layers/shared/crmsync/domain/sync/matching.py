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
The name fields and the item code are those of `crmsync.domain.crm_modules` (`display_field`,
`inventory_name`, `match_code`).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from crmsync.domain.crm_modules import crm_module_of_kind
from crmsync.domain.models import Side
from crmsync.domain.sync.canonical import full_name
from crmsync.domain.sync.model import PlanContext, RecordKind, SourceRecord
from crmsync.domain.sync.routing import route_reason


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
    code = crm_module_of_kind(record.kind).match_code
    if code is not None:
        sku = record.values.get(code[0] if record.side is Side.CRM else code[1])
        return f"{record.kind}:{name}|{normalize_name(_text(sku))}"
    if record.kind is RecordKind.PERSON:
        parent = record.linked_parent_id if record.side is Side.CRM else record.parent_id
        return f"{record.kind}:{parent}:{name}" if parent else None
    return f"{record.kind}:{name}"


def _name(record: SourceRecord) -> Any:
    values = record.values
    module = crm_module_of_kind(record.kind)
    if record.side is Side.INVENTORY:
        if record.kind is RecordKind.PERSON:
            return " ".join(str(values.get(key) or "") for key in ("first_name", "last_name"))
        return values.get(module.inventory_name[0])
    if record.kind in (RecordKind.CONTACT, RecordKind.PERSON):
        return full_name(values) or values.get(module.display_field)
    return values.get(module.display_field)


def _text(value: Any) -> Any:
    return value.get("name") if isinstance(value, dict) else value
