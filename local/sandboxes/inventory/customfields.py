"""Custom field definitions of an organization and the values records carry for them."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from .errors import Code, InventoryApiError
from .models import CustomFieldValue

ENTITIES = ("contacts", "items", "estimates", "salesorders", "invoices", "purchaseorders", "expenses")
TRANSACTION_ENTITIES = ENTITIES[2:]

DataType = Literal["string", "number", "decimal", "date", "check_box", "dropdown", "email", "url"]


class CustomFieldDefinition(BaseModel):
    customfield_id: str
    entity: str
    index: int
    label: str
    api_name: str
    data_type: DataType = "string"
    is_active: bool = True
    is_mandatory: bool = False
    values: list[str] = []  # dropdown options


def default_definitions() -> dict[str, list[dict[str, Any]]]:
    """The custom fields every sandbox organization starts with, by entity."""
    transaction = [
        {"label": "CRM Deal ID", "api_name": "cf_crm_deal_id"},
        {
            "label": "Sales Channel",
            "api_name": "cf_sales_channel",
            "data_type": "dropdown",
            "values": ["Online", "Retail", "Partner"],
        },
    ]
    return {
        "contacts": [
            {
                "label": "Region",
                "api_name": "cf_region",
                "data_type": "dropdown",
                "values": ["North", "South", "East", "West"],
            },
            {"label": "Credit Limit", "api_name": "cf_credit_limit", "data_type": "decimal"},
            {"label": "VIP", "api_name": "cf_vip", "data_type": "check_box"},
            {"label": "Customer Since", "api_name": "cf_customer_since", "data_type": "date"},
        ],
        "items": [
            {"label": "Brand", "api_name": "cf_brand"},
            {"label": "Warranty Months", "api_name": "cf_warranty_months", "data_type": "number"},
        ],
    } | {entity: transaction for entity in TRANSACTION_ENTITIES}


def entity_name(raw: str) -> str:
    """`contact` and `contacts` both name the contacts entity."""
    name = raw.strip().lower()
    for entity in ENTITIES:
        if name in (entity, entity.removesuffix("s")):
            return entity
    raise InventoryApiError(Code.INVALID_VALUE, "Invalid value passed for entity")


def resolve(
    definitions: list[CustomFieldDefinition], values: list[CustomFieldValue], current: dict[str, Any]
) -> dict[str, Any]:
    """Merge `values` into `current` (customfield_id -> value); null or "" clears a field."""
    merged = dict(current)
    for position, given in enumerate(values):
        definition = _find(definitions, given, position)
        value = _checked(definition, given.value)
        if value is None:
            merged.pop(definition.customfield_id, None)
        else:
            merged[definition.customfield_id] = value
    return merged


def render(definitions: list[CustomFieldDefinition], stored: dict[str, Any]) -> dict[str, Any]:
    """`custom_fields` list and `custom_field_hash` as a record shows them."""
    shown = [d for d in definitions if d.customfield_id in stored]
    return {
        "custom_fields": [
            {
                "customfield_id": d.customfield_id,
                "index": d.index,
                "label": d.label,
                "api_name": d.api_name,
                "data_type": d.data_type,
                "value": stored[d.customfield_id],
                "value_formatted": _formatted(stored[d.customfield_id]),
            }
            for d in shown
        ],
        "custom_field_hash": {d.api_name: stored[d.customfield_id] for d in shown},
    }


def _find(
    definitions: list[CustomFieldDefinition], given: CustomFieldValue, position: int
) -> CustomFieldDefinition:
    for definition in definitions:
        if (
            (given.customfield_id is not None and given.customfield_id == definition.customfield_id)
            or (given.index is not None and given.index == definition.index)
            or (given.api_name is not None and given.api_name == definition.api_name)
            or (given.label is not None and given.label == definition.label)
        ):
            return definition
    raise InventoryApiError(
        Code.INVALID_VALUE,
        f"Invalid value passed for custom_fields[{position}]: no such custom field "
        "(name it by customfield_id, index, api_name or label; see GET /settings/customfields)",
    )


def _checked(definition: CustomFieldDefinition, value: Any) -> Any:
    if value is None or value == "":
        return None
    if definition.data_type in ("number", "decimal"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _bad(definition) from None
        return int(number) if definition.data_type == "number" and number.is_integer() else number
    if definition.data_type == "check_box":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise _bad(definition)
    if definition.data_type == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise _bad(definition) from None
    if definition.data_type == "dropdown" and str(value) not in definition.values:
        raise _bad(definition)
    return str(value)


def _bad(definition: CustomFieldDefinition) -> InventoryApiError:
    return InventoryApiError(Code.INVALID_VALUE, f"Invalid value passed for {definition.label}")


def _formatted(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
