"""Several CRM orgs in one sandbox (issue 13, point 7): each with its own credentials, data, edition,
credits and limits, so tenants run side by side and one org's spending leaves the others alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from local.sandboxes.common import ServerThread, run_in_thread
from local.sandboxes.crm import CrmSettings, create_app
from tests.sandboxes.crm_fixtures import START, CrmApi, FakeClock, connect, refresh


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def server(clock: FakeClock) -> Iterator[ServerThread]:
    thread = run_in_thread(create_app(CrmSettings(clock=clock)))
    yield thread
    thread.stop()


@pytest.fixture
def control(server: ServerThread, clock: FakeClock) -> Iterator[httpx.Client]:
    clock.now = START
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def first(server: ServerThread, control: httpx.Client) -> CrmApi:
    """The default org, after a reset, with one account."""
    return connect(server.base_url, {"records": {"Accounts": [{"Account_Name": "Erste Kunde GmbH"}]}})


def _add(control: httpx.Client, body: dict[str, Any]) -> CrmApi:
    added = control.post("/_sandbox/orgs", json=body)
    assert added.status_code == 201, added.text
    seed = added.json()
    grant = refresh(str(control.base_url), seed)
    assert grant.status_code == 200, grant.text
    token = grant.json()["access_token"]
    http = httpx.Client(
        base_url=grant.json()["api_domain"], headers={"Authorization": f"Zoho-oauthtoken {token}"}
    )
    return CrmApi(http, seed, token)


def _accounts(crm: CrmApi) -> list[str]:
    return [a["Account_Name"] for a in crm.get("/Accounts", params={"fields": "Account_Name"}).json()["data"]]


def test_added_org_has_its_own_id_credentials_and_records(first: CrmApi, control: httpx.Client) -> None:
    second = _add(
        control,
        {"org": {"company_name": "Zweite AG"}, "records": {"Accounts": [{"Account_Name": "Nur Zwei"}]}},
    )
    assert second.seed["org_id"] != first.seed["org_id"]
    assert second.seed["client_id"] != first.seed["client_id"]
    assert second.seed["refresh_token"] != first.seed["refresh_token"]
    assert _accounts(first) == ["Erste Kunde GmbH"]
    assert _accounts(second) == ["Nur Zwei"]
    org = second.get("/org").json()["org"][0]
    assert (org["id"], org["company_name"]) == (second.seed["org_id"], "Zweite AG")
    listed = control.get("/_sandbox/orgs").json()["orgs"]
    assert [o["org_id"] for o in listed] == [first.seed["org_id"], second.seed["org_id"]]


def test_one_orgs_spent_credits_leave_the_others_alone(first: CrmApi, control: httpx.Client) -> None:
    small = _add(control, {"org": {"edition": "free"}, "limits": {"credits_per_day": 2}})
    assert small.seed["limits"]["credits_per_day"] == 2 and small.seed["limits"]["edition"] == "free"
    replies = [small.get("/org") for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 429]
    assert replies[0].headers["x-api-credits-remaining"] == "1"  # the org's own credits
    assert small.get("/org").json()["code"] == "TOO_MANY_REQUESTS"
    untouched = first.get("/org")
    assert untouched.status_code == 200
    assert "x-api-credits-remaining" not in untouched.headers  # under half of its own credits used
    first_limits = control.get(f"/_sandbox/orgs/{first.seed['org_id']}/limits").json()["limits"]
    assert first_limits["credits_used"] == 1


def test_edition_and_limits_of_one_org_change_through_the_control_endpoint(
    first: CrmApi, control: httpx.Client
) -> None:
    other = _add(control, {"org": {"edition": "enterprise", "users_license_purchased": 10}})
    path = f"/_sandbox/orgs/{other.seed['org_id']}/limits"
    assert control.get(path).json()["limits"]["credits_per_day"] == 60_000
    changed = control.put(path, json={"edition": "free", "access_tokens_per_window": 500}).json()["limits"]
    assert (changed["edition"], changed["credits_per_day"], changed["concurrency"]) == ("free", 5000, 5)
    assert changed["access_tokens_per_window"] == 500
    assert other.get("/org").json()["org"][0]["license_details"]["paid_type"] == "free"
    first_path = f"/_sandbox/orgs/{first.seed['org_id']}/limits"
    assert control.get(first_path).json()["limits"]["access_tokens_per_window"] == 10


@pytest.mark.parametrize("body", [{"credits_per_day": -1}, {"edition": "galactic"}, {"burst": 1}])
def test_control_endpoint_refuses_bad_limits_with_400_and_changes_nothing(
    first: CrmApi, control: httpx.Client, body: dict[str, Any]
) -> None:
    path = f"/_sandbox/orgs/{first.seed['org_id']}/limits"
    before = control.get(path).json()
    assert control.put(path, json=body).status_code == 400
    assert control.get(path).json() == before


def test_control_endpoints_answer_404_for_an_unknown_org(first: CrmApi, control: httpx.Client) -> None:
    assert control.get("/_sandbox/orgs/42/limits").status_code == 404
    assert control.post("/_sandbox/seed", params={"org_id": "42"}, json={}).status_code == 404


def test_sandbox_wide_limits_reach_every_org_and_those_added_later(
    first: CrmApi, control: httpx.Client
) -> None:
    before = _add(control, {})
    assert control.put("/_sandbox/limits", json={"credits_per_day": 7}).status_code == 200
    after = _add(control, {})
    for crm in (first, before, after):
        assert (
            control.get(f"/_sandbox/orgs/{crm.seed['org_id']}/limits").json()["limits"]["credits_per_day"]
            == 7
        )


def test_credit_window_scales_down_for_benchmarks(
    first: CrmApi, control: httpx.Client, clock: FakeClock
) -> None:
    quick = _add(control, {"limits": {"credits_per_day": 2, "credits_window_seconds": 10}})
    assert [quick.get("/org").status_code for _ in range(3)] == [200, 200, 429]
    clock.advance(10)
    assert quick.get("/org").status_code == 200


def test_reseeding_an_added_org_keeps_its_id_and_credentials(first: CrmApi, control: httpx.Client) -> None:
    other = _add(control, {"records": {"Accounts": [{"Account_Name": "Alt"}]}})
    again = control.post(
        "/_sandbox/seed",
        params={"org_id": other.seed["org_id"]},
        json={"records": {"Accounts": [{"Account_Name": "Neu"}]}},
    ).json()
    assert (again["org_id"], again["client_id"]) == (other.seed["org_id"], other.seed["client_id"])
    assert _accounts(other) == ["Neu"]
    assert _accounts(first) == ["Erste Kunde GmbH"]


def test_added_org_refuses_an_org_id_already_used(first: CrmApi, control: httpx.Client) -> None:
    reply = control.post("/_sandbox/orgs", json={"org": {"id": first.seed["org_id"]}})
    assert reply.status_code == 400
    assert len(control.get("/_sandbox/orgs").json()["orgs"]) == 1


def test_reset_forgets_added_orgs_and_their_clients(first: CrmApi, control: httpx.Client) -> None:
    other = _add(control, {})
    assert control.post("/_sandbox/reset").status_code == 200
    assert len(control.get("/_sandbox/orgs").json()["orgs"]) == 1
    assert refresh(str(control.base_url), other.seed).json() == {"error": "invalid_client"}


def test_consent_page_names_the_org_of_the_client_that_asks(first: CrmApi, control: httpx.Client) -> None:
    other = _add(control, {"org": {"company_name": "Dritte Handels KG"}})
    page = control.get(
        "/oauth/v2/auth",
        params={
            "response_type": "code",
            "client_id": other.seed["client_id"],
            "scope": "ZohoCRM.modules.ALL",
            "redirect_uri": "http://127.0.0.1:9/callback",
            "access_type": "offline",
        },
    )
    assert page.status_code == 200
    assert "Dritte Handels KG" in page.text and "Sandbox GmbH" not in page.text


def test_twenty_orgs_are_added_quickly_each_with_its_own_client(first: CrmApi, control: httpx.Client) -> None:
    """A 20-tenant benchmark adds one org per tenant."""
    seeds = [control.post("/_sandbox/orgs", json={"generate": {"Accounts": 50}}).json() for _ in range(20)]
    assert len({s["org_id"] for s in seeds} | {first.seed["org_id"]}) == 21
    assert len({s["client_id"] for s in seeds}) == 20
    assert all(len(s["ids"]["Accounts"]) == 50 for s in seeds)


# --- what a benchmark reads without spending an org's credits (issue 13, point 8) ---------------


def test_records_of_an_org_are_listed_without_spending_its_credits(control: httpx.Client) -> None:
    org = _add(control, {"generate": {"Accounts": 3}})
    path = f"/_sandbox/orgs/{org.seed['org_id']}"
    listed = control.get(f"{path}/records/Accounts").json()["data"]
    assert sorted(a["Account_Name"] for a in listed) == [f"Bulk Account {n:06d}" for n in (1, 2, 3)]
    assert control.get(f"{path}/limits").json()["limits"]["credits_used"] == 0
    assert control.get(f"{path}/records/Nope").status_code == 404
    assert control.get("/_sandbox/orgs/1/records/Accounts").status_code == 404


def test_429_answers_are_counted_by_cause_and_token_issues_per_refresh_token(control: httpx.Client) -> None:
    org = _add(control, {"limits": {"credits_per_day": 1, "access_tokens_per_window": 2}})
    assert [org.get("/org").status_code for _ in range(3)] == [200, 429, 429]
    limits = control.get(f"/_sandbox/orgs/{org.seed['org_id']}/limits").json()["limits"]
    assert limits["refused"] == {"credits": 2, "concurrency": 0}
    assert [refresh(str(control.base_url), org.seed).status_code for _ in range(2)] == [200, 400]
    issued = [
        entry
        for entry in control.get("/_sandbox/oauth/refreshes").json()["refresh_tokens"]
        if entry["org_id"] == org.seed["org_id"]
    ]
    assert issued == [
        {"client_id": org.seed["client_id"], "peak_in_window": 2, "refused": 1, "org_id": org.seed["org_id"]}
    ]
