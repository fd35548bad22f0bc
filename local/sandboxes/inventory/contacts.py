"""Contacts (customers and vendors) and their contact persons."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import customfields
from .endpoint import Call, Reply, api_route, ok
from .errors import Code, InventoryApiError, invalid_value, mandatory, not_found
from .listing import ListSpec, equal_filters, modified_since, page, text_filters
from .models import Address, ContactIn, ContactPersonIn
from .store import OrgData, Record
from .wire import IdSequence, money, with_times

MAX_PERSONS = 50
READ_ONLY = {
    "contact_id",
    "status",
    "has_transaction",
    "is_linked_with_zohocrm",
    "primary_contact_id",
    "currency_code",
    "outstanding_receivable_amount",
    "unused_credits_receivable_amount",
    "created_time",
    "last_modified_time",
    "custom_field_hash",
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile",
    "source",
}
PERSON_TEXT_KEYS = (
    "salutation",
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile",
    "designation",
    "department",
    "skype",
)
OPEN_INVOICE = ("sent", "partially_paid")
STATUS_FILTERS = ("Status.All", "Status.Active", "Status.Inactive", "Status.Crm", "Status.Duplicate")


# --- domain -----------------------------------------------------------------------------------


def create_contact(org: OrgData, ids: IdSequence, now: datetime, body: dict[str, Any]) -> Record:
    data = ContactIn.model_validate(body)
    if not (data.contact_name or "").strip():
        raise mandatory("contact_name")
    base = org.base_currency()
    contact: Record = {
        "contact_id": ids.next(),
        "contact_name": data.contact_name,
        "company_name": "",
        "contact_type": "customer",
        "customer_sub_type": "business",
        "status": "active",
        "website": "",
        "payment_terms": 0,
        "payment_terms_label": "Due on Receipt",
        "currency_id": base["currency_id"],
        "currency_code": base["currency_code"],
        "notes": "",
        "language_code": "en",
        "billing_address": Address().model_dump(),
        "shipping_address": Address().model_dump(),
        "contact_persons": [],
        "zcrm_account_id": "",
        "zcrm_contact_id": "",
        "zcrm_vendor_id": "",
        "source": "api",
        "_custom": {},
        "created_time": now,
    }
    _apply(org, ids, contact, data)
    contact["last_modified_time"] = now
    org.contacts[contact["contact_id"]] = contact
    for person in contact["contact_persons"]:
        org.person_owner[person["contact_person_id"]] = contact["contact_id"]
    return contact


def update_contact(
    org: OrgData, ids: IdSequence, now: datetime, contact_id: str, body: dict[str, Any]
) -> Record:
    contact = find_contact(org, contact_id)
    data = ContactIn.model_validate(body)
    if "contact_name" in data.model_fields_set and not (data.contact_name or "").strip():
        raise mandatory("contact_name")
    type_changes = data.contact_type is not None and data.contact_type != contact["contact_type"]
    if type_changes and org.transactions_by_contact[contact_id]:
        raise InventoryApiError(
            Code.CONTACT_TYPE_MISMATCH, "The contact type cannot be changed as the contact has transactions."
        )
    before = {p["contact_person_id"] for p in contact["contact_persons"]}
    _apply(org, ids, contact, data)
    after = {p["contact_person_id"] for p in contact["contact_persons"]}
    for removed in before - after:
        org.person_owner.pop(removed, None)
    for added in after - before:
        org.person_owner[added] = contact_id
    contact["last_modified_time"] = now
    return contact


def _apply(org: OrgData, ids: IdSequence, contact: Record, data: ContactIn) -> None:
    """Validate every change first, then apply them together."""
    nested = {"billing_address", "shipping_address", "contact_persons", "custom_fields"}
    plain = data.model_dump(exclude_unset=True, exclude=nested)
    changes = {k: v for k, v in plain.items() if k not in READ_ONLY and v is not None}
    for key in ("billing_address", "shipping_address"):
        address = getattr(data, key)
        if address is not None:
            changes[key] = contact[key] | address.model_dump(exclude_unset=True)
    if data.currency_id is not None:
        currency = next((c for c in org.currencies if c["currency_id"] == data.currency_id), None)
        if currency is None:
            raise invalid_value("currency_id")
        changes["currency_code"] = currency["currency_code"]
    if data.custom_fields is not None:
        changes["_custom"] = customfields.resolve(
            org.customfields["contacts"], data.custom_fields, contact["_custom"]
        )
    if data.contact_persons is not None:
        changes["contact_persons"] = _replace_persons(ids, contact, data.contact_persons)
    contact.update(changes)


def _replace_persons(ids: IdSequence, contact: Record, given: list[ContactPersonIn]) -> list[Record]:
    """A contact update's `contact_persons` is the whole list: ids update, no id creates, absent deletes."""
    if len(given) > MAX_PERSONS:
        raise _too_many_persons()
    existing = {p["contact_person_id"]: p for p in contact["contact_persons"]}
    persons = []
    for person in given:
        if person.contact_person_id is not None and person.contact_person_id not in existing:
            raise not_found("Contact person")
        current = existing.get(person.contact_person_id or "") or _new_person(ids)
        persons.append(_merge_person(current, person))
    _settle_primary(
        persons, next((p for p, g in zip(persons, given, strict=True) if g.is_primary_contact), None)
    )
    return persons


def _new_person(ids: IdSequence) -> Record:
    blank = {key: "" for key in PERSON_TEXT_KEYS}
    return {"contact_person_id": ids.next(), "is_primary_contact": False, "enable_portal": False} | blank


def _merge_person(current: Record, given: ContactPersonIn) -> Record:
    changes = given.model_dump(
        exclude_unset=True, exclude={"contact_id", "contact_person_id", "is_primary_contact"}
    )
    return current | changes


def _settle_primary(persons: list[Record], chosen: Record | None) -> None:
    """Exactly one primary person when there are any: the chosen one, else the current, else the first."""
    if not persons:
        return
    primary = chosen or next((p for p in persons if p["is_primary_contact"]), persons[0])
    for person in persons:
        person["is_primary_contact"] = person is primary


def _too_many_persons() -> InventoryApiError:
    return InventoryApiError(Code.TOO_MANY, f"A contact can have at most {MAX_PERSONS} contact persons.")


def find_contact(org: OrgData, contact_id: str) -> Record:
    contact = org.contacts.get(contact_id)
    if contact is None:
        raise not_found("Contact")
    return contact


def primary_person(contact: Record) -> Record:
    return next((p for p in contact["contact_persons"] if p["is_primary_contact"]), {})


def receivables(org: OrgData) -> Counter[str]:
    """Outstanding invoice balance per customer."""
    owed: Counter[str] = Counter()
    for invoice in org.kind_records("invoices").values():
        if invoice["status"] in OPEN_INVOICE:
            owed[invoice["customer_id"]] += invoice["balance"]
    return owed


def contact_view(org: OrgData, contact: Record, owed: Counter[str], *, full: bool = True) -> Record:
    primary = primary_person(contact)
    view = {k: v for k, v in contact.items() if not k.startswith("_")}
    view |= {
        "first_name": primary.get("first_name", ""),
        "last_name": primary.get("last_name", ""),
        "email": primary.get("email", ""),
        "phone": primary.get("phone", ""),
        "mobile": primary.get("mobile", ""),
        "primary_contact_id": primary.get("contact_person_id", ""),
        "has_transaction": org.transactions_by_contact[contact["contact_id"]] > 0,
        "is_linked_with_zohocrm": is_linked(contact),
        "outstanding_receivable_amount": money(owed[contact["contact_id"]]),
        "unused_credits_receivable_amount": 0.0,
    }
    view |= customfields.render(org.customfields["contacts"], contact["_custom"])
    if not full:
        for key in ("contact_persons", "billing_address", "shipping_address", "notes"):
            view.pop(key)
    return with_times(view, org.tz)


def is_linked(contact: Record) -> bool:
    return bool(contact["zcrm_account_id"] or contact["zcrm_contact_id"] or contact["zcrm_vendor_id"])


def _name_key(contact: Record) -> str:
    return contact["contact_name"].strip().casefold()


def _by_status(org: OrgData, contacts: list[Record], filter_by: str) -> list[Record]:
    if filter_by not in STATUS_FILTERS:
        raise invalid_value("filter_by")
    if filter_by == "Status.Active":
        return [c for c in contacts if c["status"] == "active"]
    if filter_by == "Status.Inactive":
        return [c for c in contacts if c["status"] == "inactive"]
    if filter_by == "Status.Crm":
        return [c for c in contacts if is_linked(c)]
    if filter_by == "Status.Duplicate":
        names = Counter(_name_key(c) for c in org.contacts.values())
        return [c for c in contacts if names[_name_key(c)] > 1]
    return contacts


def _person_field(name: str) -> Callable[[Record], Any]:
    return lambda contact: primary_person(contact).get(name)


def _address_text(contact: Record) -> str:
    return " ".join(str(v) for v in contact["billing_address"].values() if v)


# --- routes -----------------------------------------------------------------------------------


def list_contacts(call: Call) -> Reply:
    org, query = call.org, call.query
    owed = receivables(org)
    filter_by = query.get("filter_by", "Status.All")
    contacts = _by_status(org, list(org.contacts.values()), filter_by)
    contact_type = query.get("contact_type")
    if contact_type is not None:
        if contact_type not in ("customer", "vendor"):
            raise invalid_value("contact_type")
        contacts = [c for c in contacts if c["contact_type"] == contact_type]
    readers = {
        "contact_name": lambda c: c["contact_name"],
        "company_name": lambda c: c["company_name"],
        "first_name": _person_field("first_name"),
        "last_name": _person_field("last_name"),
        "email": _person_field("email"),
        "phone": _person_field("phone"),
        "address": _address_text,
    }
    contacts = text_filters(contacts, query, readers)
    contacts = equal_filters(
        contacts, query, ("customer_sub_type", "zcrm_account_id", "zcrm_contact_id", "zcrm_vendor_id")
    )
    contacts = modified_since(contacts, query, org.tz)
    search = (query.get("search_text") or "").casefold()
    if search:
        searched = ("contact_name", "company_name", "first_name", "last_name", "email")
        contacts = [
            c for c in contacts if any(search in str(readers[f](c) or "").casefold() for f in searched)
        ]
    spec = ListSpec(
        "Contacts",
        {
            "contact_name": readers["contact_name"],
            "company_name": readers["company_name"],
            "first_name": readers["first_name"],
            "last_name": readers["last_name"],
            "email": readers["email"],
            "outstanding_receivable_amount": lambda c: owed[c["contact_id"]],
            "created_time": lambda c: c["created_time"],
            "last_modified_time": lambda c: c["last_modified_time"],
        },
        "contact_name",
    )
    selected, context = page(contacts, query, spec, filter_by)
    return ok(contacts=[contact_view(org, c, owed, full=False) for c in selected], page_context=context)


def post_contact(call: Call) -> Reply:
    contact = create_contact(call.org, call.state.ids, call.now, call.body)
    return ok(
        "The contact has been added.", 201, contact=contact_view(call.org, contact, receivables(call.org))
    )


def get_contact(call: Call) -> Reply:
    contact = find_contact(call.org, call.params["contact_id"])
    return ok(contact=contact_view(call.org, contact, receivables(call.org)))


def put_contact(call: Call) -> Reply:
    contact = update_contact(call.org, call.state.ids, call.now, call.params["contact_id"], call.body)
    return ok(
        "Contact has been updated successfully.",
        contact=contact_view(call.org, contact, receivables(call.org)),
    )


def delete_contact(call: Call) -> Reply:
    contact = find_contact(call.org, call.params["contact_id"])
    if call.org.transactions_by_contact[contact["contact_id"]]:
        raise InventoryApiError(
            Code.IN_USE, "The contact cannot be deleted as it has transactions. Mark it inactive instead."
        )
    for person in contact["contact_persons"]:
        call.org.person_owner.pop(person["contact_person_id"], None)
    del call.org.contacts[contact["contact_id"]]
    return ok("The contact has been deleted.")


def set_contact_status(status: str) -> Callable[[Call], Reply]:
    def handler(call: Call) -> Reply:
        contact = find_contact(call.org, call.params["contact_id"])
        contact["status"] = status
        contact["last_modified_time"] = call.now
        return ok(f"The contact has been marked as {status}.")

    return handler


def _person_and_contact(org: OrgData, person_id: str) -> tuple[Record, Record]:
    contact_id = org.person_owner.get(person_id)
    if contact_id is None:
        raise not_found("Contact person")
    contact = org.contacts[contact_id]
    return next(p for p in contact["contact_persons"] if p["contact_person_id"] == person_id), contact


def _person_view(org: OrgData, contact: Record, person: Record) -> Record:
    return with_times(person | {"contact_id": contact["contact_id"]}, org.tz)


def post_person(call: Call) -> Reply:
    given = ContactPersonIn.model_validate(call.body)
    if not given.contact_id:
        raise mandatory("contact_id")
    contact = find_contact(call.org, given.contact_id)
    if len(contact["contact_persons"]) >= MAX_PERSONS:
        raise _too_many_persons()
    person = _merge_person(_new_person(call.state.ids), given)
    contact["contact_persons"].append(person)
    _settle_primary(contact["contact_persons"], person if given.is_primary_contact else None)
    call.org.person_owner[person["contact_person_id"]] = contact["contact_id"]
    contact["last_modified_time"] = call.now
    return ok(
        "The contact person has been created.", 201, contact_person=_person_view(call.org, contact, person)
    )


def put_person(call: Call) -> Reply:
    given = ContactPersonIn.model_validate(call.body)
    person, contact = _person_and_contact(call.org, call.params["contact_person_id"])
    merged = _merge_person(person, given)
    person.clear()
    person.update(merged)
    if given.is_primary_contact:
        _settle_primary(contact["contact_persons"], person)
    contact["last_modified_time"] = call.now
    return ok("The contact person has been updated.", contact_person=_person_view(call.org, contact, person))


def delete_person(call: Call) -> Reply:
    person, contact = _person_and_contact(call.org, call.params["contact_person_id"])
    contact["contact_persons"].remove(person)
    _settle_primary(contact["contact_persons"], None)
    call.org.person_owner.pop(person["contact_person_id"])
    contact["last_modified_time"] = call.now
    return ok("The contact person has been deleted.")


def mark_primary(call: Call) -> Reply:
    person, contact = _person_and_contact(call.org, call.params["contact_person_id"])
    _settle_primary(contact["contact_persons"], person)
    contact["last_modified_time"] = call.now
    return ok("This contact person has been marked as your primary contact person.")


PERSONS = ListSpec(
    "Contact Persons",
    {
        "first_name": lambda p: p["first_name"],
        "last_name": lambda p: p["last_name"],
        "email": lambda p: p["email"],
    },
    "first_name",
)


def list_persons(call: Call) -> Reply:
    contact = find_contact(call.org, call.params["contact_id"])
    persons, context = page(contact["contact_persons"], call.query, PERSONS, "Status.All")
    return ok(contact_persons=[_person_view(call.org, contact, p) for p in persons], page_context=context)


def get_person(call: Call) -> Reply:
    contact = find_contact(call.org, call.params["contact_id"])
    person = next(
        (p for p in contact["contact_persons"] if p["contact_person_id"] == call.params["cp_id"]), None
    )
    if person is None:
        raise not_found("Contact person")
    return ok(contact_person=_person_view(call.org, contact, person))


ROUTES = [
    # contact persons first: `/contacts/contactpersons` must not read as a contact id
    api_route("/contacts/contactpersons", post_person, ["POST"]),
    api_route("/contacts/contactpersons/{contact_person_id}", put_person, ["PUT"]),
    api_route("/contacts/contactpersons/{contact_person_id}", delete_person, ["DELETE"]),
    api_route("/contacts/contactpersons/{contact_person_id}/primary", mark_primary, ["POST"]),
    api_route("/contacts", list_contacts, ["GET"]),
    api_route("/contacts", post_contact, ["POST"]),
    api_route("/contacts/{contact_id}", get_contact, ["GET"]),
    api_route("/contacts/{contact_id}", put_contact, ["PUT"]),
    api_route("/contacts/{contact_id}", delete_contact, ["DELETE"]),
    api_route("/contacts/{contact_id}/active", set_contact_status("active"), ["POST"]),
    api_route("/contacts/{contact_id}/inactive", set_contact_status("inactive"), ["POST"]),
    api_route("/contacts/{contact_id}/contactpersons", list_persons, ["GET"]),
    api_route("/contacts/{contact_id}/contactpersons/{cp_id}", get_person, ["GET"]),
]
