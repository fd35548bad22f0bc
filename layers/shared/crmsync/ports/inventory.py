"""Port for the inventory system (Zoho Inventory v1), bound to one inventory organization.

Entity values are the inventory's own field names, untouched except that ids (`*_id`) are strings.
Failures raise the errors of `crmsync.ports.errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from crmsync.domain.automation import InvoiceStanding
from crmsync.ports.budget import CallBudget

TransactionKind = Literal["estimates", "salesorders", "invoices", "purchaseorders", "expenses"]
TransactionStatus = Literal[
    "sent", "void", "draft", "confirmed", "issued", "cancelled", "accepted", "declined"
]
CustomFieldEntity = Literal[
    "contacts", "items", "estimates", "salesorders", "invoices", "purchaseorders", "expenses"
]
SortOrder = Literal["A", "D"]


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class InventoryOrganization(_Wire):
    organization_id: str
    name: str | None = None
    contact_name: str | None = None
    email: str | None = None
    is_default_org: bool = False
    plan_type: int | str | None = None
    plan_name: str | None = None
    country: str | None = None
    country_code: str | None = None
    time_zone: str | None = None
    is_org_active: bool = True
    currency_id: str | None = None
    currency_code: str | None = None


class InventoryCurrency(_Wire):
    currency_id: str
    currency_code: str
    currency_name: str | None = None
    currency_symbol: str | None = None
    is_base_currency: bool = False
    exchange_rate: float | None = None


class InventoryUser(_Wire):
    user_id: str
    name: str | None = None
    email: str | None = None
    user_role: str | None = None
    role_id: str | None = None
    status: str | None = None


class InventoryCustomField(_Wire):
    customfield_id: str
    entity: str | None = None
    index: int | None = None
    label: str
    api_name: str | None = None
    data_type: str | None = None
    is_active: bool = True
    is_mandatory: bool = False
    values: list[str] = Field(default_factory=list)


class InventoryRecord(_Wire):
    """A contact, contact person, item or transaction: its id, change time and every value."""

    id: str
    last_modified_time: datetime | None = None
    values: dict[str, Any]


class InventoryPage(_Wire):
    """One page of a listing; `next_cursor` resumes the listing after it (None at the end)."""

    records: list[InventoryRecord]
    next_cursor: str | None = None


class ListQuery(_Wire):
    """Filters of a list call; `extra` passes any other documented filter through unchanged."""

    filter_by: str | None = None
    search_text: str | None = None
    modified_after: datetime | None = None
    sort_column: str | None = None
    sort_order: SortOrder | None = None
    extra: dict[str, str] = Field(default_factory=dict)


class ItemQuery(ListQuery):
    sku: str | None = None
    name: str | None = None
    zcrm_product_id: str | None = None


class ContactQuery(ListQuery):
    contact_name: str | None = None
    email: str | None = None


class TransactionQuery(ListQuery):
    reference_number: str | None = None
    customer_id: str | None = None
    vendor_id: str | None = None
    status: str | None = None


class InventoryPort(Protocol):
    organization_id: str

    def list_organizations(self) -> list[InventoryOrganization]: ...

    def get_organization(self) -> InventoryOrganization: ...

    def list_currencies(self) -> list[InventoryCurrency]: ...

    def list_users(self) -> list[InventoryUser]: ...

    # contacts (customers and vendors) and their contact persons

    def iter_contact_pages(
        self, query: ContactQuery | None = None, *, cursor: str | None = None
    ) -> Iterator[InventoryPage]: ...

    def get_contact(self, contact_id: str) -> InventoryRecord:
        """Raises NotFound."""
        ...

    def create_contact(self, values: Mapping[str, Any]) -> InventoryRecord: ...

    def update_contact(self, contact_id: str, values: Mapping[str, Any]) -> InventoryRecord: ...

    def delete_contact(self, contact_id: str) -> None: ...

    def list_contact_persons(self, contact_id: str) -> list[InventoryRecord]: ...

    def create_contact_person(self, contact_id: str, values: Mapping[str, Any]) -> InventoryRecord: ...

    def update_contact_person(
        self, contact_id: str, contact_person_id: str, values: Mapping[str, Any]
    ) -> InventoryRecord: ...

    def delete_contact_person(self, contact_person_id: str) -> None: ...

    # items

    def iter_item_pages(
        self, query: ItemQuery | None = None, *, cursor: str | None = None
    ) -> Iterator[InventoryPage]: ...

    def get_item(self, item_id: str) -> InventoryRecord: ...

    def create_item(self, values: Mapping[str, Any]) -> InventoryRecord: ...

    def update_item(self, item_id: str, values: Mapping[str, Any]) -> InventoryRecord: ...

    def delete_item(self, item_id: str) -> None: ...

    def set_item_active(self, item_id: str, active: bool) -> None:
        """Status changes only through the active/inactive actions, never through an update."""
        ...

    # estimates, sales orders, invoices, purchase orders, expenses

    def create_transaction(
        self, kind: TransactionKind, values: Mapping[str, Any], *, ignore_auto_number: bool = False
    ) -> InventoryRecord: ...

    def get_transaction(self, kind: TransactionKind, transaction_id: str) -> InventoryRecord: ...

    def iter_transaction_pages(
        self, kind: TransactionKind, query: TransactionQuery | None = None, *, cursor: str | None = None
    ) -> Iterator[InventoryPage]: ...

    def update_transaction(
        self, kind: TransactionKind, transaction_id: str, values: Mapping[str, Any]
    ) -> InventoryRecord: ...

    def set_transaction_status(
        self, kind: TransactionKind, transaction_id: str, status: TransactionStatus
    ) -> None:
        """A status action (`POST /{kind}/{id}/status/{status}`), e.g. mark an invoice sent or void."""
        ...

    def find_transaction_by_reference(self, kind: TransactionKind, reference: str) -> InventoryRecord | None:
        """The document with exactly this reference number (the list filter may match more loosely)."""
        ...

    def get_invoice_standing(self, invoice_id: str) -> InvoiceStanding:
        """An invoice's status and payments: what decides whether it may be voided."""
        ...

    def void_invoice(self, invoice_id: str) -> None:
        """Void the invoice; an invoice that is void already is no error."""
        ...

    # custom fields

    def list_custom_fields(self, entity: CustomFieldEntity | None = None) -> list[InventoryCustomField]:
        """Custom field definitions (of one entity, or all); values travel in `custom_fields` of records."""
        ...

    def call_budget(self) -> CallBudget:
        """The organization's calls left in the pacer's window (this process's calls only) and its pace."""
        ...
