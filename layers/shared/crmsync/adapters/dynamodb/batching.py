"""BatchWriteItem and BatchGetItem within DynamoDB's limits, retrying what comes back unprocessed.

DynamoDB takes at most 25 writes and 100 keys per call, and may return part of a
batch as UnprocessedItems / UnprocessedKeys when throttled: that part is sent
again after an exponential backoff with full jitter, a bounded number of times.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from itertools import batched
from typing import Any

from crmsync.domain.errors import UnavailableError

WRITE_CHUNK = 25
GET_CHUNK = 100
MAX_ATTEMPTS = 8
BASE_DELAY = 0.05
MAX_DELAY = 2.0

Item = dict[str, dict[str, Any]]
WriteRequest = dict[str, dict[str, Item]]  # {"PutRequest": {"Item": ...}} or {"DeleteRequest": {"Key": ...}}


def backoff_delay(attempt: int) -> float:
    """Full-jitter exponential backoff for retry number `attempt` (1-based)."""
    return random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2**attempt))


def batch_write(
    client: Any,
    table_name: str,
    requests: Iterable[WriteRequest],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Sends every put/delete request; returns how many were sent.

    A key repeated in `requests` keeps only its last request (DynamoDB refuses
    duplicates within one call).
    """
    unique = {_key_of(request): request for request in requests}
    for chunk in batched(unique.values(), WRITE_CHUNK):
        pending: dict[str, list[WriteRequest]] = {table_name: list(chunk)}
        for attempt in range(1, MAX_ATTEMPTS + 1):
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                break
            if attempt == MAX_ATTEMPTS:
                raise UnavailableError(f"DynamoDB left {len(pending[table_name])} writes unprocessed")
            sleep(backoff_delay(attempt))
    return len(unique)


def batch_get(
    client: Any,
    table_name: str,
    keys: Iterable[Item],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Item]:
    """Every item found for `keys` (strongly consistent), in no particular order."""
    unique = {json.dumps(key, sort_keys=True): key for key in keys}
    found: list[Item] = []
    for chunk in batched(unique.values(), GET_CHUNK):
        pending: dict[str, Any] = {table_name: {"Keys": list(chunk), "ConsistentRead": True}}
        for attempt in range(1, MAX_ATTEMPTS + 1):
            response = client.batch_get_item(RequestItems=pending)
            found.extend(response.get("Responses", {}).get(table_name, []))
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                break
            if attempt == MAX_ATTEMPTS:
                raise UnavailableError(f"DynamoDB left {len(pending[table_name]['Keys'])} reads unprocessed")
            sleep(backoff_delay(attempt))
    return found


def _key_of(request: WriteRequest) -> str:
    if "PutRequest" in request:
        item = request["PutRequest"]["Item"]
        key = {"pk": item["pk"], "sk": item["sk"]}
    else:
        key = request["DeleteRequest"]["Key"]
    return json.dumps(key, sort_keys=True)
