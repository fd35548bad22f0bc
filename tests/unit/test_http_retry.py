import logging

import httpx
import pytest

from crmsync.adapters.crm.errors import classify
from crmsync.adapters.http import RetryPolicy, VendorHttp, decode_json
from crmsync.ports.errors import RateLimited, Unavailable, ValidationFailed

FAST = RetryPolicy(max_attempts=4, max_total_wait=5.0, initial_backoff=0.01, max_backoff=0.05)


class Script:
    """A mock vendor answering from a list of replies (a response or an exception), one per call."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply


def vendor(script: Script, sleeps: list[float], policy: RetryPolicy = FAST) -> VendorHttp:
    client = httpx.Client(transport=httpx.MockTransport(script))
    return VendorHttp(
        "crm", client, classify, lambda: "https://crm.test/crm/v8", policy=policy, sleep=sleeps.append
    )


def ok() -> httpx.Response:
    return httpx.Response(200, json={"data": []})


def throttled(**headers) -> httpx.Response:
    return httpx.Response(429, json={"code": "TOO_MANY_REQUESTS", "message": "slow down"}, headers=headers)


def test_call_is_retried_until_success_when_vendor_throttles():
    script, sleeps = Script(throttled(), throttled(), ok()), []

    response = vendor(script, sleeps).request("GET", "/Accounts")

    assert response.status_code == 200
    assert len(script.requests) == 3
    assert len(sleeps) == 2 and all(0 <= s <= FAST.max_backoff for s in sleeps)


def test_throttling_400_is_retried_like_a_429():
    too_many = httpx.Response(
        400, json={"code": "INVALID_REQUEST", "message": "Too many requests, try later"}
    )
    script, sleeps = Script(too_many, ok()), []

    assert vendor(script, sleeps).request("GET", "/Accounts").status_code == 200
    assert len(script.requests) == 2


def test_wait_follows_retry_after_when_vendor_sends_it():
    script, sleeps = Script(throttled(**{"Retry-After": "3"}), ok()), []

    vendor(script, sleeps).request("GET", "/Accounts")

    assert sleeps == [3.0]


def test_error_is_raised_when_attempts_run_out():
    script, sleeps = Script(httpx.Response(503, json={"code": "INTERNAL_ERROR", "message": "down"})), []

    with pytest.raises(Unavailable) as raised:
        vendor(script, sleeps).request("GET", "/Accounts")

    assert raised.value.status == 503 and raised.value.system == "crm"
    assert len(script.requests) == FAST.max_attempts


def test_retrying_stops_when_the_wait_would_exceed_the_budget():
    script, sleeps = Script(throttled(**{"Retry-After": "60"})), []

    with pytest.raises(RateLimited):
        vendor(script, sleeps).request("GET", "/Accounts")

    assert len(script.requests) == 1 and sleeps == []


def test_refusal_is_not_retried_when_it_is_permanent():
    invalid = httpx.Response(
        400,
        json={
            "code": "INVALID_DATA",
            "details": {"api_name": "Email"},
            "message": "invalid",
            "status": "error",
        },
    )
    script, sleeps = Script(invalid), []

    with pytest.raises(ValidationFailed) as raised:
        vendor(script, sleeps).request("GET", "/Accounts")

    assert raised.value.field == "Email"
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("drop")]
)
def test_read_is_retried_when_connection_fails(failure):
    script, sleeps = Script(failure, ok()), []

    assert vendor(script, sleeps).request("GET", "/Accounts").status_code == 200
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    "reply",
    [httpx.RemoteProtocolError("drop"), httpx.Response(500, json={"code": "INTERNAL_ERROR", "message": "x"})],
)
def test_create_is_not_repeated_when_its_outcome_is_unknown(reply):
    script, sleeps = Script(reply, ok()), []

    with pytest.raises(Unavailable) as raised:
        vendor(script, sleeps).request("POST", "/Accounts", json_body={"data": [{}]})

    assert raised.value.retryable is False
    assert len(script.requests) == 1


@pytest.mark.parametrize("reply", [httpx.ConnectError("refused"), throttled()])
def test_create_is_repeated_when_vendor_surely_did_not_act(reply):
    script, sleeps = Script(reply, ok()), []

    vendor(script, sleeps).request("POST", "/Accounts", json_body={"data": [{}]})

    assert len(script.requests) == 2


def test_retry_is_logged_without_the_token(caplog):
    script, sleeps = Script(throttled(), ok()), []
    caplog.set_level(logging.WARNING, logger="crmsync.adapters.http")

    vendor(script, sleeps).request(
        "GET",
        "/Accounts",
        params={"fields": "Email"},
        headers={"Authorization": "Zoho-oauthtoken sekrit-123"},
    )

    [record] = caplog.records
    assert record.path == "/Accounts" and record.attempt == 1 and record.code == "TOO_MANY_REQUESTS"
    assert "sekrit-123" not in repr(record.__dict__)


def test_ids_come_out_as_strings_when_sent_as_19_digit_numbers():
    body = b'{"data":[{"id":5725767000003000010,"Owner":{"id":5725767000000411001},"item_id":7,"count":3}]}'

    record = decode_json(httpx.Response(200, content=body))["data"][0]

    assert record["id"] == "5725767000003000010"
    assert record["Owner"]["id"] == "5725767000000411001"
    assert record["item_id"] == "7" and record["count"] == 3
