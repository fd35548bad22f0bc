"""Webhook intake cannot lose work (hardening issue, point 1): the largest notification the CRM sends
(1,000 deal ids) is queued in SendMessageBatch calls, each id exactly once, also when the first
attempt is cut off half way, and a retry queues only the rest."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from crmsync.domain.errors import UnavailableError
from crmsync.services.intake import DELIVERY_LEASE
from tests.conftest import FakeContext, load_handler, sample_event
from tests.unit.webhook_fixtures import TOKEN, watched_integration

IDS = [str(5725767000003000000 + n) for n in range(1000)]


class Clock:
    """The container's clock (the store's too); `advance` moves it on."""

    def __init__(self):
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock(aws):
    aws.clock = Clock()  # before the store is built, so that it reads the same clock
    return aws.clock


@pytest.fixture
def intake(aws, clock):
    watched_integration(aws.store, clock())
    return load_handler("webhook_intake")


class Context(FakeContext):
    def __init__(self, remaining_ms: int = 10_000):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def post(handler, ids=IDS, context=None):
    event = sample_event("webhook_intake", "crm_notification")
    event["path"] = "/webhooks/crm/int-1"
    event["pathParameters"] = {"integration_id": "int-1"}
    body = json.loads(event["body"]) | {"token": TOKEN, "ids": ids}
    event["body"] = json.dumps(body)
    reply = handler(event, context or Context())
    return reply["statusCode"], json.loads(reply["body"]), reply.get("multiValueHeaders") or reply.get("headers")


class RecordingSqs:
    """Stands in for boto3's SQS client in SendMessageBatch (moto's SQS takes about a minute for 1,000
    messages); `test_recording_sqs_answers_as_sqs_does` holds it to moto. After `fail_after` calls the
    function dies, as a Lambda killed at its timeout would, before the next one."""

    def __init__(self, fail_after: int | None = None):
        self.fail_after, self.calls, self.bodies = fail_after, 0, []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict]) -> dict:
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise TimeoutError("Task timed out")
        self.calls += 1
        self.bodies += [entry["MessageBody"] for entry in Entries]
        return {"Successful": [{"Id": entry["Id"], "MessageId": entry["Id"]} for entry in Entries], "Failed": []}

    def deal_ids(self) -> Counter:
        return Counter(json.loads(body)["deal_id"] for body in self.bodies)


EXACTLY_ONCE = Counter({deal_id: 1 for deal_id in IDS})


def test_thousand_deal_ids_are_queued_once_each_in_batches_of_ten(aws, intake):
    sqs = aws.automation_queue.__dict__["_client"] = RecordingSqs()
    assert post(intake)[:2] == (200, {"status": "queued", "queued": 1000})
    assert sqs.calls == 100 and sqs.deal_ids() == EXACTLY_ONCE
    assert post(intake)[:2] == (200, {"status": "duplicate", "queued": 0})
    assert sqs.calls == 100


def test_a_retry_after_a_cut_off_queues_only_the_rest(aws, intake, clock):
    dying = aws.automation_queue.__dict__["_client"] = RecordingSqs(fail_after=50)  # dies half way
    assert post(intake)[0] == 500  # the CRM sees the request fail
    sqs = aws.automation_queue.__dict__["_client"] = RecordingSqs()
    status, body, headers = post(intake)  # the CRM retries at once: the first attempt's lease still holds
    assert status == 503 and body["error"]["code"] == "unavailable" and headers["Retry-After"] == ["5"]
    clock.advance(DELIVERY_LEASE + timedelta(seconds=1))  # the first attempt's lease ran out
    assert post(intake)[:2] == (200, {"status": "queued", "queued": 1000})
    assert dying.deal_ids() + sqs.deal_ids() == EXACTLY_ONCE


def test_running_out_of_time_answers_503_and_the_retry_finishes(aws, intake, clock):
    sqs = aws.automation_queue.__dict__["_client"] = RecordingSqs()
    status, body, headers = post(intake, context=Context(remaining_ms=2_000))  # nothing left after the margin
    assert status == 503 and "retry it to queue the rest" in body["error"]["message"]
    assert headers["Retry-After"] == ["5"] and sqs.calls == 0
    clock.advance(DELIVERY_LEASE + timedelta(seconds=1))
    assert post(intake)[:2] == (200, {"status": "queued", "queued": 1000})
    assert sqs.deal_ids() == EXACTLY_ONCE


def test_recording_sqs_answers_as_sqs_does(aws):
    sqs = boto3.client("sqs")
    entries = [{"Id": str(n), "MessageBody": json.dumps({"deal_id": str(n)})} for n in range(10)]
    real = sqs.send_message_batch(QueueUrl=aws.settings.automation_queue_url, Entries=entries)
    recorded = RecordingSqs().send_message_batch(QueueUrl=aws.settings.automation_queue_url, Entries=entries)
    assert sorted(s["Id"] for s in real["Successful"]) == sorted(s["Id"] for s in recorded["Successful"])
    assert real.get("Failed", []) == recorded["Failed"]
    received = sqs.receive_message(QueueUrl=aws.settings.automation_queue_url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in received) == sorted(e["MessageBody"] for e in entries)
def test_a_batch_the_queue_keeps_refusing_is_unavailable(aws):
    class Refusing:
        def send_message_batch(self, QueueUrl, Entries):
            return {"Successful": [], "Failed": [{"Id": e["Id"], "SenderFault": False} for e in Entries]}

    queue = aws.automation_queue
    queue.__dict__["_client"] = Refusing()
    from crmsync.contracts.queues import DealEventMessage

    message = DealEventMessage(integration_id="i", deal_id="1", operation="update", server_time=1)
    with pytest.raises(UnavailableError):
        queue.send_batch([message])
