"""Where each kind of record lives on each side: CRM module, inventory entity, partner-id field."""

from __future__ import annotations

from crmsync.domain.models import Module
from crmsync.domain.sync.field_views import CRM_MODULE_OF_KIND
from crmsync.domain.sync.model import RecordKind

CRM_MODULE = CRM_MODULE_OF_KIND  # the CRM module of each record kind

CRM_NAME_FIELD: dict[str, str] = {
    "Accounts": "Account_Name",
    "Contacts": "Last_Name",
    "Vendors": "Vendor_Name",
    "Products": "Product_Name",
}

# The inventory field that keeps the CRM id of a record (the partner id), so a lost mapping or a
# create that got no answer can be found again without guessing by name.
PARTNER_ID_FIELD: dict[RecordKind, str] = {
    RecordKind.ACCOUNT: "zcrm_account_id",
    RecordKind.CONTACT: "zcrm_contact_id",
    RecordKind.VENDOR: "zcrm_vendor_id",
    RecordKind.PRODUCT: "zcrm_product_id",
}


def inventory_kind(module: Module, values: dict) -> RecordKind:
    """The kind of an inventory contact or item as the planner sees it (M1, M3)."""
    if module is Module.ITEMS:
        return RecordKind.PRODUCT
    if module is Module.VENDORS:
        return RecordKind.VENDOR
    return RecordKind.CONTACT if values.get("customer_sub_type") == "individual" else RecordKind.ACCOUNT


def contact_type(module: Module) -> str:
    return "vendor" if module is Module.VENDORS else "customer"
