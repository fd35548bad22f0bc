"""The local stack drives the real handlers as AWS would: gateway + authorizer, schedule, SQS + DLQ."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest

from local.aws_local import client
from local.stack import LocalStack

pytestmark = pytest.mark.stack

AUTHORIZER = "AuthorizerFunction"
SCHEDULED = "ScheduledSyncFunction"
WORKER = "SyncWorkerFunction"


def calls(stack: LocalStack, function: str) -> list[dict]:
    return [i for i in stack.invocations if i["function"] == function]


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def assert_error_shape(reply: httpx.Response, code: str) -> None:
    error = reply.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["details"] == {}


# ------------------------------------------------------------------ API Gateway and the authorizer
def test_api_answers_401_without_calling_the_authorizer_when_no_key(stack: LocalStack, api: httpx.Client):
    before = len(calls(stack, AUTHORIZER))

    reply = api.get("/integrations")

    assert reply.status_code == 401
    assert_error_shape(reply, "unauthorized")
    assert len(calls(stack, AUTHORIZER)) == before


def test_api_answers_401_from_the_authorizer_when_key_is_bad(stack: LocalStack, api: httpx.Client):
    before = len(calls(stack, AUTHORIZER))

    reply = api.get("/integrations", headers={"Authorization": "Bearer csk_not-a-real-key-at-all"})

    assert reply.status_code == 401
    assert_error_shape(reply, "unauthorized")
    assert len(calls(stack, AUTHORIZER)) == before + 1


def test_list_integrations_answers_200_when_key_is_the_demo_key(stack: LocalStack, api: httpx.Client):
    reply = api.get("/integrations", headers={"Authorization": f"Bearer {stack.api_key}"})

    assert reply.status_code == 200, reply.text
    assert reply.json()["integrations"] == []
    assert calls(stack, "IntegrationLifecycleFunction")[-1]["ok"]


def test_webhook_is_answered_by_the_function_when_no_key_is_sent(stack: LocalStack, api: httpx.Client):
    authorizer_calls = len(calls(stack, AUTHORIZER))
    webhook_calls = len(calls(stack, "WebhookIntakeFunction"))

    reply = api.post(
        "/webhooks/crm/int_unknown",
        json={
            "server_time": 1718115953625,
            "module": "Deals",
            "resource_uri": "https://www.zohoapis.com/crm/v2/Deals",
            "ids": ["5725767000003000010"],
            "operation": "update",
            "channel_id": "1000000068001",
            "token": "not-the-channel-token",
        },
    )

    assert reply.status_code == 401
    assert "x-amzn-ErrorType" not in reply.headers  # a gateway response would carry it
    assert len(calls(stack, "WebhookIntakeFunction")) == webhook_calls + 1
    assert len(calls(stack, AUTHORIZER)) == authorizer_calls


def test_api_answers_404_in_the_error_shape_when_no_route_matches(api: httpx.Client):
    for reply in (api.delete("/no-such-route"), api.get("/integrations/x/y/z"), api.patch("/integrations")):
        assert reply.status_code == 404, reply.text
        assert reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
        assert_error_shape(reply, "not_found")


# ------------------------------------------------------------------ EventBridge Scheduler
def test_scheduled_function_runs_when_fired_now(stack: LocalStack, api: httpx.Client):
    before = len(calls(stack, SCHEDULED))

    reply = api.post(f"/_local/schedules/{SCHEDULED}/fire")

    assert reply.status_code == 200, reply.text
    assert reply.json()["ok"] is True
    assert len(calls(stack, SCHEDULED)) == before + 1
    assert calls(stack, SCHEDULED)[-1]["ok"]


def test_scheduled_function_fires_by_itself_when_rate_is_two_seconds(stack: LocalStack):
    before = len(calls(stack, SCHEDULED))
    template_rate = stack.scheduler.rates[SCHEDULED]
    stack.scheduler.set_rate(SCHEDULED, 2)
    try:
        fired = wait_until(lambda: len(calls(stack, SCHEDULED)) > before, timeout=6)
    finally:
        stack.scheduler.set_rate(SCHEDULED, template_rate)

    assert fired
    assert calls(stack, SCHEDULED)[-1]["ok"]


# ------------------------------------------------------------------ SQS event source and the DLQ
def test_sqs_batch_deletes_good_messages_and_dead_letters_the_malformed_one(stack: LocalStack):
    sqs = client("sqs", stack.endpoints["sqs"], "us-east-1")
    queue, dlq = stack.queue_urls["SyncQueue"], stack.queue_urls["SyncDeadLetterQueue"]
    max_receive_count = stack.template.queues()["SyncQueue"]["max_receive_count"]
    good = [
        {"kind": "sync", "integration_id": f"int_unknown_{n}", "module": "customers", "trigger": "manual", "run_id": None}
        for n in range(4)
    ]
    malformed = '{"integration_id": "int_x", "module": "not-a-module"}'
    worker_calls = len(calls(stack, WORKER))

    sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": str(n), "MessageBody": json.dumps(body)} for n, body in enumerate(good)]
        + [{"Id": "bad", "MessageBody": malformed}],
    )

    def counts(url: str) -> tuple[int, int]:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]), int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    assert wait_until(lambda: counts(dlq) == (1, 0) and counts(queue) == (0, 0), timeout=30)
    dead = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in dead] == [malformed]
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= max_receive_count
    assert len(calls(stack, WORKER)) >= worker_calls + max_receive_count
