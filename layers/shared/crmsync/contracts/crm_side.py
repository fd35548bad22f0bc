"""Inputs of the CRM-side transaction routes (T1, T2) that the transactions service consumes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, model_validator

from crmsync.contracts.strict import Strict

CrmId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


class CustomFieldIn(Strict):
    """An inventory custom field of the transaction, named by api_name (`cf_sales_channel`), label or id."""

    api_name: str | None = Field(default=None, max_length=100)
    label: str | None = Field(default=None, max_length=100)
    customfield_id: str | None = Field(default=None, max_length=40)
    value: str | float | StrictBool | None

    @model_validator(mode="after")
    def _named(self) -> CustomFieldIn:
        if not (self.api_name or self.label or self.customfield_id):
            raise ValueError("name the custom field by api_name, label or customfield_id")
        return self


class LineItemIn(Strict):
    """A line by CRM product id; rate defaults to the item's rate in inventory."""

    product_id: CrmId
    quantity: float = Field(default=1, gt=0, le=1_000_000)
    rate: float | None = Field(default=None, ge=0)
    description: str | None = Field(default=None, max_length=2000)


class CrmSideTransactionIn(Strict):
    """Body of `POST .../crm-side/quotes` and `.../crm-side/sales-orders`: exactly one of the CRM
    account or contact the document is for; lines by CRM product id."""

    account_id: CrmId | None = None
    contact_id: CrmId | None = None
    deal_id: CrmId | None = None
    line_items: list[LineItemIn] = Field(min_length=1, max_length=200)
    custom_fields: list[CustomFieldIn] = Field(default_factory=list, max_length=50)
    reference_number: str | None = Field(default=None, max_length=100)
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    notes: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _one_customer(self) -> CrmSideTransactionIn:
        if (self.account_id is None) == (self.contact_id is None):
            raise ValueError("give exactly one of account_id or contact_id")
        return self
