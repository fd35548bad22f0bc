"""Thin wrapper of the low-level DynamoDB client for one table: lazy client, typed condition failures."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from crmsync.adapters.dynamodb import batching
from crmsync.adapters.dynamodb.codec import Item, serialize
from crmsync.adapters.dynamodb.pagination import Listing, decode_cursor, encode_cursor
from crmsync.domain.errors import UnavailableError

TRANSACTION_ATTEMPTS = 5


class ConditionFailed(Exception):
    """A single-item condition was false; `item` is the stored item, or None when absent."""

    def __init__(self, item: Item | None):
        super().__init__("condition failed")
        self.item = item


class TransactionFailed(Exception):
    """A transaction was cancelled by a false condition; `reasons` align with the actions."""

    def __init__(self, reasons: list[dict[str, Any]]):
        super().__init__("transaction cancelled")
        self.reasons = reasons

    def failed_at(self, index: int) -> bool:
        return self.reasons[index].get("Code") == "ConditionalCheckFailed"


@dataclass(frozen=True)
class Condition:
    """A ConditionExpression with its placeholders (names `#x`, values `:x` as plain values)."""

    expression: str
    names: dict[str, str]
    values: dict[str, Any]

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"ConditionExpression": self.expression}
        if self.names:
            params["ExpressionAttributeNames"] = self.names
        if self.values:
            params["ExpressionAttributeValues"] = serialize(self.values)
        return params


ABSENT = Condition("attribute_not_exists(pk)", {}, {})
PRESENT = Condition("attribute_exists(pk)", {}, {})


class Table:
    def __init__(self, name: str, client_factory: Callable[[], Any]):
        self.name = name
        self._client_factory = client_factory
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._client_factory()
            return self._client

    # ------------------------------------------------------------ single items
    def get(self, key: dict[str, str]) -> Item | None:
        response = self.client.get_item(TableName=self.name, Key=serialize(key), ConsistentRead=True)
        return response.get("Item")

    def put(self, item: Item, condition: Condition | None = None) -> None:
        self._conditional(self.client.put_item, condition, Item=item)

    def update(
        self,
        key: dict[str, str],
        expression: str,
        names: dict[str, str],
        values: dict[str, Any],
        condition: Condition | None = None,
        returns: Literal["ALL_NEW", "ALL_OLD"] = "ALL_NEW",
    ) -> Item:
        """Applies the UpdateExpression; returns the item as stored afterwards (`ALL_OLD`: before)."""
        names = {**names, **(condition.names if condition else {})}
        values = {**values, **(condition.values if condition else {})}
        params = {
            "Key": serialize(key),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
            "ReturnValues": returns,
        }
        if condition:
            params["ConditionExpression"] = condition.expression
        return self._conditional(self.client.update_item, None, **params)["Attributes"]

    def delete(self, key: dict[str, str], condition: Condition | None = None) -> None:
        self._conditional(self.client.delete_item, condition, Key=serialize(key))

    def _conditional(self, call: Callable[..., dict], condition: Condition | None, **params: Any) -> dict:
        if condition:
            params.update(condition.params())
        try:
            return call(TableName=self.name, ReturnValuesOnConditionCheckFailure="ALL_OLD", **params)
        except self.client.exceptions.ConditionalCheckFailedException as err:
            raise ConditionFailed(err.response.get("Item")) from None

    # ------------------------------------------------------------ transactions
    def put_action(self, item: Item, condition: Condition | None = None) -> dict[str, Any]:
        return {"Put": {"TableName": self.name, "Item": item, **(condition.params() if condition else {})}}

    def delete_action(self, key: dict[str, str], condition: Condition | None = None) -> dict[str, Any]:
        action = {"TableName": self.name, "Key": serialize(key), **(condition.params() if condition else {})}
        return {"Delete": action}

    def check_action(self, key: dict[str, str], condition: Condition) -> dict[str, Any]:
        return {"ConditionCheck": {"TableName": self.name, "Key": serialize(key), **condition.params()}}

    def transact(self, actions: list[dict[str, Any]]) -> None:
        """TransactWriteItems; retried while it only collides with another transaction in flight."""
        for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
            try:
                self.client.transact_write_items(TransactItems=actions)
                return
            except self.client.exceptions.TransactionCanceledException as err:
                reasons = err.response.get("CancellationReasons") or []
                codes = {reason.get("Code") for reason in reasons}
                if "ConditionalCheckFailed" in codes:
                    raise TransactionFailed(reasons) from None
                if "TransactionConflict" not in codes:
                    raise
            if attempt < TRANSACTION_ATTEMPTS:
                time.sleep(batching.backoff_delay(attempt))
        raise UnavailableError("DynamoDB kept cancelling the transaction for conflicting transactions")

    # ------------------------------------------------------------ many items
    def batch_get(self, keys: Iterable[dict[str, str]]) -> list[Item]:
        return batching.batch_get(self.client, self.name, [serialize(key) for key in keys])

    def batch_put(self, items: Iterable[Item]) -> int:
        return batching.batch_write(
            self.client, self.name, [{"PutRequest": {"Item": item}} for item in items]
        )

    def batch_delete(self, keys: Iterable[Item]) -> int:
        """Deletes by typed keys (as read from a query)."""
        return batching.batch_write(self.client, self.name, [{"DeleteRequest": {"Key": key}} for key in keys])

    def page(
        self, listing: Listing, *, limit: int, cursor: str | None, newest_first: bool
    ) -> tuple[list[Item], str | None]:
        """Up to `limit` items of the listing and the cursor of the next page (None: no more)."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        params = self._query_params(listing, forward=not newest_first)
        if cursor:
            params["ExclusiveStartKey"] = decode_cursor(cursor, listing)
        response = self.client.query(Limit=limit + 1, **params)
        items = response.get("Items", [])
        if len(items) > limit:
            return items[:limit], encode_cursor(listing.key_of(items[limit - 1]))
        last_key = response.get("LastEvaluatedKey")
        return items, encode_cursor(last_key) if last_key and items else None

    def query_all(self, listing: Listing, *, keys_only: bool = False) -> Iterator[Item]:
        params = self._query_params(listing, forward=True)
        if keys_only:
            params["ProjectionExpression"] = "pk, sk"
        while True:
            response = self.client.query(**params)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _query_params(self, listing: Listing, *, forward: bool) -> dict[str, Any]:
        partition_name, sort_name = listing.key_names
        expression = "#p = :p"
        names = {"#p": partition_name}
        values: dict[str, Any] = {":p": listing.partition}
        if listing.sort_prefix:
            expression += " AND begins_with(#s, :s)"
            names["#s"] = sort_name
            values[":s"] = listing.sort_prefix
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize(values),
            "ScanIndexForward": forward,
        }
        if listing.index:
            params["IndexName"] = listing.index
        else:
            params["ConsistentRead"] = True
        return params
