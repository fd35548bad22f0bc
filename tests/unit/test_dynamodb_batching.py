"""DynamoDB batch calls: chunk sizes, retry of unprocessed items and keys, giving up; transaction retries."""

from __future__ import annotations

import pytest

from crmsync.adapters.dynamodb import batching
from crmsync.adapters.dynamodb.table import TRANSACTION_ATTEMPTS, Table, TransactionFailed
from crmsync.domain.errors import UnavailableError


def put(n: int) -> dict:
    return {"PutRequest": {"Item": {"pk": {"S": f"P#{n}"}, "sk": {"S": "X"}, "n": {"N": str(n)}}}}


class StubClient:
    """Answers batch calls like DynamoDB, leaving the first `unprocessed` entries of the first call undone."""

    def __init__(self, unprocessed: int = 0, always: bool = False):
        self.unprocessed = unprocessed
        self.always = always
        self.calls: list[list] = []

    def _leftover(self, entries: list) -> list:
        if self.always or len(self.calls) == 1:
            return entries[: self.unprocessed]
        return []

    def batch_write_item(self, RequestItems):
        [(table, requests)] = RequestItems.items()
        self.calls.append(requests)
        leftover = self._leftover(requests)
        return {"UnprocessedItems": {table: leftover} if leftover else {}}

    def batch_get_item(self, RequestItems):
        [(table, request)] = RequestItems.items()
        keys = request["Keys"]
        self.calls.append(keys)
        leftover = self._leftover(keys)
        answered = [key for key in keys if key not in leftover]
        unprocessed = {table: {"Keys": leftover, "ConsistentRead": True}} if leftover else {}
        return {"Responses": {table: answered}, "UnprocessedKeys": unprocessed}


def test_batch_write_sends_chunks_of_25_when_given_60_items():
    client, sleeps = StubClient(), []
    sent = batching.batch_write(client, "t", [put(n) for n in range(60)], sleep=sleeps.append)
    assert sent == 60
    assert [len(call) for call in client.calls] == [25, 25, 10]
    assert sleeps == []


def test_batch_write_retries_unprocessed_items_after_a_backoff_when_throttled():
    client, sleeps = StubClient(unprocessed=3), []
    batching.batch_write(client, "t", [put(n) for n in range(60)], sleep=sleeps.append)
    assert [len(call) for call in client.calls] == [25, 3, 25, 10]
    assert client.calls[1] == client.calls[0][:3]
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= batching.MAX_DELAY


def test_batch_write_raises_unavailable_when_items_stay_unprocessed():
    client, sleeps = StubClient(unprocessed=2, always=True), []
    with pytest.raises(UnavailableError):
        batching.batch_write(client, "t", [put(n) for n in range(5)], sleep=sleeps.append)
    assert len(client.calls) == batching.MAX_ATTEMPTS
    assert len(sleeps) == batching.MAX_ATTEMPTS - 1


def test_batch_write_keeps_the_last_request_when_a_key_repeats():
    client = StubClient()
    first, last = put(1), put(1)
    last["PutRequest"]["Item"]["n"] = {"N": "99"}
    assert batching.batch_write(client, "t", [first, put(2), last], sleep=lambda _: None) == 2
    assert last in client.calls[0] and first not in client.calls[0]


def test_batch_get_sends_chunks_of_100_and_retries_unprocessed_keys_when_throttled():
    client, sleeps = StubClient(unprocessed=5), []
    keys = [{"pk": {"S": f"P#{n}"}, "sk": {"S": "X"}} for n in range(250)]
    found = batching.batch_get(client, "t", keys + keys[:10], sleep=sleeps.append)
    assert [len(call) for call in client.calls] == [100, 5, 100, 50]
    assert sorted(found, key=lambda k: k["pk"]["S"]) == sorted(keys, key=lambda k: k["pk"]["S"])
    assert len(sleeps) == 1


class Cancelled(Exception):
    def __init__(self, codes: list[str]):
        self.response = {"CancellationReasons": [{"Code": code} for code in codes]}


class TransactClient:
    """Cancels the first calls with the given reason codes, then succeeds."""

    class exceptions:
        TransactionCanceledException = Cancelled

    def __init__(self, *cancellations: list[str]):
        self.cancellations = list(cancellations)
        self.calls = 0

    def transact_write_items(self, TransactItems):
        self.calls += 1
        if self.cancellations:
            raise Cancelled(self.cancellations.pop(0))


def test_transact_retries_when_cancelled_by_a_concurrent_transaction():
    client = TransactClient(["None", "TransactionConflict"])
    Table("t", lambda: client).transact([{"Put": {}}])
    assert client.calls == 2


def test_transact_raises_unavailable_when_conflicts_persist():
    client = TransactClient(*[["TransactionConflict"]] * 10)
    with pytest.raises(UnavailableError):
        Table("t", lambda: client).transact([{"Put": {}}])
    assert client.calls == TRANSACTION_ATTEMPTS


def test_transact_raises_transaction_failed_when_a_condition_is_false():
    client = TransactClient(["ConditionalCheckFailed", "None"])
    with pytest.raises(TransactionFailed) as raised:
        Table("t", lambda: client).transact([{"Put": {}}, {"Put": {}}])
    assert raised.value.failed_at(0) and not raised.value.failed_at(1)
    assert client.calls == 1
