"""Shared fixtures: a moto AWS account shaped by template.yaml, and the handlers as Lambda loads them."""

from __future__ import annotations

import importlib.util
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

# Lambda sets the environment before any code is imported; so do the tests.
os.environ.update(
    POWERTOOLS_SERVICE_NAME="crmsync",
    POWERTOOLS_METRICS_NAMESPACE="CrmSyncTest",
    POWERTOOLS_TRACE_DISABLED="true",
)

from crmsync.runtime.container import get_container, reset_container
from local.template import Template

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class FakeContext:
    """The attributes of a Lambda context object that Powertools reads."""

    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load_handler(function: str):
    """Import functions/<function>/app.py the way Lambda does (its own module, layer on the path)."""
    path = ROOT / "functions" / function / "app.py"
    spec = importlib.util.spec_from_file_location(f"handler_{function}_{uuid.uuid4().hex}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def sample_event(function: str, name: str) -> dict:
    return json.loads((ROOT / "events" / function / f"{name}.json").read_text())


@pytest.fixture
def aws(monkeypatch):
    """moto with the template's tables and queues, and the template's environment variables set."""
    template = Template()
    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        refs = {}
        for table in template.table_definitions():
            dynamodb.create_table(**table["create"])
            refs[table["logical_id"]] = table["create"]["TableName"]
        sqs = boto3.client("sqs")
        queues = template.queues()
        for logical_id in sorted(queues, key=lambda q: queues[q]["dlq"] is not None):
            refs[logical_id] = sqs.create_queue(QueueName=queues[logical_id]["name"])["QueueUrl"]
        env = template.functions["IntegrationLifecycleFunction"].environment
        for key, value in env.items():
            monkeypatch.setenv(key, str(template.resolve(value, refs)))
        reset_container()
        yield get_container()
        reset_container()
