"""The vendor's consent step on both sandboxes, over real HTTP: the page, Accept/Deny, the code grant,
and one consent whose refresh token works at both sandboxes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from local.sandboxes.common import ServerThread, run_in_thread
from local.sandboxes.crm import CrmSettings
from local.sandboxes.crm import create_app as create_crm
from local.sandboxes.inventory import InventorySandboxSettings
from local.sandboxes.inventory import create_app as create_inventory
from tests.sandboxes import crm_fixtures, inventory_fixtures
from tests.sandboxes.consent_fixtures import (
    BOTH_SCOPES,
    REDIRECT_URI,
    auth_params,
    consent,
    exchange,
    open_consent,
    post_form,
    redirect_params,
    refresh,
    submit,
)


@dataclass
class Sandboxes:
    crm_url: str
    inventory_url: str
    crm_clock: crm_fixtures.FakeClock
    inventory_clock: inventory_fixtures.FakeClock
    crm: dict[str, Any]  # seed reply: org_id, client_id, client_secret, refresh_token
    inventory: dict[str, Any]  # seed reply of the first organization
    second_org: dict[str, Any]  # seed reply of a second inventory organization


@pytest.fixture(scope="module")
def clocks() -> tuple[crm_fixtures.FakeClock, inventory_fixtures.FakeClock]:
    return crm_fixtures.FakeClock(), inventory_fixtures.FakeClock()


@pytest.fixture(scope="module")
def servers(
    clocks: tuple[crm_fixtures.FakeClock, inventory_fixtures.FakeClock],
) -> Iterator[tuple[ServerThread, ServerThread]]:
    crm = run_in_thread(create_crm(CrmSettings(clock=clocks[0])))
    inventory = run_in_thread(create_inventory(InventorySandboxSettings(clock=clocks[1])))
    yield crm, inventory
    crm.stop()
    inventory.stop()


@pytest.fixture
def sb(
    servers: tuple[ServerThread, ServerThread],
    clocks: tuple[crm_fixtures.FakeClock, inventory_fixtures.FakeClock],
) -> Sandboxes:
    crm, inventory = servers
    for server in servers:
        assert httpx.post(f"{server.base_url}/_sandbox/reset").status_code == 200
    crm_seed = httpx.post(f"{crm.base_url}/_sandbox/seed", json={"org": {"company_name": "Café Nord GmbH"}})
    first = httpx.post(
        f"{inventory.base_url}/_sandbox/seed", json={"organization": {"name": "Northwind <Supplies>"}}
    )
    second = httpx.post(f"{inventory.base_url}/_sandbox/seed", json={"organization": {"name": "Second Org"}})
    return Sandboxes(crm.base_url, inventory.base_url, *clocks, crm_seed.json(), first.json(), second.json())


def inventory_api(sb: Sandboxes, client: dict[str, Any], refresh_token: str) -> httpx.Client:
    token = refresh(sb.inventory_url, client, refresh_token)
    assert token.status_code == 200 and "access_token" in token.json(), token.text
    return httpx.Client(
        base_url=token.json()["api_domain"],
        headers={"Authorization": f"Zoho-oauthtoken {token.json()['access_token']}"},
    )


def crm_api(sb: Sandboxes, client: dict[str, Any], refresh_token: str) -> httpx.Client:
    token = refresh(sb.crm_url, client, refresh_token)
    assert token.status_code == 200, token.text
    return httpx.Client(
        base_url=token.json()["api_domain"],
        headers={"Authorization": f"Zoho-oauthtoken {token.json()['access_token']}"},
    )


def organization_ids(api: httpx.Client) -> list[str]:
    reply = api.get("/inventory/v1/organizations")
    assert reply.status_code == 200, reply.text
    return [org["organization_id"] for org in reply.json()["organizations"]]


# --- the page ----------------------------------------------------------------------------------


def test_crm_consent_page_shows_client_scopes_one_per_line_the_org_and_accept_deny(sb: Sandboxes):
    page = open_consent(sb.crm_url, auth_params(sb.crm["client_id"]))
    assert page.status == 200
    assert sb.crm["client_id"] in page.html and "Sandbox CRM client" in page.title
    scopes = BOTH_SCOPES.split(",")
    assert [item.split(" ")[0] for item in page.list_items] == scopes
    assert "Zoho Inventory: full access" in page.list_items[-1]
    [org] = page.choices()
    assert org.attrs["value"] == sb.crm["org_id"] and "checked" in org.attrs
    assert "Café Nord GmbH" in page.labels[org.attrs["id"]]
    assert (page.method, page.action) == ("post", "/oauth/v2/auth")
    assert page.buttons() == {"accept": "decision", "deny": "decision"}
    assert page.hidden() == auth_params(sb.crm["client_id"])
    assert "Zoho Inventory sandbox's token endpoint" in page.html  # says the grant also works there


def test_consent_pages_are_self_contained_html_without_scripts_or_external_assets(sb: Sandboxes):
    for url, client in ((sb.crm_url, sb.crm), (sb.inventory_url, sb.inventory)):
        reply = httpx.get(f"{url}/oauth/v2/auth", params=auth_params(client["client_id"]))
        assert reply.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in reply.headers["content-security-policy"]
        html = reply.text.lower()
        assert html.startswith("<!doctype html>") and '<html lang="en">' in html
        assert "<script" not in html and "<link" not in html and "src=" not in html


def test_inventory_consent_page_offers_every_organization_each_with_a_label(sb: Sandboxes):
    page = open_consent(sb.inventory_url, auth_params(sb.inventory["client_id"]))
    assert page.status == 200
    choices = page.choices()
    assert [c.attrs["value"] for c in choices] == sorted(
        [sb.inventory["organization_id"], sb.second_org["organization_id"]]
    )
    assert all(c.type == "checkbox" for c in choices)
    labels = [page.labels[c.attrs["id"]] for c in choices]
    assert any("Northwind <Supplies>" in label for label in labels)  # escaped in HTML, text as named
    assert "Northwind &lt;Supplies&gt;" in page.html
    assert any("Second Org" in label for label in labels)


# --- accept, deny, refusals ------------------------------------------------------------------------


def test_accept_redirects_with_code_state_location_and_accounts_server(sb: Sandboxes):
    for url, client in ((sb.crm_url, sb.crm), (sb.inventory_url, sb.inventory)):
        query = consent(url, client["client_id"])
        assert query["code"].startswith("1000.")
        assert query["state"] == "st-42"
        assert query["location"] == "us"
        assert query["accounts-server"] == url


def test_redirect_keeps_the_query_the_redirect_uri_already_has(sb: Sandboxes):
    query = consent(sb.crm_url, sb.crm["client_id"], redirect_uri=f"{REDIRECT_URI}?tenant=t1")
    assert query["tenant"] == "t1" and query["code"]


def test_deny_redirects_with_access_denied_and_state_and_no_code(sb: Sandboxes):
    for url, client in ((sb.crm_url, sb.crm), (sb.inventory_url, sb.inventory)):
        page = open_consent(url, auth_params(client["client_id"]))
        query = redirect_params(submit(url, page, "deny"))
        assert query == {"error": "access_denied", "state": "st-42"}


@pytest.mark.parametrize(
    ("change", "title"),
    [
        ({"client_id": "1000.UNKNOWN"}, "Invalid client"),
        ({"redirect_uri": "ftp://127.0.0.1/cb"}, "Invalid redirect URI"),
        ({"redirect_uri": f"{REDIRECT_URI}#frag"}, "Invalid redirect URI"),
        ({"response_type": "token"}, "Unsupported response type"),
        ({"scope": ""}, "Scope missing"),
        ({"scope": "not a scope!"}, "Invalid scope"),
        ({"access_type": "forever"}, "Invalid access type"),
    ],
)
def test_bad_authorization_request_gets_a_400_page_and_no_redirect(
    sb: Sandboxes, change: dict[str, str], title: str
):
    for url, client in ((sb.crm_url, sb.crm), (sb.inventory_url, sb.inventory)):
        reply = httpx.get(f"{url}/oauth/v2/auth", params=auth_params(client["client_id"]) | change)
        assert reply.status_code == 400
        assert "location" not in reply.headers
        assert reply.headers["content-type"].startswith("text/html")
        assert f"<h1>{title}</h1>" in reply.text
        assert "<form" not in reply.text


def test_unregistered_redirect_uri_is_refused_once_the_client_registers_its_uris(sb: Sandboxes):
    for url, client in ((sb.crm_url, sb.crm), (sb.inventory_url, sb.inventory)):
        path = f"{url}/_sandbox/oauth/clients/{client['client_id']}"
        registered = httpx.put(path, json={"redirect_uris": [REDIRECT_URI], "name": "Sync product"})
        assert registered.json() == {
            "client_id": client["client_id"],
            "name": "Sync product",
            "redirect_uris": [REDIRECT_URI],
        }
        other = httpx.get(
            f"{url}/oauth/v2/auth",
            params=auth_params(client["client_id"], redirect_uri="http://127.0.0.1:9/elsewhere"),
        )
        assert (other.status_code, "location" in other.headers) == (400, False)
        page = open_consent(url, auth_params(client["client_id"]))
        assert page.status == 200 and "Sync product" in page.title
        assert httpx.put(path, json={"redirect_uris": ["not a url"]}).status_code == 400
        assert httpx.put(f"{url}/_sandbox/oauth/clients/1000.NOPE", json={}).status_code == 404


def test_posted_form_is_checked_again_so_a_forged_client_gets_the_400_page(sb: Sandboxes):
    page = open_consent(sb.crm_url, auth_params(sb.crm["client_id"]))
    forged = [(k, "1000.FORGED" if k == "client_id" else v) for k, v in page.form_data("accept")]
    reply = post_form(f"{sb.crm_url}/oauth/v2/auth", forged)
    assert (reply.status_code, "location" in reply.headers) == (400, False)


def test_accept_without_an_organization_ticked_shows_the_page_again_with_the_problem(sb: Sandboxes):
    page = open_consent(sb.inventory_url, auth_params(sb.inventory["client_id"]))
    reply = submit(sb.inventory_url, page, "accept", orgs=[])
    assert reply.status_code == 400 and "location" not in reply.headers
    assert 'role="alert"' in reply.text and "<form" in reply.text


# --- the code grant --------------------------------------------------------------------------------


def test_crm_code_gives_a_refresh_token_that_works_on_an_api_call(sb: Sandboxes):
    code = consent(sb.crm_url, sb.crm["client_id"])["code"]
    grant = exchange(sb.crm_url, sb.crm, code)
    assert grant.status_code == 200
    body = grant.json()
    assert body["refresh_token"].startswith("1000.") and body["access_token"]
    assert (body["api_domain"], body["token_type"], body["expires_in"]) == (sb.crm_url, "Bearer", 3600)
    assert body["scope"] == BOTH_SCOPES
    org = crm_api(sb, sb.crm, body["refresh_token"]).get("/crm/v8/org")
    assert org.status_code == 200 and org.json()["org"][0]["company_name"] == "Café Nord GmbH"


def test_inventory_code_reaches_only_the_organizations_ticked(sb: Sandboxes):
    chosen = sb.second_org["organization_id"]
    code = consent(sb.inventory_url, sb.inventory["client_id"], orgs=[chosen])["code"]
    body = exchange(sb.inventory_url, sb.inventory, code).json()
    assert body["refresh_token"] and body["api_domain"] == sb.inventory_url and body["scope"] == BOTH_SCOPES
    api = inventory_api(sb, sb.inventory, body["refresh_token"])
    assert organization_ids(api) == [chosen]
    other = api.get("/inventory/v1/contacts", params={"organization_id": sb.inventory["organization_id"]})
    assert other.json()["code"] == 6041
    me = api.get("/inventory/v1/users/me", params={"organization_id": chosen}).json()["user"]
    assert me["is_current_user"] and me["user_role"] == "admin"


def test_code_works_once_then_invalid_code(sb: Sandboxes):
    for url, client, status in ((sb.crm_url, sb.crm, 400), (sb.inventory_url, sb.inventory, 200)):
        code = consent(url, client["client_id"])["code"]
        assert exchange(url, client, code).status_code == 200
        again = exchange(url, client, code)
        assert (again.status_code, again.json()) == (status, {"error": "invalid_code"})


def test_code_exchange_with_another_redirect_uri_is_refused_and_uses_the_code_up(sb: Sandboxes):
    for url, client in ((sb.crm_url, sb.crm), (sb.inventory_url, sb.inventory)):
        code = consent(url, client["client_id"])["code"]
        wrong = exchange(url, client, code, redirect_uri="http://127.0.0.1:9/other")
        assert wrong.json() == {"error": "invalid_redirect_uri"}
        assert exchange(url, client, code).json() == {"error": "invalid_code"}


def test_code_exchange_with_a_wrong_secret_is_invalid_client(sb: Sandboxes):
    for url, client in ((sb.crm_url, sb.crm), (sb.inventory_url, sb.inventory)):
        code = consent(url, client["client_id"])["code"]
        assert exchange(url, client | {"client_secret": "nope"}, code).json() == {"error": "invalid_client"}


def test_code_expires_after_two_minutes_on_the_sandbox_clock(sb: Sandboxes):
    crm_code = consent(sb.crm_url, sb.crm["client_id"])["code"]
    inventory_code = consent(sb.inventory_url, sb.inventory["client_id"])["code"]
    fresh = consent(sb.crm_url, sb.crm["client_id"])["code"]
    sb.crm_clock.advance(119)
    assert exchange(sb.crm_url, sb.crm, fresh).status_code == 200  # still good just before
    sb.crm_clock.advance(2)
    sb.inventory_clock.advance(121)
    assert exchange(sb.crm_url, sb.crm, crm_code).json() == {"error": "invalid_code"}
    assert exchange(sb.inventory_url, sb.inventory, inventory_code).json() == {"error": "invalid_code"}


def test_online_access_gives_an_access_token_and_no_refresh_token(sb: Sandboxes):
    code = consent(sb.crm_url, sb.crm["client_id"], access_type="online")["code"]
    body = exchange(sb.crm_url, sb.crm, code).json()
    assert "refresh_token" not in body
    headers = {"Authorization": f"Zoho-oauthtoken {body['access_token']}"}
    assert httpx.get(f"{sb.crm_url}/crm/v8/org", headers=headers).status_code == 200


# --- one consent for both sandboxes ------------------------------------------------------------------


def test_one_consent_on_the_crm_sandbox_gives_a_refresh_token_the_inventory_sandbox_accepts(sb: Sandboxes):
    code = consent(sb.crm_url, sb.crm["client_id"])["code"]
    refresh_token = exchange(sb.crm_url, sb.crm, code).json()["refresh_token"]
    assert crm_api(sb, sb.crm, refresh_token).get("/crm/v8/org").status_code == 200
    api = inventory_api(sb, sb.crm, refresh_token)  # the CRM client's id and secret, at the inventory
    assert str(api.base_url).rstrip("/") == sb.inventory_url
    assert organization_ids(api) == sorted(
        [sb.inventory["organization_id"], sb.second_org["organization_id"]]
    )
    contacts = api.get("/inventory/v1/contacts", params={"organization_id": sb.inventory["organization_id"]})
    assert contacts.status_code == 200 and contacts.json()["code"] == 0


def test_one_consent_on_the_inventory_sandbox_gives_a_refresh_token_the_crm_sandbox_accepts(sb: Sandboxes):
    code = consent(sb.inventory_url, sb.inventory["client_id"])["code"]
    refresh_token = exchange(sb.inventory_url, sb.inventory, code).json()["refresh_token"]
    org = crm_api(sb, sb.inventory, refresh_token).get("/crm/v8/org")
    assert org.status_code == 200 and org.json()["org"][0]["id"] == sb.crm["org_id"]


def test_other_sandbox_refuses_a_token_whose_consent_did_not_ask_for_its_scopes(sb: Sandboxes):
    code = consent(sb.crm_url, sb.crm["client_id"], scope="ZohoCRM.modules.ALL")["code"]
    refresh_token = exchange(sb.crm_url, sb.crm, code).json()["refresh_token"]
    assert refresh(sb.crm_url, sb.crm, refresh_token).status_code == 200
    assert refresh(sb.inventory_url, sb.crm, refresh_token).json() == {"error": "invalid_code"}


def test_other_sandbox_checks_the_client_secret_the_token_was_issued_to(sb: Sandboxes):
    code = consent(sb.crm_url, sb.crm["client_id"])["code"]
    refresh_token = exchange(sb.crm_url, sb.crm, code).json()["refresh_token"]
    wrong = refresh(sb.inventory_url, sb.crm | {"client_secret": "0" * 42}, refresh_token)
    assert wrong.json() == {"error": "invalid_code"}
    other_client = refresh(sb.inventory_url, sb.inventory, refresh_token)
    assert other_client.json() == {"error": "invalid_code"}
    assert refresh(sb.inventory_url, sb.crm, refresh_token).status_code == 200
    after = refresh(sb.inventory_url, sb.crm | {"client_secret": "0" * 42}, refresh_token)
    assert after.json() == {"error": "invalid_client"}


def test_revoked_consent_token_stays_revoked_where_it_was_revoked(sb: Sandboxes):
    code = consent(sb.crm_url, sb.crm["client_id"])["code"]
    refresh_token = exchange(sb.crm_url, sb.crm, code).json()["refresh_token"]
    assert refresh(sb.inventory_url, sb.crm, refresh_token).status_code == 200
    for url in (sb.crm_url, sb.inventory_url):
        assert httpx.post(f"{url}/oauth/v2/token/revoke", params={"token": refresh_token}).status_code == 200
    assert refresh(sb.crm_url, sb.crm, refresh_token).json() == {"error": "invalid_code"}
    assert refresh(sb.inventory_url, sb.crm, refresh_token).json() == {"error": "invalid_code"}


def test_seeded_refresh_tokens_stay_with_their_own_sandbox(sb: Sandboxes):
    assert refresh(sb.crm_url, sb.crm, sb.crm["refresh_token"]).status_code == 200
    assert refresh(sb.inventory_url, sb.crm, sb.crm["refresh_token"]).json() == {"error": "invalid_code"}
    crm_refused = refresh(sb.crm_url, sb.inventory, sb.inventory["refresh_token"])
    assert crm_refused.json() == {"error": "invalid_client"}
