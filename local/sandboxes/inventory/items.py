"""Items (goods and services) with SKUs unique per organization."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import customfields
from .endpoint import Call, Reply, api_route, ok
from .errors import Code, InventoryApiError, invalid_value, mandatory, not_found
from .listing import ListSpec, by_key, equal_filters, modified_since, page, search_text, text_filters
from .models import ItemIn
from .store import OrgData, Record
from .wire import IdSequence, with_times

READ_ONLY = {
    "item_id",
    "status",
    "is_linked_with_zohocrm",
    "created_time",
    "last_modified_time",
    "stock_on_hand",
    "available_stock",
    "custom_field_hash",
}
ITEM_TYPE_FILTERS = {
    "ItemType.Inventory": "inventory",
    "ItemType.Sales": "sales",
    "ItemType.Purchases": "purchases",
    "ItemType.SalesAndPurchases": "sales_and_purchases",
}
SPEC = ListSpec(
    "Items",
    {
        column: by_key(column)
        for column in (
            "name",
            "sku",
            "rate",
            "purchase_rate",
            "created_time",
            "last_modified_time",
            "reorder_level",
            "stock_on_hand",
        )
    },
    "name",
)


def _sku_key(sku: str) -> str:
    return sku.strip().casefold()


def create_item(org: OrgData, ids: IdSequence, now: datetime, body: dict[str, Any]) -> Record:
    data = ItemIn.model_validate(body)
    if not (data.name or "").strip():
        raise mandatory("name")
    item: Record = {
        "item_id": ids.next(),
        "name": data.name,
        "sku": "",
        "rate": 0.0,
        "purchase_rate": 0.0,
        "description": "",
        "purchase_description": "",
        "unit": "",
        "product_type": "goods",
        "item_type": "inventory",
        "status": "active",
        "is_taxable": True,
        "reorder_level": None,
        "vendor_id": "",
        "vendor_name": "",
        "stock_on_hand": data.initial_stock or 0.0,
        "zcrm_product_id": "",
        "_custom": {},
        "created_time": now,
    }
    _apply(org, item, data)
    item["last_modified_time"] = now
    org.items[item["item_id"]] = item
    return item


def update_item(org: OrgData, now: datetime, item_id: str, body: dict[str, Any]) -> Record:
    item = find_item(org, item_id)
    data = ItemIn.model_validate(body)
    if "name" in data.model_fields_set and not (data.name or "").strip():
        raise mandatory("name")
    _apply(org, item, data)
    item["last_modified_time"] = now
    return item


def _apply(org: OrgData, item: Record, data: ItemIn) -> None:
    changes = data.model_dump(exclude_unset=True, exclude={"custom_fields", "initial_stock"})
    changes = {k: v for k, v in changes.items() if k not in READ_ONLY and v is not None}
    if changes.get("vendor_id"):
        vendor = org.contacts.get(changes["vendor_id"])
        if vendor is None or vendor["contact_type"] != "vendor":
            raise invalid_value("vendor_id")
        changes["vendor_name"] = vendor["contact_name"]
    if data.custom_fields is not None:
        changes["_custom"] = customfields.resolve(
            org.customfields["items"], data.custom_fields, item["_custom"]
        )
    if "sku" in changes:
        _claim_sku(org, item, changes["sku"])  # last: nothing can fail after the index changed
    item.update(changes)


def _claim_sku(org: OrgData, item: Record, sku: str) -> None:
    """SKUs are unique per organization, compared without case and surrounding whitespace."""
    key = _sku_key(sku)
    owner = org.sku_index.get(key)
    if key and owner is not None and owner != item["item_id"]:
        raise InventoryApiError(
            Code.ALREADY_EXISTS, f'The SKU "{sku}" already exists. Please enter a different SKU.'
        )
    if item["sku"]:
        org.sku_index.pop(_sku_key(item["sku"]), None)
    if key:
        org.sku_index[key] = item["item_id"]


def find_item(org: OrgData, item_id: str) -> Record:
    item = org.items.get(item_id)
    if item is None:
        raise not_found("Item")
    return item


def item_view(org: OrgData, item: Record) -> Record:
    view = {k: v for k, v in item.items() if not k.startswith("_")}
    view |= {
        "is_linked_with_zohocrm": bool(item["zcrm_product_id"]),
        "available_stock": item["stock_on_hand"],
    }
    view |= customfields.render(org.customfields["items"], item["_custom"])
    return with_times(view, org.tz)


def _filtered(org: OrgData, call: Call) -> tuple[list[Record], str]:
    query = call.query
    items = list(org.items.values())
    filter_by = query.get("filter_by", "Status.All")
    if filter_by in ("Status.Active", "Status.Inactive"):
        items = [i for i in items if i["status"] == filter_by.removeprefix("Status.").lower()]
    elif filter_by in ITEM_TYPE_FILTERS:
        items = [i for i in items if i["item_type"] == ITEM_TYPE_FILTERS[filter_by]]
    elif filter_by != "Status.All":
        raise invalid_value("filter_by")
    if query.get("status") is not None:
        items = [i for i in items if i["status"] == query["status"]]
    items = text_filters(
        items,
        query,
        {"name": lambda i: i["name"], "sku": lambda i: i["sku"], "description": lambda i: i["description"]},
    )
    for field in ("rate", "purchase_rate"):
        items = _number_filters(items, query, field)
    items = equal_filters(items, query, ("zcrm_product_id", "vendor_id", "product_type", "item_type"))
    items = modified_since(items, query, org.tz)
    items = search_text(items, query, ("name", "sku", "description"))
    return items, filter_by


def _number_filters(items: list[Record], query: Any, field: str) -> list[Record]:
    tests: dict[str, Callable[[float, float], bool]] = {
        "": lambda a, b: a == b,
        "_less_than": lambda a, b: a < b,
        "_less_equals": lambda a, b: a <= b,
        "_greater_than": lambda a, b: a > b,
        "_greater_equals": lambda a, b: a >= b,
    }
    for suffix, test in tests.items():
        raw = query.get(field + suffix)
        if raw is None:
            continue
        try:
            bound = float(raw)
        except ValueError:
            raise invalid_value(field + suffix) from None
        items = [i for i in items if test(i[field], bound)]
    return items


def list_items(call: Call) -> Reply:
    items, filter_by = _filtered(call.org, call)
    selected, context = page(items, call.query, SPEC, filter_by)
    return ok(items=[item_view(call.org, i) for i in selected], page_context=context)


def post_item(call: Call) -> Reply:
    item = create_item(call.org, call.state.ids, call.now, call.body)
    return ok("The item has been added.", 201, item=item_view(call.org, item))


def get_item(call: Call) -> Reply:
    return ok(item=item_view(call.org, find_item(call.org, call.params["item_id"])))


def put_item(call: Call) -> Reply:
    item = update_item(call.org, call.now, call.params["item_id"], call.body)
    return ok("The item details have been updated.", item=item_view(call.org, item))


def delete_item(call: Call) -> Reply:
    item = find_item(call.org, call.params["item_id"])
    used = any(
        line.get("item_id") == item["item_id"]
        for records in call.org.transactions.values()
        for record in records.values()
        for line in record.get("line_items", [])
    )
    if used:
        raise InventoryApiError(
            Code.IN_USE,
            "Items which are a part of transactions cannot be deleted. Mark the item inactive instead.",
        )
    if item["sku"]:
        call.org.sku_index.pop(_sku_key(item["sku"]), None)
    del call.org.items[item["item_id"]]
    return ok("The item has been deleted.")


def set_item_status(status: str) -> Callable[[Call], Reply]:
    def handler(call: Call) -> Reply:
        item = find_item(call.org, call.params["item_id"])
        item["status"] = status
        item["last_modified_time"] = call.now
        return ok(f"The item has been marked as {status}.")

    return handler


ROUTES = [
    api_route("/items", list_items, ["GET"]),
    api_route("/items", post_item, ["POST"]),
    api_route("/items/{item_id}", get_item, ["GET"]),
    api_route("/items/{item_id}", put_item, ["PUT"]),
    api_route("/items/{item_id}", delete_item, ["DELETE"]),
    api_route("/items/{item_id}/active", set_item_status("active"), ["POST"]),
    api_route("/items/{item_id}/inactive", set_item_status("inactive"), ["POST"]),
]
