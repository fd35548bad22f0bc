"""What a vendor's refusal looks like through the API, against the real sandboxes (hardening issue,
points 3 and 4): a bad one-time code and an organization the grant does not reach are 422 naming the
field; a vendor 429 inside a request is answered 429 with Retry-After at once, not slept out."""

from __future__ import annotations

import json

from crmsync.runtime.container import fail_fast_policy
from tests.conftest import FakeContext, proxy_event
from tests.integration.test_lifecycle_api import connect_body, env, secret_names, seed  # noqa: F401 (fixture)

pytest_plugins = ["tests.integration.sandbox_fixtures"]


def test_a_refused_one_time_code_is_422_naming_the_code_and_stores_nothing(env):  # noqa: F811
    crm, inventory = seed(env, {"iso_code": "USD"}, {"currency_code": "USD"})
    body = connect_body(env, crm, inventory)
    del body["crm"]["refresh_token"]
    body["crm"] |= {"code": "1000.not-a-code", "redirect_uri": "http://127.0.0.1/callback"}
    status, reply = env.api("POST", "/integrations", body)
    assert status == 422
    [field] = reply["error"]["details"]["fields"]
    assert field["field"] == "crm.code" and "ask for consent again" in field["problem"]
    assert secret_names() == []


def test_an_organization_the_grant_does_not_reach_is_422_naming_it(env):  # noqa: F811
    crm, inventory = seed(env, {"iso_code": "USD"}, {"currency_code": "USD"})
    _, elsewhere = seed(env, {"iso_code": "USD"}, {"currency_code": "USD"})
    body = connect_body(env, crm, inventory)
    body["inventory"]["organization_id"] = elsewhere["organization_id"]  # exists, but not for this grant
    status, reply = env.api("POST", "/integrations", body)
    assert status == 422
    assert [f["field"] for f in reply["error"]["details"]["fields"]] == ["inventory.organization_id"]


def test_a_vendor_429_inside_a_request_is_429_with_retry_after_at_once(env):  # noqa: F811
    assert env.container.settings.vendor_wait_seconds == 4  # the API function's setting in template.yaml
    env.container.vendor_retry_policy = fail_fast_policy(env.container.settings.vendor_wait_seconds)
    crm, inventory = seed(env, {"iso_code": "USD"}, {"currency_code": "USD"})
    env.inventory.set_faults({"kind": "rate_limit", "next": 20, "path_prefix": "/inventory/v1/organizations"})
    before = env.inventory.calls()
    event = proxy_event("POST", "/integrations", tenant_id=env.api.tenant_id, body=connect_body(env, crm, inventory))
    reply = env.api.handler(event, FakeContext())
    assert reply["statusCode"] == 429 and json.loads(reply["body"])["error"]["code"] == "inventory_throttled"
    assert reply["multiValueHeaders"]["Retry-After"] == ["60"]  # the vendor's own Retry-After, passed on
    calls = {k: v - before.get(k, 0) for k, v in env.inventory.calls().items() if v != before.get(k, 0)}
    assert sum(v for k, v in calls.items() if "organizations" in k) == 1  # no retry slept out
    assert secret_names() == []
