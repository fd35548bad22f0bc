"""Page cursors of the DynamoDB store: opaque, round-trippable, and refused outside their listing."""

from __future__ import annotations

import base64
import json

import pytest

from crmsync.adapters.dynamodb.pagination import Listing, decode_cursor, encode_cursor
from crmsync.domain.errors import InvalidCursorError

RUNS = Listing("INTEGRATION#int-1", "RUN#")
KEY = {"pk": {"S": "INTEGRATION#int-1"}, "sk": {"S": "RUN#20260101T000000000000Z-ab"}}


def cursor_of(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_cursor_round_trips_when_issued_for_the_listing():
    cursor = encode_cursor(KEY)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor
    assert decode_cursor(cursor, RUNS) == KEY


def test_cursor_round_trips_when_listing_is_an_index():
    listing = Listing("TENANT#t-1#INTEGRATIONS", index="gsi1")
    key = {**KEY, "gsi1pk": {"S": "TENANT#t-1#INTEGRATIONS"}, "gsi1sk": {"S": "2026#int-1"}}
    assert decode_cursor(encode_cursor(key), listing) == key


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",  # "not json"
        cursor_of([1, 2]),
        cursor_of({"pk": {"S": "INTEGRATION#int-1"}}),
        cursor_of({**KEY, "extra": {"S": "x"}}),
        cursor_of({**KEY, "sk": {"N": "1"}}),
        cursor_of({**KEY, "sk": {"S": "RUN#x", "N": "1"}}),
        cursor_of({**KEY, "pk": {"S": "INTEGRATION#int-2"}}),
        cursor_of({**KEY, "sk": {"S": "ACTIVITY#x"}}),
    ],
)
def test_decode_cursor_raises_invalid_cursor_when_not_issued_for_the_listing(cursor):
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor, RUNS)
