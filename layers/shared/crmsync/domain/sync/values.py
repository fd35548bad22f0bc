"""Field values in and out of canonical form, by the kind of the inventory field they map to.

Canonical values: text stripped, empty as None; numbers as int when whole, else float; booleans as
bool; dates as `YYYY-MM-DD`; datetimes as UTC ISO text; picklists as text. Two fields have their
own vocabulary on the inventory side: an item's `status` (`active`/`inactive`, canonical bool, the
CRM's `Product_Active`) and `product_type` (`goods`/`service`, canonical as inventory writes it,
the CRM's `Goods`/`Services` picklist of M7).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crmsync.domain.field_catalog import FieldKind

PICKLIST_NONE = "-None-"
STATUS_PATH = "status"
PRODUCT_TYPE_PATH = "product_type"
PRODUCT_TYPE_FROM_CRM = {"goods": "goods", "services": "service", "service": "service"}
PRODUCT_TYPE_TO_CRM = {"goods": "Goods", "service": "Services"}
_TRUE = frozenset({"true", "yes", "1", "active", "on"})
_FALSE = frozenset({"false", "no", "0", "inactive", "off"})


def canonical_value(kind: FieldKind, path: str, raw: Any) -> Any:
    """A value as either side holds it, in canonical form (None when empty or unreadable)."""
    if kind is FieldKind.TEXT and type(raw) is str:  # the common case, first
        return raw.strip() or None
    if isinstance(raw, dict):  # a CRM lookup {"id": ..., "name": ...}
        raw = raw.get("name")
    if raw is None:
        return None
    if path == PRODUCT_TYPE_PATH:  # any other value (the picklist's "-None-") has no product type
        return PRODUCT_TYPE_FROM_CRM.get(str(raw).strip().casefold())
    if kind in (FieldKind.NUMBER, FieldKind.CURRENCY):
        return _number(raw)
    if kind is FieldKind.BOOLEAN:
        return _boolean(raw)
    if kind is FieldKind.DATE:
        return _date(raw)
    if kind is FieldKind.DATETIME:
        return _datetime(raw)
    text = _text(raw)
    return None if kind is FieldKind.PICKLIST and text == PICKLIST_NONE else text


def crm_value(path: str, value: Any) -> Any:
    """A canonical value as the CRM takes it."""
    if path == PRODUCT_TYPE_PATH:
        return PRODUCT_TYPE_TO_CRM.get(value, value)
    return value


def inventory_value(path: str, value: Any) -> Any:
    """A canonical value as the inventory takes it."""
    if path == STATUS_PATH:
        return "active" if value else "inactive"
    return value


def stable(value: Any) -> Any:
    """A canonical value in the one form hashes and comparisons use (5.0 is 5, "" is None)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == "":
        return None
    return value


def _text(raw: Any) -> str | None:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip() or None


def _number(raw: Any) -> int | float | None:
    if isinstance(raw, bool):
        return None
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _boolean(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _date(raw: Any) -> str | None:
    if isinstance(raw, datetime | date):
        return raw.isoformat()[:10]
    try:
        return date.fromisoformat(str(raw).strip()[:10]).isoformat()
    except ValueError:
        return None


def _datetime(raw: Any) -> str | None:
    try:
        moment = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw).strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")
