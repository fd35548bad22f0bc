"""One-click "Connect with Zoho" on the local stack over HTTP, with no manual step: the stack set up the
deployment's OAuth client on start (the CRM sandbox's client, this API's callback as its redirect URI,
the secret in Secrets Manager). POST /connect -> the sandbox's consent page (its HTML form, posted as a
browser would) -> GET /oauth/callback -> GET /connect/{id} -> POST /connect/{id}/complete."""

from __future__ import annotations

import json

import httpx
import pytest

from local.aws_local import client, put_oauth_client
from tests.e2e.sandbox_api import seed
from tests.sandboxes.consent_fixtures import open_consent, submit

pytestmark = pytest.mark.stack


def test_connect_with_zoho_runs_from_start_to_an_active_integration(stack, api):
    key = {"Authorization": f"Bearer {stack.api_key}"}
    crm_url, inventory_url = stack.endpoints["crm"], stack.endpoints["inventory"]
    inventory = seed(inventory_url, {"preset": "demo"})
    crm = seed(crm_url, {"preset": "demo", "org": {"edition": "enterprise"}})

    started = api.post("/connect", headers=key, json={"crm_base_url": crm_url, "inventory_base_url": inventory_url})
    assert started.status_code == 201, started.text
    connect_id = started.json()["connect_id"]
    authorize = httpx.URL(started.json()["authorize_url"])
    assert str(authorize.copy_with(query=None)) == f"{crm_url}/oauth/v2/auth"
    assert authorize.params["client_id"] == stack.oauth_client["client_id"]
    assert authorize.params["redirect_uri"] == f"{stack.api_url}/oauth/callback"

    page = open_consent(crm_url, dict(authorize.params))  # what the admin's browser shows
    assert page.status == 200 and "crmsync (local stack)" in page.title, page.html
    consented = submit(crm_url, page, "accept")
    assert consented.status_code == 302, consented.text
    back = httpx.URL(consented.headers["location"])
    assert str(back.copy_with(query=None)) == f"{stack.api_url}/oauth/callback"

    # The browser follows the redirect, with no API key; the callback's page (or its redirect to the
    # console, which then shows the connect) says the consent was received.
    landed = httpx.get(str(back), timeout=30)
    assert (landed.is_success or landed.is_redirect) and "Consent received" in landed.text, landed.text
    assert landed.headers["content-type"].startswith("text/html")

    attempt = api.get(f"/connect/{connect_id}", headers=key).json()
    assert attempt["status"] == "consented"
    assert [org["id"] for org in attempt["crm_orgs"]] == [crm["org_id"]]
    assert inventory["organization_id"] in [org["id"] for org in attempt["inventory_orgs"]]

    completed = api.post(f"/connect/{connect_id}/complete", headers=key, json={
        "crm_org_id": crm["org_id"], "inventory_organization_id": inventory["organization_id"]})
    assert completed.status_code == 201, completed.text
    integration = completed.json()
    assert integration["state"] == "active" and integration["role"] == "primary"
    listed = api.get("/integrations", headers=key).json()["integrations"]
    assert integration["integration_id"] in [i["integration_id"] for i in listed]
    assert api.get(f"/connect/{connect_id}", headers=key).json()["integration_id"] == integration["integration_id"]


def test_the_sandbox_client_accepts_only_the_stacks_callback(stack):
    crm_url, client_id = stack.endpoints["crm"], stack.oauth_client["client_id"]
    registered = httpx.get(f"{crm_url}/_sandbox/oauth/clients/{client_id}").json()
    callback = f"{stack.api_url}/oauth/callback"
    assert registered["redirect_uris"] == [callback, callback.replace("//127.0.0.1:", "//localhost:")]

    params = {"response_type": "code", "client_id": client_id, "scope": "ZohoCRM.modules.ALL",
              "access_type": "offline", "state": "s"}
    for uri in registered["redirect_uris"]:
        assert open_consent(crm_url, params | {"redirect_uri": uri}).status == 200
    assert open_consent(crm_url, params | {"redirect_uri": "http://127.0.0.1:9/oauth/callback"}).status == 400


def test_the_oauth_client_secret_is_stored_as_the_operator_command_line_stores_it(stack):
    secrets = client("secretsmanager", stack.endpoints["moto"], "us-east-1")
    assert stack.oauth_client["secret_name"] == "crmsync/dev/oauth-client"
    stored = json.loads(secrets.get_secret_value(SecretId="crmsync/dev/oauth-client")["SecretString"])
    assert stored["client_id"] == stack.oauth_client["client_id"] and stored["client_secret"]
    assert len(stored["state_key"]) >= 32


def test_setting_the_oauth_client_up_again_keeps_the_secret_and_its_state_key(stack):
    moto, name = stack.endpoints["moto"], "crmsync/e2e-idempotence/oauth-client"
    secrets = client("secretsmanager", moto, "us-east-1")

    def stored() -> dict:
        return json.loads(secrets.get_secret_value(SecretId=name)["SecretString"])

    assert put_oauth_client(moto, "us-east-1", name, "1000.A", "secret-a") == "created"
    first = stored()
    assert put_oauth_client(moto, "us-east-1", name, "1000.A", "secret-a") == "kept"
    assert stored() == first
    assert put_oauth_client(moto, "us-east-1", name, "1000.A", "secret-b") == "updated"
    assert stored() == first | {"client_secret": "secret-b"}  # the same state-signing key
