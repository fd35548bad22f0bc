"""The one table of default field mappings (M6) and the inventory's standard fields, as data.

CRM names are the API names of zoho-api.md §1.6; inventory names those of §2.4-2.5. An inventory
field is named by a path into the contact or item:

- `website`, `rate`: a top-level key.
- `billing_address.city`, `shipping_address.zip`: a key of the contact's address.
- `contact_person.email`: a key of the contact person the CRM record becomes: a CRM Contact of
  an Account becomes a contact person of the Account's customer; a Contact fetched as an
  individual customer becomes that customer's primary contact person. Inventory keeps email,
  phone and mobile only on contact persons (a contact's top-level `email`/`phone` are read-only
  copies of its primary person's), so a person's phone goes there, while the phone of an Account
  or a Vendor (a company, no person) goes to the contact's own `billing_address.phone`.
- `cf_<name>`: an inventory custom field, by the `api_name` that `GET /settings/customfields`
  reports (Zoho names them `cf_<snake_case_label>`); see `custom_field_name`.

Every default pair carries both sides' types so the sync engine can convert values: the CRM
`data_type` as `settings/fields` reports it, and the inventory field's kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from crmsync.domain.crm_modules import CRM_MODULES, read_by
from crmsync.domain.models import CrmSource, Module


class FieldKind(StrEnum):
    """What a field holds, as far as mapping goes: pairs map when their kinds are compatible."""

    TEXT = "text"
    NUMBER = "number"
    CURRENCY = "currency"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    PICKLIST = "picklist"


# CRM `data_type` -> kind. Absent types (lookup, ownerlookup, subform, multiselectpicklist,
# fileupload, ...) cannot be mapped.
CRM_KINDS: dict[str, FieldKind] = {
    "text": FieldKind.TEXT,
    "textarea": FieldKind.TEXT,
    "email": FieldKind.TEXT,
    "phone": FieldKind.TEXT,
    "website": FieldKind.TEXT,
    "autonumber": FieldKind.TEXT,
    "integer": FieldKind.NUMBER,
    "bigint": FieldKind.NUMBER,
    "double": FieldKind.NUMBER,
    "decimal": FieldKind.NUMBER,
    "percent": FieldKind.NUMBER,
    "currency": FieldKind.CURRENCY,
    "boolean": FieldKind.BOOLEAN,
    "date": FieldKind.DATE,
    "datetime": FieldKind.DATETIME,
    "picklist": FieldKind.PICKLIST,
}

# Inventory custom field `data_type` -> kind. Absent types (lookup, multiselect, ...) cannot be mapped.
INVENTORY_CUSTOM_KINDS: dict[str, FieldKind] = {
    "string": FieldKind.TEXT,
    "multiline": FieldKind.TEXT,
    "email": FieldKind.TEXT,
    "url": FieldKind.TEXT,
    "phone": FieldKind.TEXT,
    "autonumber": FieldKind.TEXT,
    "number": FieldKind.NUMBER,
    "decimal": FieldKind.NUMBER,
    "percent": FieldKind.NUMBER,
    "amount": FieldKind.CURRENCY,
    "check_box": FieldKind.BOOLEAN,
    "date": FieldKind.DATE,
    "datetime": FieldKind.DATETIME,
    "dropdown": FieldKind.PICKLIST,
}

# The inventory entity each module writes (also the `entity` of its custom fields).
INVENTORY_ENTITY: dict[Module, str] = {m.sync_module: m.inventory_entity for m in CRM_MODULES.values()}


@dataclass(frozen=True)
class InventoryField:
    name: str
    label: str
    kind: FieldKind


def _address(prefix: str, label: str) -> tuple[InventoryField, ...]:
    parts = (
        ("attention", "Attention"),
        ("address", "Street"),
        ("street2", "Street 2"),
        ("city", "City"),
        ("state", "State"),
        ("zip", "ZIP code"),
        ("country", "Country"),
        ("phone", "Phone"),
        ("fax", "Fax"),
    )
    return tuple(InventoryField(f"{prefix}.{key}", f"{label} {text}", FieldKind.TEXT) for key, text in parts)


_T = FieldKind.TEXT
_N = FieldKind.NUMBER
_C = FieldKind.CURRENCY
_B = FieldKind.BOOLEAN
_P = FieldKind.PICKLIST

# The writable standard fields an admin may map, by inventory entity.
INVENTORY_STANDARD_FIELDS: dict[str, tuple[InventoryField, ...]] = {
    "contacts": (
        InventoryField("contact_name", "Display name", _T),
        InventoryField("company_name", "Company name", _T),
        InventoryField("website", "Website", _T),
        InventoryField("notes", "Notes", _T),
        InventoryField("payment_terms", "Payment terms (days)", _N),
        InventoryField("payment_terms_label", "Payment terms label", _T),
        InventoryField("facebook", "Facebook", _T),
        InventoryField("twitter", "Twitter", _T),
        *_address("billing_address", "Billing"),
        *_address("shipping_address", "Shipping"),
        InventoryField("contact_person.salutation", "Contact person salutation", _T),
        InventoryField("contact_person.first_name", "Contact person first name", _T),
        InventoryField("contact_person.last_name", "Contact person last name", _T),
        InventoryField("contact_person.email", "Contact person email", _T),
        InventoryField("contact_person.phone", "Contact person phone", _T),
        InventoryField("contact_person.mobile", "Contact person mobile", _T),
        InventoryField("contact_person.designation", "Contact person designation", _T),
        InventoryField("contact_person.department", "Contact person department", _T),
        InventoryField("contact_person.skype", "Contact person Skype", _T),
    ),
    "items": (
        InventoryField("name", "Name", _T),
        InventoryField("sku", "SKU", _T),
        InventoryField("rate", "Selling price", _C),
        InventoryField("purchase_rate", "Purchase price", _C),
        InventoryField("description", "Sales description", _T),
        InventoryField("purchase_description", "Purchase description", _T),
        InventoryField("unit", "Unit", _T),
        InventoryField("product_type", "Product type (goods or service)", _P),
        InventoryField("status", "Active (status active or inactive)", _B),
        InventoryField("is_taxable", "Taxable", _B),
        InventoryField("reorder_level", "Reorder level", _N),
        InventoryField("upc", "UPC", _T),
        InventoryField("ean", "EAN", _T),
        InventoryField("isbn", "ISBN", _T),
        InventoryField("part_number", "Part number", _T),
    ),
}


@dataclass(frozen=True)
class DefaultPair:
    """A default mapping of a CRM field of `crm_module` to an inventory field of `module`."""

    module: Module
    crm_module: str
    crm: str
    crm_type: str
    inventory: str
    inventory_type: FieldKind


def _pairs(crm_module: str, *rows: tuple[str, str, str, FieldKind]) -> tuple[DefaultPair, ...]:
    module = CRM_MODULES[crm_module].sync_module
    return tuple(DefaultPair(module, crm_module, *row) for row in rows)


def _address_pairs(
    crm_prefix: str, zip_name: str, target: str
) -> tuple[tuple[str, str, str, FieldKind], ...]:
    parts = (
        ("Street", "address"),
        ("City", "city"),
        ("State", "state"),
        (zip_name, "zip"),
        ("Country", "country"),
    )
    return tuple((f"{crm_prefix}{crm}", "text", f"{target}.{key}", _T) for crm, key in parts)


# Usage_Unit is left out on purpose: it is a CRM picklist with fixed values, and the inventory's
# free-text unit ("pcs", "hrs") would be refused on every two-way push. An admin may map it.
DEFAULT_FIELD_MAP: tuple[DefaultPair, ...] = (
    *_pairs(
        "Accounts",
        ("Account_Name", "text", "contact_name", _T),
        ("Account_Name", "text", "company_name", _T),
        ("Phone", "phone", "billing_address.phone", _T),
        ("Fax", "phone", "billing_address.fax", _T),
        ("Website", "website", "website", _T),
        *_address_pairs("Billing_", "Code", "billing_address"),
        *_address_pairs("Shipping_", "Code", "shipping_address"),
        ("Description", "textarea", "notes", _T),
    ),
    *_pairs(
        "Contacts",
        ("Full_Name", "text", "contact_name", _T),
        ("Salutation", "picklist", "contact_person.salutation", _T),
        ("First_Name", "text", "contact_person.first_name", _T),
        ("Last_Name", "text", "contact_person.last_name", _T),
        ("Email", "email", "contact_person.email", _T),
        ("Phone", "phone", "contact_person.phone", _T),
        ("Mobile", "phone", "contact_person.mobile", _T),
        ("Title", "text", "contact_person.designation", _T),
        ("Department", "text", "contact_person.department", _T),
        *_address_pairs("Mailing_", "Zip", "billing_address"),
        *_address_pairs("Other_", "Zip", "shipping_address"),
        ("Description", "textarea", "notes", _T),
    ),
    *_pairs(
        "Vendors",
        ("Vendor_Name", "text", "contact_name", _T),
        ("Vendor_Name", "text", "company_name", _T),
        ("Email", "email", "contact_person.email", _T),
        ("Phone", "phone", "billing_address.phone", _T),
        ("Website", "website", "website", _T),
        *_address_pairs("", "Zip_Code", "billing_address"),
        ("Description", "textarea", "notes", _T),
    ),
    *_pairs(
        "Products",
        ("Product_Name", "text", "name", _T),
        ("Product_Code", "text", "sku", _T),
        ("Unit_Price", "currency", "rate", _C),
        ("Description", "textarea", "description", _T),
        ("Product_Active", "boolean", "status", _B),
        ("Taxable", "boolean", "is_taxable", _B),
    ),
)


def crm_modules(module: Module, crm_source: CrmSource | None) -> tuple[str, ...]:
    """The CRM modules a module reads; customers without a source: both it may read."""
    return read_by(module, crm_source)


def default_map(module: Module, crm_source: CrmSource | None) -> tuple[DefaultPair, ...]:
    """The default pairs of a module, for the CRM modules it reads."""
    read = crm_modules(module, crm_source)
    return tuple(pair for pair in DEFAULT_FIELD_MAP if pair.module is module and pair.crm_module in read)


def custom_field_name(api_name: str | None, label: str) -> str:
    """How a field map names an inventory custom field: its api_name, else `cf_` + snake_case label."""
    return api_name or "cf_" + re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_")
