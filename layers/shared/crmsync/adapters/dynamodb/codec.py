"""Domain model <-> DynamoDB item (low-level attribute values).

A record is stored as its JSON-mode dump, one attribute per field, beside its key
attributes. Fields that hold vendor data of any shape (`json_fields`) are stored
as one JSON string, so they round-trip exactly (no float/Decimal drift).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

Item = dict[str, dict[str, Any]]

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attribute(value: Any) -> dict[str, Any]:
    """One plain JSON value as a DynamoDB attribute value."""
    return _serializer.serialize(_decimals(value))


def serialize(values: Mapping[str, Any]) -> Item:
    return {name: to_attribute(value) for name, value in values.items()}


def deserialize(item: Item) -> dict[str, Any]:
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()}


def encode(model: BaseModel, extra: Mapping[str, Any], json_fields: Collection[str] = ()) -> Item:
    """The item for `model`, with `extra` attributes: its key and index keys, a TTL."""
    values = model.model_dump(mode="json")
    for name in json_fields:
        values[name] = json.dumps(values[name], sort_keys=True, separators=(",", ":"))
    return serialize({**values, **extra})


def decode[M: BaseModel](item: Item, model_type: type[M], json_fields: Collection[str] = ()) -> M:
    values = deserialize(item)
    for name in json_fields:
        if name in values:
            values[name] = json.loads(values[name])
    return model_type.model_validate(values)


def _decimals(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_decimals(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
