"""Shared fixtures: a moto AWS account shaped by template.yaml, and the handlers as Lambda loads them."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
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

# Each boto3 session reads botocore's JSON service models from disk again, and the tests make many
# (every container, every client under `mock_aws`): that was a fifth of a moto test's time. One
# loader for every session in the process reads each file once; the files do not change in a run.
botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)

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


def proxy_event(method: str, path: str, *, tenant_id: str | None, body=None, query: dict | None = None,
                raw_body: str | None = None) -> dict:
    """An API Gateway REST proxy event as the gateway sends it after the authorizer allowed `tenant_id`."""
    event = sample_event("integration_lifecycle", "list_integrations")
    event.update(
        httpMethod=method,
        path=path,
        resource=path,
        pathParameters=None,
        queryStringParameters=query or None,
        multiValueQueryStringParameters={k: [v] for k, v in query.items()} if query else None,
        body=raw_body if raw_body is not None else (json.dumps(body) if body is not None else None),
    )
    context = event["requestContext"]
    context.update(httpMethod=method, path=f"/dev{path}", domainName="api.example.test", resourcePath=path)
    if tenant_id:
        context["authorizer"] = {"principalId": tenant_id, "tenant_id": tenant_id}
    else:
        context.pop("authorizer", None)
    return event


class ApiClient:
    """Calls a handler with proxy events; returns (status, json body)."""

    def __init__(self, handler, tenant_id: str | None):
        self.handler = handler
        self.tenant_id = tenant_id

    def __call__(self, method: str, path: str, body=None, *, query=None, raw_body=None, tenant_id=...):
        tenant = self.tenant_id if tenant_id is ... else tenant_id
        event = proxy_event(method, path, tenant_id=tenant, body=body, query=query, raw_body=raw_body)
        reply = self.handler(event, FakeContext())
        return reply["statusCode"], json.loads(reply["body"]) if reply.get("body") else None


class AtomicRequests:
    """A client whose API calls run one at a time.

    moto emulates DynamoDB in-process and does not make a conditional write
    atomic against other threads (its check and its write can interleave), where
    the real service does. Serializing the calls gives moto the service's
    per-request atomicity, so the race tests check our conditions, not moto's locking.
    """

    def __init__(self, client: Any):
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call
