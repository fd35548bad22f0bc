"""The local stack runs the handlers as Lambda does (issue 13 point 5), seen from outside over HTTP: an
API call is answered while a slow invocation runs, even one of the same function (another execution
environment, another process), and the queue consumers get the template's MaximumConcurrency."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from local.stack import LocalStack
from tests.e2e.sandbox_api import connect_body, seed, wait_for

pytestmark = pytest.mark.stack

LIFECYCLE = "IntegrationLifecycleFunction"
CRM_DELAY_SECONDS = 5  # under the API's 8 s per vendor call (fail_fast_policy), which answers 503 past it


def crm_calls(stack: LocalStack) -> int:
    return sum(httpx.get(f"{stack.endpoints['crm']}/_sandbox/calls").json()["calls"].values())


def test_the_api_answers_while_a_connect_waits_on_a_slow_crm(stack: LocalStack, api: httpx.Client):
    key = {"Authorization": f"Bearer {stack.api_key}"}
    inventory = seed(stack.endpoints["inventory"], {"organization": {"currency_code": "USD"}})
    crm = seed(stack.endpoints["crm"], {"org": {"edition": "enterprise", "iso_code": "USD"}})
    slow_next_call = {"faults": [{"kind": "slow", "next": 1, "delay_ms": CRM_DELAY_SECONDS * 1000}]}
    httpx.put(f"{stack.endpoints['crm']}/_sandbox/faults", json=slow_next_call).raise_for_status()
    before = crm_calls(stack)

    with ThreadPoolExecutor(1) as background:
        started = time.monotonic()
        connect = background.submit(
            httpx.post,
            f"{stack.api_url}/integrations",
            json=connect_body(stack, crm, inventory),
            headers=key,
            timeout=60,
        )
        wait_for(lambda: crm_calls(stack) > before, timeout=30, what="the connect's first CRM call")
        listed = api.get("/integrations", headers=key)  # the same function, meanwhile
        webhook = api.post(
            "/webhooks/crm/int_unknown",
            json={
                "channel_id": "1",
                "token": "x",
                "ids": ["1"],
                "module": "Deals",
                "operation": "update",
                "server_time": 1,
            },
        )
        answered_while_connecting = not connect.done()
        created = connect.result()

    assert listed.status_code == 200 and webhook.status_code == 401
    assert answered_while_connecting
    assert created.status_code == 201, created.text
    assert time.monotonic() - started >= CRM_DELAY_SECONDS
    runs = [i for i in stack.invocations if i["function"] == LIFECYCLE][-2:]
    listing, connecting = sorted(runs, key=lambda i: i["duration_ms"])
    assert connecting["duration_ms"] >= CRM_DELAY_SECONDS * 1000
    assert listing["environment"] != connecting["environment"]  # two environments of one function


def test_the_queue_consumers_take_the_templates_maximum_concurrency(stack: LocalStack):
    capped = [source for source in stack.template.queue_sources if source.maximum_concurrency]
    assert capped  # the sync and automation consumers set ScalingConfig.MaximumConcurrency
    for source in capped:
        assert stack.pump.concurrency(source) == source.maximum_concurrency
        assert stack.invoker.concurrency(source.function) >= source.maximum_concurrency
