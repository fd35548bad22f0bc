"""Webhook intake for automation (S2, T1): CRM-native transactions are queued for the trigger function;
the trigger function logs why a message fails and when it goes to the dead-letter queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from crmsync.domain.models import Integration, NotificationChannel, Role
from crmsync.services.intake import token_hash
from tests.conftest import FakeContext, load_handler, sample_event

TOKEN = "channel-token-123"


@pytest.fixture
def handler(aws):
    now = datetime.now(UTC)
    aws.store.create_integration(
        Integration(
            integration_id="int-1",
            tenant_id="t-1",
            role=Role.PRIMARY,
            crm_org_id="crm-1",
            inventory_org_id="inv-1",
            crm_data_center="com",
            inventory_data_center="com",
            two_way=True,
            created_at=now,
            updated_at=now,
            channel=NotificationChannel(
                channel_ids=("1000000068001",),
                token_hash=token_hash(TOKEN),
                expires_at=now + timedelta(days=7),
            ),
        )
    )
    return load_handler("webhook_intake")


def post(handler, **changes):
    event = sample_event("webhook_intake", "crm_notification")
    event["path"] = "/webhooks/crm/int-1"
    event["pathParameters"] = {"integration_id": "int-1"}
    event["body"] = json.dumps({**json.loads(event["body"]), "token": TOKEN, **changes})
    reply = handler(event, FakeContext())
    return reply["statusCode"], json.loads(reply["body"])


def queued(url):
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_crm_native_orders_created_in_the_crm_are_queued_for_the_trigger_one_per_record(aws, handler):
    assert post(handler, module="Sales_Orders", operation="insert", ids=["11", "12"]) == (
        200,
        {"status": "queued", "queued": 2},
    )
    assert sorted(m["record_id"] for m in queued(aws.settings.automation_queue_url)) == ["11", "12"]


def test_edits_of_crm_native_orders_are_not_queued(aws, handler):
    assert post(handler, module="Quotes", operation="update", ids=["11"]) == (
        200,
        {"status": "queued", "queued": 0},
    )
    assert queued(aws.settings.automation_queue_url) == [] and queued(aws.settings.sync_queue_url) == []


def test_a_failing_message_logs_its_reason_and_the_last_attempt_names_the_dead_letter_queue(aws, caplog):
    trigger = load_handler("trigger_automation")
    event = sample_event("trigger_automation", "mixed_batch")
    event["Records"][1]["attributes"]["ApproximateReceiveCount"] = "5"
    assert trigger(event, FakeContext()) == {"batchItemFailures": [{"itemIdentifier": "msg-2"}]}
    [failure] = [r for r in caplog.records if getattr(r, "message_id", None) == "msg-2"]
    assert failure.getMessage() == "automation message goes to the dead-letter queue"
    assert failure.attempt == 5 and "ValidationError" in failure.reason


def test_crm_transaction_event_for_an_unknown_integration_is_dropped(aws):
    trigger = load_handler("trigger_automation")
    assert trigger(sample_event("trigger_automation", "crm_transaction_event"), FakeContext()) == {
        "batchItemFailures": []
    }
