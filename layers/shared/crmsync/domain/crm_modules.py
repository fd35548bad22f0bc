"""The one table of facts about each CRM module the service syncs; every other table derives from it.

CRM names are the API names of zoho-api.md §1.6; inventory names those of §2.4-2.5. A module's
record kinds (`crmsync.domain.sync.model.RecordKind`): `record_kind` is the kind of a record that
becomes an inventory contact or item of its own; Contacts also have `person_kind`, a contact of an
account, which becomes a contact person of the account's customer (it has no partner id and no
inventory name of its own).

Adding a module is one entry here (plus its default field pairs in `field_catalog` and its tests
in `tests/unit/test_crm_modules.py`); adding a field the runtime always reads is one entry too.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmsync.domain.models import CrmSource, Module
from crmsync.domain.sync.model import RecordKind

# Read on every CRM list of every module: the change time, and the creation time (to recognise our
# own create after a crash).
TIMES = ("Modified_Time", "Created_Time")


@dataclass(frozen=True, slots=True)
class CrmModule:
    """Everything the service knows about one CRM module."""

    name: str  # the API name, e.g. "Accounts"
    sync_module: Module  # the module of ours that syncs it
    record_kind: RecordKind  # a record that becomes an inventory contact or item
    customer_sources: frozenset[CrmSource]  # customers: the sources that read it; empty otherwise
    name_field: str  # the CRM's mandatory name: a create needs it, a lost create is found by it
    name_label: str  # the name field in words, for a record skipped without it
    display_field: str  # the record's whole name, as shown and matched (M4)
    always_read: tuple[str, ...]  # read on every list besides the mapped fields
    partner_id_field: str  # the inventory field that keeps the CRM id of the record (partner id)
    inventory_entity: str  # the inventory entity its records become (also of its custom fields)
    inventory_name: tuple[str, str]  # (path, label): the inventory name a create there needs
    person_kind: RecordKind | None = None  # Contacts: a contact of an account (a contact person)
    read_only: frozenset[str] = frozenset()  # computed by the CRM (zoho-api.md §1.6): read, never written
    match_code: tuple[str, str] | None = None  # (CRM field, inventory field) a match also compares
    importable: bool = False  # W2: searched and imported one record at a time
    search_fields: tuple[str, ...] = ()  # W2: the fields a search result shows

    @property
    def key(self) -> str:
        """How our API names the module: `views` keys, W2 search and import (`accounts`)."""
        return self.name.lower()

    @property
    def kinds(self) -> tuple[RecordKind, ...]:
        """Every record kind a record of the module is planned as."""
        return (self.record_kind,) if self.person_kind is None else (self.record_kind, self.person_kind)


_CONTACT_NAME = ("contact_name", "display name")

CRM_MODULES: dict[str, CrmModule] = {
    module.name: module
    for module in (
        CrmModule(
            name="Accounts",
            sync_module=Module.CUSTOMERS,
            record_kind=RecordKind.ACCOUNT,
            customer_sources=frozenset({CrmSource.ACCOUNTS, CrmSource.ACCOUNTS_AND_CONTACTS}),
            name_field="Account_Name",
            name_label="account name",
            display_field="Account_Name",
            always_read=("Account_Name", *TIMES),
            partner_id_field="zcrm_account_id",
            inventory_entity="contacts",
            inventory_name=_CONTACT_NAME,
            importable=True,
            search_fields=("Account_Name", "Phone", "Website", "Billing_City", "Billing_Country"),
        ),
        CrmModule(
            name="Contacts",
            sync_module=Module.CUSTOMERS,
            record_kind=RecordKind.CONTACT,
            person_kind=RecordKind.PERSON,
            customer_sources=frozenset({CrmSource.CONTACTS, CrmSource.ACCOUNTS_AND_CONTACTS}),
            name_field="Last_Name",
            name_label="last name",
            display_field="Full_Name",
            # The parent account (Account_Name) tells a contact person from an individual customer.
            always_read=("First_Name", "Last_Name", "Full_Name", "Account_Name", *TIMES),
            read_only=frozenset({"Full_Name"}),
            partner_id_field="zcrm_contact_id",
            inventory_entity="contacts",
            inventory_name=_CONTACT_NAME,
            importable=True,
            search_fields=("First_Name", "Last_Name", "Full_Name", "Email", "Account_Name"),
        ),
        CrmModule(
            name="Vendors",
            sync_module=Module.VENDORS,
            record_kind=RecordKind.VENDOR,
            customer_sources=frozenset(),
            name_field="Vendor_Name",
            name_label="vendor name",
            display_field="Vendor_Name",
            always_read=("Vendor_Name", *TIMES),
            partner_id_field="zcrm_vendor_id",
            inventory_entity="contacts",
            inventory_name=_CONTACT_NAME,
            importable=True,
            search_fields=("Vendor_Name", "Email", "Phone", "City", "Country"),
        ),
        CrmModule(
            name="Products",
            sync_module=Module.ITEMS,
            record_kind=RecordKind.PRODUCT,
            customer_sources=frozenset(),
            name_field="Product_Name",
            name_label="product name",
            display_field="Product_Name",
            always_read=("Product_Name", "Product_Code", *TIMES),
            partner_id_field="zcrm_product_id",
            inventory_entity="items",
            inventory_name=("name", "item name"),
            match_code=("Product_Code", "sku"),
        ),
    )
}

_OF_KIND: dict[RecordKind, CrmModule] = {kind: m for m in CRM_MODULES.values() for kind in m.kinds}


def crm_module_of_kind(kind: RecordKind) -> CrmModule:
    """The CRM module a record of `kind` lives in."""
    return _OF_KIND[kind]


def sync_module_of(crm_module: str) -> Module | None:
    """The module of ours that syncs a CRM module, or None when none does (Deals, Quotes, ...)."""
    module = CRM_MODULES.get(crm_module)
    return module.sync_module if module is not None else None


def read_by(module: Module, crm_source: CrmSource | None) -> tuple[str, ...]:
    """The CRM modules a module reads, in table order; customers without a source: every one it may read."""
    if module is not Module.CUSTOMERS:
        return tuple(m.name for m in CRM_MODULES.values() if m.sync_module is module)
    source = CrmSource.ACCOUNTS_AND_CONTACTS if crm_source is None else crm_source
    return tuple(
        m.name for m in CRM_MODULES.values() if m.sync_module is module and source in m.customer_sources
    )


def inventory_name(kind: RecordKind) -> tuple[str, str] | None:
    """(path, label) of the inventory name a create of `kind` needs; None for a contact person."""
    module = crm_module_of_kind(kind)
    return module.inventory_name if kind is module.record_kind else None


def partner_id_field(kind: RecordKind) -> str | None:
    """The inventory field that keeps the CRM id of a record of `kind`; None for a contact person."""
    module = crm_module_of_kind(kind)
    return module.partner_id_field if kind is module.record_kind else None
