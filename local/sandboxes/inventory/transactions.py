"""Estimates, sales orders, invoices, purchase orders and expenses: one engine, five kinds."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from starlette.routing import Route

from . import customfields
from .endpoint import Call, Reply, api_route, ok
from .errors import Code, InventoryApiError, mandatory, not_found, status_not_allowed
from .listing import ListSpec, by_key, equal_filters, modified_since, page, text_filters
from .models import LineItemIn, TransactionIn
from .store import OrgData, Record
from .wire import IdSequence, format_date, money, parse_date, with_times

PAID = ("paid", "partially_paid")
READ_ONLY = {
    "status",
    "created_time",
    "last_modified_time",
    "balance",
    "payment_made",
    "sub_total",
    "total",
    "currency_code",
    "custom_field_hash",
    "customer_name",
    "vendor_name",
}


@dataclass(frozen=True)
class Kind:
    path: str
    singular: str
    label: str
    number_key: str | None
    prefix: str
    party: str  # "customer" or "vendor": the contact the document is for
    initial_status: str
    actions: dict[str, frozenset[str]] = field(default_factory=dict)  # target status -> allowed from
    final: frozenset[str] = frozenset()  # statuses in which the document cannot be edited
    line_items_required: bool = True

    @property
    def id_key(self) -> str:
        return f"{self.singular}_id"

    @property
    def party_key(self) -> str:
        return f"{self.party}_id"


def _from(*statuses: str) -> frozenset[str]:
    return frozenset(statuses)


KINDS = {
    kind.path: kind
    for kind in (
        Kind(
            "estimates",
            "estimate",
            "Estimate",
            "estimate_number",
            "EST-",
            "customer",
            "draft",
            {"sent": _from("draft"), "accepted": _from("draft", "sent"), "declined": _from("draft", "sent")},
        ),
        Kind(
            "salesorders",
            "salesorder",
            "Sales Order",
            "salesorder_number",
            "SO-",
            "customer",
            "draft",
            {"confirmed": _from("draft"), "void": _from("draft", "confirmed")},
            _from("void"),
        ),
        Kind(
            "invoices",
            "invoice",
            "Invoice",
            "invoice_number",
            "INV-",
            "customer",
            "draft",
            {"sent": _from("draft"), "void": _from("draft", "sent"), "draft": _from("sent", "void")},
            _from("void"),
        ),
        Kind(
            "purchaseorders",
            "purchaseorder",
            "Purchase Order",
            "purchaseorder_number",
            "PO-",
            "vendor",
            "draft",
            {"issued": _from("draft"), "cancelled": _from("draft", "issued")},
            _from("cancelled"),
        ),
        Kind("expenses", "expense", "Expense", None, "", "customer", "unbilled", line_items_required=False),
    )
}


# --- domain -----------------------------------------------------------------------------------


def find(org: OrgData, kind: Kind, record_id: str) -> Record:
    record = org.kind_records(kind.path).get(record_id)
    if record is None:
        raise not_found(kind.label)
    return record


def create(
    org: OrgData, ids: IdSequence, now: datetime, kind: Kind, body: dict[str, Any], own_number: bool = False
) -> Record:
    data = TransactionIn.model_validate(body)
    contact = _party(org, kind, data, kind.party_key)
    today = format_date(now, org.tz)
    record: Record = {
        kind.id_key: ids.next(),
        kind.party_key: contact["contact_id"],
        "reference_number": "",
        "date": today,
        "status": kind.initial_status,
        "line_items": [],
        "discount": 0.0,
        "shipping_charge": 0.0,
        "adjustment": 0.0,
        "currency_id": contact["currency_id"],
        "currency_code": contact["currency_code"],
        "exchange_rate": 1.0,
        "notes": "",
        "terms": "",
        "zcrm_potential_id": "",
        "zcrm_potential_name": "",
        "_custom": {},
        "created_time": now,
    }
    if kind.number_key:
        record[kind.number_key] = _number(org, kind, body, own_number)
    if kind.path == "invoices":
        record |= {"due_date": _due(today, contact), "payment_made": 0.0}
    if kind.path == "expenses":
        record |= {"vendor_id": "", "account_id": "", "is_billable": True, "description": ""}
    if kind.line_items_required and not data.line_items:
        raise mandatory("line_items")
    if kind.path == "expenses" and data.amount is None and not data.line_items:
        raise mandatory("amount")
    _apply(org, ids, kind, record, data)
    record["last_modified_time"] = now
    org.kind_records(kind.path)[record[kind.id_key]] = record
    _count(org, record, +1)
    return record


def update(
    org: OrgData,
    ids: IdSequence,
    now: datetime,
    kind: Kind,
    record_id: str,
    body: dict[str, Any],
    own_number: bool,
) -> Record:
    record = find(org, kind, record_id)
    if record["status"] in kind.final:
        raise status_not_allowed(f"A {record['status']} {kind.label.lower()} cannot be edited.")
    data = TransactionIn.model_validate(body)
    if "line_items" in data.model_fields_set and kind.line_items_required and not data.line_items:
        raise mandatory("line_items")
    number = None
    if kind.number_key and own_number and body.get(kind.number_key) != record[kind.number_key]:
        number = _number(org, kind, body, True)
    _count(org, record, -1)
    try:
        _apply(org, ids, kind, record, data)
    finally:
        _count(org, record, +1)
    if kind.number_key and number is not None:
        record[kind.number_key] = number
    record["last_modified_time"] = now
    return record


def delete(org: OrgData, kind: Kind, record_id: str) -> None:
    record = find(org, kind, record_id)
    if record.get("payment_made"):
        raise status_not_allowed(
            "Invoices with payments recorded cannot be deleted. Delete the payments first."
        )
    _count(org, record, -1)
    del org.kind_records(kind.path)[record_id]


def change_status(org: OrgData, now: datetime, kind: Kind, record_id: str, target: str) -> str:
    """Apply a `/status/<target>` action; returns the vendor's confirmation message."""
    record = find(org, kind, record_id)
    current = record["status"]
    noun = kind.label.lower()
    if current == target:
        raise InventoryApiError(Code.ALREADY_IN_STATUS, f"The {noun} is already {target}.")
    if kind.path == "invoices" and current in PAID:
        raise status_not_allowed(
            f"An invoice with payments recorded cannot be marked {target}. Delete the payments first."
        )
    if current not in kind.actions[target]:
        raise status_not_allowed(f"A {current} {noun} cannot be marked {target}.")
    record["status"] = target
    record["last_modified_time"] = now
    return f"{kind.label} status has been changed to {target.capitalize()}."


def _party(org: OrgData, kind: Kind, data: TransactionIn, key: str, current: str | None = None) -> Record:
    """The contact a document is for: required, existing, of the right type, and active unless it is
    the `current` one already on the document."""
    contact_id = getattr(data, key)
    if not contact_id:
        raise mandatory(key)
    contact = org.contacts.get(contact_id)
    if contact is None:
        raise not_found(key.removesuffix("_id").capitalize(), 400)
    wanted = key.removesuffix("_id")
    if contact["contact_type"] != wanted:
        raise InventoryApiError(
            Code.CONTACT_TYPE_MISMATCH,
            f"The contact {contact['contact_name']!r} is a {contact['contact_type']}; "
            f"{kind.label.lower()}s need a {wanted} in {key}.",
        )
    if contact["status"] != "active" and contact_id != current:
        raise InventoryApiError(
            Code.CONTACT_INACTIVE, f"The {wanted} {contact['contact_name']!r} is inactive."
        )
    return contact


def _apply(org: OrgData, ids: IdSequence, kind: Kind, record: Record, data: TransactionIn) -> None:
    """Validate every change first, then apply them together and recompute the totals."""
    nested = {"line_items", "custom_fields", "customer_id", "vendor_id"}
    if kind.number_key:
        nested.add(kind.number_key)
    plain = data.model_dump(exclude_unset=True, exclude=nested)
    changes = {k: v for k, v in plain.items() if v is not None and k not in READ_ONLY and k != kind.id_key}
    for key in ("date", "due_date", "shipment_date", "delivery_date", "expiry_date"):
        if key in changes:
            parse_date(changes[key], key)
    for key in ("customer_id", "vendor_id"):
        given = getattr(data, key)
        if given is not None and (key == kind.party_key or kind.path == "expenses"):
            changes[key] = _party(org, kind, data, key, record.get(key))["contact_id"]
    if data.line_items is not None:
        changes["line_items"] = _line_items(org, ids, kind, data.line_items, record["line_items"])
    if data.custom_fields is not None:
        definitions = org.customfields[kind.path]
        changes["_custom"] = customfields.resolve(definitions, data.custom_fields, record["_custom"])
    totals = _totals(kind, record | changes)
    if kind.path == "invoices" and totals["total"] < record["payment_made"]:
        raise status_not_allowed("The invoice total cannot be less than the payments recorded.")
    record.update(changes)
    record.update(totals)


def _line_items(
    org: OrgData, ids: IdSequence, kind: Kind, given: list[LineItemIn], existing: list[Record]
) -> list[Record]:
    known = {line["line_item_id"] for line in existing}
    lines = []
    for position, line in enumerate(given):
        item = None
        if line.item_id:
            item = org.items.get(line.item_id)
            if item is None:
                raise not_found("Item", 400)
        name = line.name or (item["name"] if item else "")
        if not name:
            raise mandatory(f"line_items[{position}].name")
        default_rate = (item["purchase_rate"] if kind.party == "vendor" else item["rate"]) if item else 0.0
        rate = next((r for r in (line.rate, line.purchase_rate) if r is not None), default_rate)
        discount = line.discount or 0.0
        lines.append(
            (line.model_extra or {})
            | {
                "line_item_id": line.line_item_id if line.line_item_id in known else ids.next(),
                "item_id": line.item_id or "",
                "name": name,
                "description": line.description
                if line.description is not None
                else (item or {}).get("description", ""),
                "rate": rate,
                "quantity": line.quantity,
                "unit": line.unit if line.unit is not None else (item or {}).get("unit", ""),
                "discount": discount,
                "tax_id": line.tax_id or "",
                "item_order": line.item_order or position + 1,
                "item_total": money(rate * line.quantity - discount),
            }
        )
    return lines


def _totals(kind: Kind, record: Record) -> Record:
    sub_total = money(sum(line["item_total"] for line in record["line_items"]))
    if kind.path == "expenses" and not record["line_items"]:
        sub_total = money(record.get("amount") or 0.0)
    total = money(sub_total - record["discount"] + record["shipping_charge"] + record["adjustment"])
    totals: Record = {"sub_total": sub_total, "total": total}
    if kind.path == "expenses":
        totals["amount"] = total
    if kind.path == "invoices":
        totals["balance"] = money(total - record["payment_made"])
    return totals


def _number(org: OrgData, kind: Kind, body: dict[str, Any], own_number: bool) -> str:
    """Auto numbers (`INV-00001`) unless `ignore_auto_number_generation=true` lets the caller choose."""
    assert kind.number_key
    taken = {r[kind.number_key] for r in org.kind_records(kind.path).values()}
    if own_number:
        number = str(body.get(kind.number_key) or "").strip()
        if not number:
            raise mandatory(kind.number_key)
        if number in taken:
            raise InventoryApiError(
                Code.ALREADY_EXISTS, f"{kind.label} number {number} has already been created."
            )
        return number
    while True:
        org.numbers[kind.path] += 1
        number = f"{kind.prefix}{org.numbers[kind.path]:05d}"
        if number not in taken:
            return number


def _due(day: str, contact: Record) -> str:
    return (date.fromisoformat(day) + timedelta(days=int(contact.get("payment_terms") or 0))).isoformat()


def _count(org: OrgData, record: Record, step: int) -> None:
    for key in ("customer_id", "vendor_id"):
        if record.get(key):
            org.transactions_by_contact[record[key]] += step


def shown_status(record: Record, today: str) -> str:
    """`overdue` is a sent or partly paid invoice past its due date."""
    if record["status"] in ("sent", "partially_paid") and record.get("due_date", today) < today:
        return "overdue"
    return record["status"]


def view(org: OrgData, kind: Kind, record: Record, today: str, *, full: bool = True) -> Record:
    shown = {k: v for k, v in record.items() if not k.startswith("_")}
    for key in ("customer_id", "vendor_id"):
        if record.get(key):
            shown[key.replace("_id", "_name")] = org.contacts[record[key]]["contact_name"]
    shown["status"] = shown_status(record, today)
    shown |= customfields.render(org.customfields[kind.path], record["_custom"])
    if not full:
        shown.pop("line_items")
    return with_times(shown, org.tz)


# --- routes -----------------------------------------------------------------------------------


def _status_filter(raw: str) -> str:
    """`Status.PartiallyPaid` -> `partially_paid`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", raw.removeprefix("Status.")).lower()


def _list_spec(kind: Kind) -> ListSpec:
    columns: dict[str, Callable[[Record], Any]] = {
        key: by_key(key)
        for key in (
            "created_time",
            "last_modified_time",
            "date",
            "due_date",
            "reference_number",
            "total",
            "balance",
            *([kind.number_key] if kind.number_key else []),
        )
    }
    return ListSpec(kind.label.replace(" ", "") + "s", columns, "created_time", "D")


def _matches_status(status: str, wanted: str) -> bool:
    return status in ("sent", "overdue", "partially_paid") if wanted == "unpaid" else status == wanted


def list_route(kind: Kind) -> Callable[[Call], Reply]:
    spec = _list_spec(kind)

    def handler(call: Call) -> Reply:
        org, query = call.org, call.query
        today = format_date(call.now, org.tz)
        records = list(org.kind_records(kind.path).values())
        filter_by = query.get("filter_by", "Status.All")
        for wanted in (query.get("status"), None if filter_by == "Status.All" else _status_filter(filter_by)):
            if wanted:
                records = [r for r in records if _matches_status(shown_status(r, today), wanted)]
        party_name = kind.party + "_name"
        readers: dict[str, Callable[[Record], Any]] = {
            "reference_number": lambda r: r["reference_number"],
            party_name: lambda r: org.contacts[r[kind.party_key]]["contact_name"],
        }
        if kind.number_key:
            readers[kind.number_key] = lambda r: r[kind.number_key]
        records = text_filters(records, query, readers)
        records = equal_filters(records, query, ("customer_id", "vendor_id", "zcrm_potential_id", "date"))
        if query.get("date_start"):
            records = [r for r in records if r["date"] >= query["date_start"]]
        if query.get("date_end"):
            records = [r for r in records if r["date"] <= query["date_end"]]
        records = modified_since(records, query, org.tz)
        needle = (query.get("search_text") or "").casefold()
        if needle:
            records = [
                r for r in records if any(needle in str(read(r)).casefold() for read in readers.values())
            ]
        sort_spec = ListSpec(
            spec.report_name,
            spec.sort_columns | {party_name: readers[party_name]},
            spec.default_sort,
            spec.default_order,
        )
        selected, context = page(records, query, sort_spec, filter_by)
        return ok(
            **{kind.path: [view(org, kind, r, today, full=False) for r in selected], "page_context": context}
        )

    return handler


def _own_number(call: Call) -> bool:
    return call.query.get("ignore_auto_number_generation", "false").lower() == "true"


def create_route(kind: Kind) -> Callable[[Call], Reply]:
    def handler(call: Call) -> Reply:
        record = create(call.org, call.state.ids, call.now, kind, call.body, _own_number(call))
        today = format_date(call.now, call.org.tz)
        return ok(
            f"The {kind.label.lower()} has been created.",
            201,
            **{kind.singular: view(call.org, kind, record, today)},
        )

    return handler


def get_route(kind: Kind) -> Callable[[Call], Reply]:
    def handler(call: Call) -> Reply:
        record = find(call.org, kind, call.params[kind.id_key])
        return ok(**{kind.singular: view(call.org, kind, record, format_date(call.now, call.org.tz))})

    return handler


def update_route(kind: Kind) -> Callable[[Call], Reply]:
    def handler(call: Call) -> Reply:
        record = update(
            call.org, call.state.ids, call.now, kind, call.params[kind.id_key], call.body, _own_number(call)
        )
        today = format_date(call.now, call.org.tz)
        return ok(f"{kind.label} has been updated.", **{kind.singular: view(call.org, kind, record, today)})

    return handler


def delete_route(kind: Kind) -> Callable[[Call], Reply]:
    def handler(call: Call) -> Reply:
        delete(call.org, kind, call.params[kind.id_key])
        return ok(f"The {kind.label.lower()} has been deleted.")

    return handler


def status_route(kind: Kind, target: str) -> Callable[[Call], Reply]:
    def handler(call: Call) -> Reply:
        return ok(change_status(call.org, call.now, kind, call.params[kind.id_key], target))

    return handler


def routes() -> list[Route]:
    table = []
    for kind in KINDS.values():
        one = f"/{kind.path}/{{{kind.id_key}}}"
        table += [
            api_route(f"/{kind.path}", list_route(kind), ["GET"]),
            api_route(f"/{kind.path}", create_route(kind), ["POST"]),
            api_route(one, get_route(kind), ["GET"]),
            api_route(one, update_route(kind), ["PUT"]),
            api_route(one, delete_route(kind), ["DELETE"]),
        ]
        table += [
            api_route(f"{one}/status/{target}", status_route(kind, target), ["POST"])
            for target in kind.actions
        ]
    return table
