"""`crmsync --local` against the running local stack, as an operator runs it: a separate process that
finds DynamoDB Local and SQS by the `--local` endpoints (here overridden with the test stack's free
ports), lists what the stack holds and redrives a dead letter that the sync worker then consumes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crmsync.contracts.queues import SyncMessage
from local.aws_local import client
from local.stack import LocalStack

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
WORKER = "SyncWorkerFunction"


def crmsync(stack: LocalStack, *argv: str) -> dict:
    """Run `crmsync --local ... --json` in its own process; the stack's ports stand in for the fixed ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_")) and k not in
           {"TABLE_NAME", "SYNC_QUEUE_URL", "AUTOMATION_QUEUE_URL", "STAGE"}}
    env |= {
        "PYTHONPATH": str(ROOT / "layers" / "shared"),
        "AWS_ENDPOINT_URL_DYNAMODB": stack.endpoints["dynamodb"],
        "AWS_ENDPOINT_URL_SQS": stack.endpoints["sqs"],
    }
    done = subprocess.run(
        [sys.executable, "-m", "crmsync.cli", "--local", *argv, "--json"],
        env=env, capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def worker_calls(stack: LocalStack) -> list[dict]:
    return [i for i in stack.invocations if i["function"] == WORKER]


def test_local_lists_the_stacks_tenants_and_integrations(stack: LocalStack):
    tenants = crmsync(stack, "list-tenants")["tenants"]
    created = crmsync(stack, "create-tenant", "--name", "Operator e2e")

    assert "Demo tenant" in [t["name"] for t in tenants]
    assert crmsync(stack, "integrations", "list", "--tenant", created["tenant_id"]) == {"integrations": []}
    assert crmsync(stack, "integrations", "list")["integrations"] == []


def test_local_redrives_a_dead_letter_back_to_the_sync_worker(stack: LocalStack):
    sqs = client("sqs", stack.endpoints["sqs"], "us-east-1")
    dlq = stack.queue_urls["SyncDeadLetterQueue"]
    body = SyncMessage(integration_id="int-gone", module="customers", trigger="schedule", run_id="r1", step=2)
    message_id = sqs.send_message(QueueUrl=dlq, MessageBody=body.model_dump_json())["MessageId"]
    before = len(worker_calls(stack))

    [queue] = crmsync(stack, "dead-letters", "list", "--queue", "sync")["queues"]
    assert [m["message_id"] for m in queue["messages"]] == [message_id]
    assert queue["messages"][0]["integration_id"] == "int-gone"

    dry = crmsync(stack, "dead-letters", "redrive", "--queue", "sync", "--dry-run")
    assert [m["message_id"] for m in dry["messages"]] == [message_id]
    time.sleep(1.5)
    assert len(worker_calls(stack)) == before  # nothing moved

    moved = crmsync(stack, "dead-letters", "redrive", "--queue", "sync")
    assert [m["message_id"] for m in moved["messages"]] == [message_id]
    deadline = time.monotonic() + 20
    while len(worker_calls(stack)) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(worker_calls(stack)) == before + 1 and worker_calls(stack)[-1]["ok"]  # dropped: no such integration
    [queue] = crmsync(stack, "dead-letters", "list", "--queue", "sync")["queues"]
    assert queue["messages"] == []
