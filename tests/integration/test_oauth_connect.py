"""One-click connect through the vendor's consent page, against the real sandboxes (console issue,
point 1): start, consent (the sandbox's HTML form, posted as a browser would), the callback, the
organizations the grant reaches, and completing the connect; and every way the consent can fail ends
on a page that says what happened, with nothing stored."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from crmsync.runtime.container import reset_container
from tests.conftest import FakeContext, proxy_event
from tests.integration.test_lifecycle_api import env, secret_names, seed  # noqa: F401 (fixture)
from tests.sandboxes.consent_fixtures import open_consent, submit

pytest_plugins = ["tests.integration.sandbox_fixtures"]
CALLBACK = "https://api.example.test/dev/oauth/callback"  # what the proxy events' host and stage make


@pytest.fixture
def oauth(env):  # noqa: F811
    """The deployment's OAuth client (the CRM sandbox's), as `crmsync oauth-client set` stores it."""
    crm, inventory = seed(env, {"iso_code": "USD"}, {"currency_code": "USD"})
    boto3.client("secretsmanager").create_secret(
        Name=env.container.settings.oauth_client_secret_name,
        SecretString=json.dumps(
            {"client_id": crm["client_id"], "client_secret": crm["client_secret"], "state_key": "k" * 32}
        ),
    )
    env.crm_seed, env.inventory_seed = crm, inventory
    return env


def start(stack) -> dict:
    status, body = stack.api("POST", "/connect", {"crm_base_url": stack.crm.base_url,
                                               "inventory_base_url": stack.inventory.base_url})
    assert status == 201, body
    return body


def consent_page(stack, started: dict):
    query = {k: v[0] for k, v in parse_qs(urlsplit(started["authorize_url"]).query).items()}
    assert query["response_type"] == "code" and query["access_type"] == "offline" and query["prompt"] == "consent"
    assert query["redirect_uri"] == CALLBACK
    assert {"ZohoCRM.modules.ALL", "ZohoInventory.FullAccess.all"} <= set(query["scope"].split(","))
    return open_consent(stack.crm.base_url, query)


def press(stack, started: dict, decision: str = "accept") -> dict[str, str]:
    """The consent page's button; returns the query the browser brings back to our callback."""
    reply = submit(stack.crm.base_url, consent_page(stack, started), decision)
    assert reply.status_code == 302
    location = urlsplit(reply.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def callback(stack, query: dict[str, str]) -> tuple[int, str, dict]:
    event = proxy_event("GET", "/oauth/callback", tenant_id=None, query=query)
    reply = stack.api.handler(event, FakeContext())
    headers = {k: v[0] for k, v in (reply.get("multiValueHeaders") or {}).items()}
    return reply["statusCode"], reply["body"], headers


def test_connect_with_zoho_end_to_end(oauth):
    started = start(oauth)
    status, page, headers = callback(oauth, press(oauth, started))
    assert status == 303 and headers["Location"] == f"/dev/console#/connect/{started['connect_id']}"
    assert headers["Content-Type"].startswith("text/html") and "default-src 'none'" in headers["Content-Security-Policy"]
    assert oauth.crm_seed["refresh_token"] not in page
    status, attempt = oauth.api("GET", f"/connect/{started['connect_id']}")
    assert attempt["status"] == "consented"
    assert [o["id"] for o in attempt["crm_orgs"]] == [oauth.crm_seed["org_id"]]
    assert oauth.inventory_seed["organization_id"] in [o["id"] for o in attempt["inventory_orgs"]]
    assert f"crmsync/dev/integrations/connect-{started['connect_id']}" in secret_names()
    status, integration = oauth.api("POST", f"/connect/{started['connect_id']}/complete", {
        "crm_org_id": oauth.crm_seed["org_id"], "inventory_organization_id": oauth.inventory_seed["organization_id"]})
    assert status == 201 and integration["state"] == "active" and integration["role"] == "primary"
    assert [n for n in secret_names() if "/integrations/" in n] == [
        f"crmsync/dev/integrations/{integration['integration_id']}"  # the grant's secret became the integration's
    ]
    assert oauth.api("GET", f"/connect/{started['connect_id']}")[1]["integration_id"] == integration["integration_id"]
    assert oauth.other("GET", f"/connect/{started['connect_id']}")[0] == 404  # another tenant's connect


def test_an_organization_the_consent_does_not_reach_is_refused(oauth):
    started = start(oauth)
    callback(oauth, press(oauth, started))
    status, body = oauth.api("POST", f"/connect/{started['connect_id']}/complete", {
        "crm_org_id": "123", "inventory_organization_id": oauth.inventory_seed["organization_id"]})
    assert status == 422 and body["error"]["details"]["fields"][0]["field"] == "crm_org_id"


def assert_nothing_stored(stack, started: dict, reason: str) -> None:
    assert [n for n in secret_names() if "connect-" in n] == []
    attempt = stack.api("GET", f"/connect/{started['connect_id']}")[1]
    assert attempt["status"] in ("failed", "started") and attempt["failure"] in (reason, None)
    assert stack.api("GET", "/integrations")[1]["integrations"] == []


def test_a_declined_consent_ends_on_a_page_and_stores_nothing(oauth):
    started = start(oauth)
    query = press(oauth, started, "deny")
    assert query["error"] == "access_denied"
    status, page, _ = callback(oauth, query)
    assert status == 400 and "Access was declined" in page and "Start again" in page
    assert '<a href="/dev/console#/connect">Connect again</a>' in page
    assert_nothing_stored(oauth, started, "denied")


def test_a_tampered_state_ends_on_a_page_and_stores_nothing(oauth):
    started = start(oauth)
    query = press(oauth, started)
    status, page, _ = callback(oauth, query | {"state": query["state"][:-2] + "xx"})
    assert status == 400 and "cannot be used" in page
    assert_nothing_stored(oauth, started, None)


def test_a_replayed_state_ends_on_a_page(oauth):
    started = start(oauth)
    query = press(oauth, started)
    assert callback(oauth, query)[0] == 303
    status, page, _ = callback(oauth, query)
    assert status == 400 and "used already" in page


def test_an_expired_state_ends_on_a_page_and_stores_nothing(oauth, monkeypatch):
    monkeypatch.setattr("crmsync.services.consent.STATE_LIFETIME", timedelta(seconds=-1))
    started = start(oauth)
    status, page, _ = callback(oauth, press(oauth, started))
    assert status == 400 and "expired" in page
    assert_nothing_stored(oauth, started, None)


def test_a_code_already_used_ends_on_a_page_and_stores_nothing(oauth):
    first, second = start(oauth), start(oauth)
    used = press(oauth, first)
    assert callback(oauth, used)[0] == 303
    status, page, _ = callback(oauth, press(oauth, second) | {"code": used["code"]})
    assert status == 400 and "refused the authorization code" in page
    assert [n for n in secret_names() if f"connect-{second['connect_id']}" in n] == []


def test_an_accounts_server_failure_ends_on_a_page_and_stores_nothing(oauth):
    started = start(oauth)
    query = press(oauth, started)
    oauth.crm.set_faults({"kind": "server_error", "next": 20, "path_prefix": "/oauth/v2/token"})
    status, page, _ = callback(oauth, query)
    assert status == 400 and "accounts server" in page
    assert_nothing_stored(oauth, started, "accounts_error")


def test_without_an_oauth_client_start_says_how_to_set_one_up(env):  # noqa: F811
    status, body = env.api("POST", "/connect", {})
    assert status == 409 and "crmsync oauth-client set" in body["error"]["message"]


def test_a_callback_before_an_oauth_client_is_set_up_ends_on_a_page(env):  # noqa: F811
    status, page, headers = callback(env, {"state": "x", "code": "y"})
    assert status == 400 and headers["Content-Type"].startswith("text/html")
    assert "cannot connect yet" in page and "crmsync oauth-client set" in page


def test_a_consent_with_custom_endpoints_is_refused_where_the_deployment_does_not_allow_them(oauth, monkeypatch):
    monkeypatch.setenv("ALLOW_CUSTOM_ENDPOINTS", "false")
    reset_container()
    status, body = oauth.api("POST", "/connect", {"crm_base_url": oauth.crm.base_url, "data_center": "eu"})
    assert status == 422
    assert body["error"]["details"]["fields"] == [
        {"field": "crm_base_url", "problem": "custom endpoints are not allowed in this deployment"}
    ]
    assert oauth.api("POST", "/connect", {"data_center": "eu"})[0] == 201  # without them it starts
