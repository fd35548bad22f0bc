"""Webhook intake: channel token authentication, dedupe, routing to queues, size and shape limits."""

import json
from datetime import UTC, datetime

import boto3
import pytest

from crmsync.domain.models import IntegrationState
from tests.conftest import FakeContext, load_handler, sample_event
from tests.unit.webhook_fixtures import TOKEN, watched_integration


@pytest.fixture
def handler(aws):
    watched_integration(aws.store, datetime.now(UTC))
    return load_handler("webhook_intake")


def post(handler, integration_id="int-1", **changes):
    event = sample_event("webhook_intake", "crm_notification")
    event["path"] = f"/webhooks/crm/{integration_id}"
    event["pathParameters"] = {"integration_id": integration_id}
    body = json.loads(event["body"])
    body.update(token=TOKEN)
    body.update(changes)
    event["body"] = json.dumps(body)
    reply = handler(event, FakeContext())
    return reply["statusCode"], json.loads(reply["body"])


def queued(url):
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_deal_notification_is_queued_once_for_automation_when_delivered_twice(aws, handler):
    assert post(handler) == (200, {"status": "queued", "queued": 1})
    assert post(handler) == (200, {"status": "duplicate", "queued": 0})
    assert queued(aws.settings.automation_queue_url) == [
        {"integration_id": "int-1", "deal_id": "5725767000003000010", "operation": "update",
         "server_time": 1764067141000}
    ]


def test_account_notification_queues_a_webhook_customer_sync(aws, handler):
    assert post(handler, module="Accounts", ids=[5725767000003000011], server_time=2)[0] == 200
    assert queued(aws.settings.sync_queue_url) == [
        {"kind": "sync", "integration_id": "int-1", "module": "customers", "trigger": "webhook", "run_id": None, "step": 0}
    ]


@pytest.mark.parametrize("changes", [{"token": "wrong"}, {"token": None}, {"channel_id": "999"}])
def test_bad_channel_or_token_gets_401_and_queues_nothing(aws, handler, changes):
    status, body = post(handler, **changes)
    assert status == 401 and body["error"]["code"] == "unauthorized"
    assert queued(aws.settings.automation_queue_url) == []


def test_unknown_integration_gets_401(aws, handler):
    assert post(handler, integration_id="nope")[0] == 401


def test_disabled_integration_notification_is_dropped_with_an_activity_entry(aws, handler):
    aws.store.transition_integration("int-1", allowed_from={IntegrationState.ACTIVE}, to=IntegrationState.DISABLED)
    assert post(handler) == (200, {"status": "ignored", "queued": 0})
    assert queued(aws.settings.automation_queue_url) == []
    entries = aws.store.list_activity("int-1").items
    assert [(e.kind, e.result) for e in entries] == [("webhook", "dropped")]


def test_malformed_payload_gets_422_and_bad_json_400(aws, handler):
    status, body = post(handler, operation="explode")
    assert status == 422 and body["error"]["details"]["fields"][0]["field"] == "operation"
    event = sample_event("webhook_intake", "crm_notification")
    event["body"] = "{not json"
    assert handler(event, FakeContext())["statusCode"] == 400


def test_oversize_body_gets_413(aws, handler):
    status, body = post(handler, padding="x" * 300_000)
    assert status == 413 and body["error"]["code"] == "body_too_large"
