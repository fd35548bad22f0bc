"""Zoho Inventory wire format: envelopes, entity keys, list filters and paging."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from crmsync.ports.errors import PermanentError
from crmsync.ports.inventory import InventoryRecord, ListQuery

PER_PAGE = 200


class Entity(BaseModel):
    """How one kind of entity appears on the wire: its path and its envelope keys."""

    model_config = ConfigDict(frozen=True)

    path: str
    singular: str
    plural: str
    id_key: str


def _entity(path: str, singular: str, plural: str | None = None) -> Entity:
    return Entity(path=path, singular=singular, plural=plural or path, id_key=f"{singular}_id")


CONTACTS = _entity("contacts", "contact")
CONTACT_PERSONS = _entity("contacts/contactpersons", "contact_person", "contact_persons")
ITEMS = _entity("items", "item")
TRANSACTIONS = {
    "estimates": _entity("estimates", "estimate"),
    "salesorders": _entity("salesorders", "salesorder"),
    "invoices": _entity("invoices", "invoice"),
    "purchaseorders": _entity("purchaseorders", "purchaseorder"),
    "expenses": _entity("expenses", "expense"),
}


def record(entity: Entity, data: Mapping[str, Any]) -> InventoryRecord:
    return InventoryRecord(
        id=str(data[entity.id_key]),
        last_modified_time=data.get("last_modified_time") or None,
        values=dict(data),
    )


def one(entity: Entity, body: Any) -> InventoryRecord:
    """The single entity of a get, create or update answer."""
    data = body.get(entity.singular) if isinstance(body, dict) else None
    if not isinstance(data, dict) or entity.id_key not in data:
        raise PermanentError("inventory", f"answer without {entity.singular!r}")
    return record(entity, data)


def many(key: str, body: Any) -> list[dict[str, Any]]:
    value = body.get(key) if isinstance(body, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def has_more_page(body: Any) -> bool:
    context = body.get("page_context") if isinstance(body, dict) else None
    return bool(context.get("has_more_page")) if isinstance(context, dict) else False


def query_params(query: ListQuery | None) -> dict[str, str]:
    """A query's filters as request parameters (`modified_after` is `last_modified_time`)."""
    if query is None:
        return {}
    fields = query.model_dump(exclude={"extra", "modified_after"}, exclude_none=True)
    params = {name: str(value) for name, value in fields.items()}
    if query.modified_after is not None:
        if query.modified_after.tzinfo is None:
            raise ValueError("modified_after must be timezone-aware")
        params["last_modified_time"] = query.modified_after.strftime("%Y-%m-%dT%H:%M:%S%z")
    return params | query.extra


def page_number(cursor: str | None) -> int:
    if not cursor:
        return 1
    kind, _, value = cursor.partition(":")
    if kind != "page" or not value.isdigit():
        raise ValueError(f"not an inventory listing cursor: {cursor!r}")
    return int(value)
