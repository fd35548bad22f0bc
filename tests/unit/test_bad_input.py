"""Bad input is a clear 4xx on every route, the webhook included, and nothing is written (hardening
issue, point 3): a body that is not JSON (415), JSON nested too deep or not an object (400), loose
booleans and ids a vendor URL cannot take (422). One place answers them (`api/body_guard.py`)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FakeContext, load_handler, proxy_event
from tests.unit.test_lifecycle_handler import make_integration

DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture
def lifecycle(aws):
    make_integration(aws, "t-1")
    return load_handler("integration_lifecycle")


@pytest.fixture
def webhook(aws):
    return load_handler("webhook_intake")


def send(handler, method, path, raw_body, content_type="application/json", tenant_id="t-1"):
    event = proxy_event(method, path, tenant_id=tenant_id, raw_body=raw_body)
    event["headers"] = {"Content-Type": content_type} if content_type else {}
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    reply = handler(event, FakeContext())
    return reply["statusCode"], json.loads(reply["body"])


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
     "application/merge-patch+json"],
)
def test_a_body_that_is_not_json_is_415_on_api_and_webhook(lifecycle, webhook, content_type):
    for handler, path in ((lifecycle, "/integrations/int-1/automation"), (webhook, "/webhooks/crm/int-1")):
        status, body = send(handler, "PUT" if handler is lifecycle else "POST", path, "a=1", content_type)
        assert status == 415 and body["error"]["code"] == "unsupported_media_type", (path, body)
        assert content_type.split(";")[0] in body["error"]["message"]


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", None])
def test_json_with_a_charset_or_no_content_type_is_read(lifecycle, content_type):
    status, body = send(lifecycle, "PUT", "/integrations/int-1/automation", '{"on_deal_won": "create_invoice"}',
                        content_type)
    assert status == 200 and body["automation"]["on_deal_won"] == "create_invoice"


@pytest.mark.parametrize("raw", [DEEP, "{" + '"a":{' * 40 + "}" * 41])
def test_json_nested_too_deep_is_400_on_api_and_webhook(lifecycle, webhook, raw):
    assert send(lifecycle, "PUT", "/integrations/int-1/automation", raw)[1]["error"]["code"] == "body_too_deep"
    status, body = send(webhook, "POST", "/webhooks/crm/int-1", raw)
    assert (status, body["error"]["code"]) == (400, "body_too_deep")


@pytest.mark.parametrize("raw", ['[{"on_deal_won": "create_invoice"}, {}]', '"text"', "42", "true"])
def test_a_body_that_is_not_an_object_is_400_and_writes_nothing(aws, lifecycle, raw):
    status, body = send(lifecycle, "PUT", "/integrations/int-1/automation", raw)
    assert (status, body["error"]["code"]) == (400, "body_not_an_object")
    assert aws.store.get_integration("int-1").automation.on_deal_won == "none"


@pytest.mark.parametrize("loose", ['"yes"', '"on"', '"t"', '"1"', "1", '"true"'])
def test_booleans_are_strictly_true_or_false(aws, lifecycle, loose):
    status, body = send(lifecycle, "POST", "/integrations/int-1/disable", f'{{"confirm": {loose}}}')
    assert status == 422 and body["error"]["details"]["fields"][0]["field"] == "confirm"
    assert aws.store.get_integration("int-1").state == "active"


@pytest.mark.parametrize("hostile", ["1?x=1", "1/../2", "#x", "12ab"])
def test_an_organization_id_a_vendor_url_cannot_take_is_422_before_any_vendor_call(lifecycle, hostile):
    grant = {"client_id": "c", "client_secret": "s", "refresh_token": "r"}
    connect = {"crm": {"org_id": "1", **grant}, "inventory": {"organization_id": hostile, **grant}}
    status, body = send(lifecycle, "POST", "/integrations", json.dumps(connect))
    assert status == 422
    assert [f["field"] for f in body["error"]["details"]["fields"]] == ["inventory.organization_id"]


@pytest.mark.parametrize("base_url", ["https://\U0002a86bd.example/", "https://host/path", "ftp://host"])
def test_a_sandbox_base_url_other_than_scheme_ascii_host_and_port_is_422(lifecycle, base_url):
    """A URL that would land in the consent redirect's Location header must be plain ASCII (fuzz find)."""
    status, body = send(lifecycle, "POST", "/connect", json.dumps({"crm_base_url": base_url}))
    assert status == 422 and "crm_base_url" in json.dumps(body["error"]), body
