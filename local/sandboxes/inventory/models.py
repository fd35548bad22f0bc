"""Request bodies as Zoho Inventory accepts them (validated at the boundary, extra keys kept)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class WireModel(BaseModel):
    """Unknown keys are kept and echoed back; ids sent as JSON numbers become strings."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)


class Address(WireModel):
    attention: str | None = None
    address: str | None = Field(None, max_length=500)
    street2: str | None = Field(None, max_length=255)
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    phone: str | None = None
    fax: str | None = None


class CustomFieldValue(WireModel):
    customfield_id: str | None = None
    index: int | None = None
    api_name: str | None = None
    label: str | None = None
    value: Any = None


class ContactPersonIn(WireModel):
    contact_id: str | None = None  # only on `POST /contacts/contactpersons`
    contact_person_id: str | None = None  # only inside a contact update
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    designation: str | None = None
    department: str | None = None
    skype: str | None = None
    is_primary_contact: bool | None = None
    enable_portal: bool | None = None
    communication_preference: dict[str, Any] | None = None


class ContactIn(WireModel):
    contact_name: str | None = Field(None, max_length=200)
    company_name: str | None = None
    contact_type: Literal["customer", "vendor"] | None = None
    customer_sub_type: Literal["business", "individual"] | None = None
    website: str | None = None
    payment_terms: int | None = None
    payment_terms_label: str | None = None
    currency_id: str | None = None
    notes: str | None = None
    language_code: str | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    contact_persons: list[ContactPersonIn] | None = None
    custom_fields: list[CustomFieldValue] | None = None
    zcrm_account_id: str | None = None
    zcrm_contact_id: str | None = None
    zcrm_vendor_id: str | None = None


class ItemIn(WireModel):
    name: str | None = None
    sku: str | None = None
    rate: float | None = None
    purchase_rate: float | None = None
    description: str | None = None
    purchase_description: str | None = None
    unit: str | None = None
    product_type: Literal["goods", "service"] | None = None
    item_type: Literal["inventory", "sales", "purchases", "sales_and_purchases"] | None = None
    is_taxable: bool | None = None
    tax_id: str | None = None
    reorder_level: float | None = None
    vendor_id: str | None = None
    initial_stock: float | None = None
    upc: str | None = None
    ean: str | None = None
    isbn: str | None = None
    part_number: str | None = None
    zcrm_product_id: str | None = None
    custom_fields: list[CustomFieldValue] | None = None


class LineItemIn(WireModel):
    line_item_id: str | None = None
    item_id: str | None = None
    name: str | None = None
    description: str | None = Field(None, max_length=2000)
    rate: float | None = None
    purchase_rate: float | None = None
    quantity: float = Field(1.0, gt=0)
    unit: str | None = None
    discount: float | None = None
    tax_id: str | None = None
    item_order: int | None = None


class TransactionIn(WireModel):
    """Estimates, sales orders, invoices, purchase orders and expenses share this shape."""

    customer_id: str | None = None
    vendor_id: str | None = None
    reference_number: str | None = None
    date: str | None = None
    due_date: str | None = None
    line_items: list[LineItemIn] | None = None
    custom_fields: list[CustomFieldValue] | None = None
    discount: float | None = None
    shipping_charge: float | None = None
    adjustment: float | None = None
    amount: float | None = None  # expenses
    zcrm_potential_id: str | None = None
    zcrm_potential_name: str | None = None


class AppliedPayment(WireModel):
    invoice_id: str
    amount_applied: float = Field(gt=0)


class CustomerPaymentIn(WireModel):
    customer_id: str | None = None
    payment_mode: str = "cash"
    amount: float | None = Field(None, gt=0)
    date: str | None = None
    reference_number: str | None = None
    invoices: list[AppliedPayment] = Field(default_factory=list)
