"""Opaque page cursors: base64url of the last key's JSON, checked against the listing on the way back."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from crmsync.domain.errors import InvalidCursorError

Item = dict[str, dict[str, Any]]

INDEX_KEYS: dict[str | None, tuple[str, str]] = {
    None: ("pk", "sk"),
    "gsi1": ("gsi1pk", "gsi1sk"),
    "gsi2": ("gsi2pk", "gsi2sk"),
}


@dataclass(frozen=True)
class Listing:
    """One partition of the table or of an index, optionally narrowed to a sort key prefix."""

    partition: str
    sort_prefix: str = ""
    index: str | None = None

    @property
    def key_names(self) -> tuple[str, str]:
        return INDEX_KEYS[self.index]

    @property
    def cursor_attributes(self) -> set[str]:
        """The attributes of LastEvaluatedKey: the table key plus the index key."""
        return {"pk", "sk", *self.key_names}

    def key_of(self, item: Item) -> Item:
        return {name: item[name] for name in self.cursor_attributes}


def encode_cursor(last_key: Item) -> str:
    raw = json.dumps(last_key, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, listing: Listing) -> Item:
    """The ExclusiveStartKey for `listing`; InvalidCursorError unless `cursor` was issued for it."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as err:
        raise InvalidCursorError("the cursor is not one this service issued") from err
    if not (isinstance(key, dict) and set(key) == listing.cursor_attributes):
        raise InvalidCursorError("the cursor does not belong to this listing")
    values = {name: value.get("S") if isinstance(value, dict) else None for name, value in key.items()}
    if any(not isinstance(value, str) or len(key[name]) != 1 for name, value in values.items()):
        raise InvalidCursorError("the cursor does not belong to this listing")
    partition_name, sort_name = listing.key_names
    if values[partition_name] != listing.partition or not values[sort_name].startswith(listing.sort_prefix):
        raise InvalidCursorError("the cursor does not belong to this listing")
    return key
