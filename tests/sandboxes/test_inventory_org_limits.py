"""The inventory sandbox carries budgets as the vendor does (issue 13, point 7): organizations side by
side with their own plan and limits, the daily quota in `x-rate-limit-*`, codes 44 and 45, unset
strings as `""`, and paths with a trailing slash answered directly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from local.sandboxes.common import ServerThread, run_in_thread
from local.sandboxes.inventory import InventorySandboxSettings, create_app
from tests.sandboxes.inventory_fixtures import START, FakeClock, InventoryApi, connect

BERLIN_MIDNIGHT = datetime(2026, 11, 25, 23, 0, tzinfo=UTC).timestamp()  # START is 11:00 in Berlin


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def server(clock: FakeClock) -> Iterator[ServerThread]:
    thread = run_in_thread(create_app(InventorySandboxSettings(clock=clock)))
    yield thread
    thread.stop()


@pytest.fixture
def control(server: ServerThread, clock: FakeClock) -> Iterator[httpx.Client]:
    clock.now = START
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        assert client.post("/_sandbox/reset").status_code == 200
        yield client


def _org(control: httpx.Client, plan: str = "PREMIUM", **seed: Any) -> InventoryApi:
    organization = {"name": f"{plan} Org", "plan_name": plan, "time_zone": "Europe/Berlin"}
    return connect(control, {"organization": organization} | seed)


# --- x-rate-limit-* headers: the organization's daily quota -------------------------------------


def test_rate_limit_headers_give_the_daily_cap_calls_left_today_and_seconds_to_local_midnight(
    control: httpx.Client,
) -> None:
    free = _org(control, "FREE")
    first, second = free.get("/contacts"), free.get("/items")
    assert first.headers["x-rate-limit-limit"] == "1000"
    assert [first.headers["x-rate-limit-remaining"], second.headers["x-rate-limit-remaining"]] == [
        "999",
        "998",
    ]
    assert int(first.headers["x-rate-limit-reset"]) == BERLIN_MIDNIGHT - START


def test_rate_limit_headers_follow_the_plan_of_each_organization(control: httpx.Client) -> None:
    caps = {
        plan: _org(control, plan).get("/items").headers["x-rate-limit-limit"]
        for plan in ("FREE", "STANDARD", "PROFESSIONAL", "PREMIUM")
    }
    assert caps == {"FREE": "1000", "STANDARD": "2000", "PROFESSIONAL": "5000", "PREMIUM": "10000"}


# --- code 45: the day is spent ------------------------------------------------------------------


def test_call_gets_429_code_45_until_local_midnight_once_the_organizations_day_is_spent(
    control: httpx.Client, clock: FakeClock
) -> None:
    control.put("/_sandbox/limits", json={"token_expires_in": 2 * 86_400})  # outlive the day
    api = _org(control, limits={"per_day": 3})
    replies = [api.get("/items") for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert replies[2].headers["x-rate-limit-remaining"] == "0"
    spent = replies[3]
    assert spent.json() == {
        "code": 45,
        "message": "The API call for this organization has exceeded the maximum call rate limit of 3.",
    }
    assert (
        spent.headers["Retry-After"]
        == spent.headers["x-rate-limit-reset"]
        == str(int(BERLIN_MIDNIGHT - START))
    )
    clock.now = BERLIN_MIDNIGHT - 1
    assert api.get("/items").json()["code"] == 45
    clock.now = BERLIN_MIDNIGHT
    fresh = api.get("/items")
    assert fresh.status_code == 200
    assert fresh.headers["x-rate-limit-remaining"] == "2"
    assert fresh.headers["x-rate-limit-reset"] == str(24 * 3600)


# --- code 44: the per-minute limit shows only as a 429 -------------------------------------------


def test_call_over_the_organizations_per_minute_limit_gets_429_code_44_with_retry_after(
    control: httpx.Client, clock: FakeClock
) -> None:
    api = _org(control, limits={"per_minute": 3, "window_seconds": 10})
    replies = [api.get("/contacts") for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert replies[2].headers["x-rate-limit-remaining"] == str(10_000 - 3)  # still the day's quota
    blocked = replies[3]
    assert blocked.json()["code"] == 44
    assert blocked.headers["Retry-After"] == "10"
    assert blocked.headers["x-rate-limit-remaining"] == str(10_000 - 3)  # a refused call is not counted
    clock.advance(10)
    assert api.get("/contacts").status_code == 200


# --- organizations side by side -----------------------------------------------------------------


def test_two_organizations_have_their_own_credentials_and_one_spending_its_day_leaves_the_other_alone(
    control: httpx.Client,
) -> None:
    small = _org(control, "FREE", limits={"per_day": 2})
    large = _org(control, "PROFESSIONAL")
    assert small.organization_id != large.organization_id
    assert small.seed["client_id"] != large.seed["client_id"]
    assert small.seed["refresh_token"] != large.seed["refresh_token"]
    assert small.seed["limits"]["per_day"] == 2 and large.seed["limits"]["per_day"] == 5000
    assert [small.get("/items").status_code for _ in range(3)] == [200, 200, 429]
    reply = large.get("/items")
    assert reply.status_code == 200
    assert reply.headers["x-rate-limit-remaining"] == "4999"
    other = small.get("/items", params={"organization_id": large.organization_id})
    assert (other.status_code, other.json()["code"]) == (400, 6041)


def test_one_organizations_per_minute_window_does_not_touch_the_others(control: httpx.Client) -> None:
    tight = _org(control, limits={"per_minute": 1, "window_seconds": 60})
    loose = _org(control)
    assert [tight.get("/items").status_code for _ in range(2)] == [200, 429]
    assert [loose.get("/items").status_code for _ in range(5)] == [200] * 5


def test_many_organizations_seed_quickly_each_with_its_own_limits(control: httpx.Client) -> None:
    """A 20-tenant benchmark seeds one organization per tenant, each with a scaled-down window."""
    seeds = [
        control.post("/_sandbox/seed", json={"limits": {"per_minute": 10 + i, "window_seconds": 1}}).json()
        for i in range(20)
    ]
    assert len({s["organization_id"] for s in seeds}) == 20
    assert len({s["client_id"] for s in seeds}) == 20
    assert [s["limits"]["per_minute"] for s in seeds] == [10 + i for i in range(20)]
    assert {s["limits"]["window_seconds"] for s in seeds} == {1}


# --- the control endpoint -----------------------------------------------------------------------


def test_organization_limits_and_plan_are_set_and_reported_by_the_control_endpoint(
    control: httpx.Client,
) -> None:
    api = _org(control)
    path = f"/_sandbox/organizations/{api.organization_id}/limits"
    api.get("/items")
    described = control.get(path).json()
    assert described == {
        "organization_id": api.organization_id,
        "plan_name": "PREMIUM",
        "own": {"per_minute": None, "per_day": None, "window_seconds": None},
        "per_minute": 100,
        "window_seconds": 60.0,
        "per_day": 10_000,
        "used_today": 1,
        "remaining_today": 9_999,
        "peak_window_calls": 1,
        "refused": {"minute": 0, "day": 0},
    }
    changed = control.put(path, json={"plan_name": "free", "per_minute": 7}).json()
    assert (changed["plan_name"], changed["per_day"], changed["per_minute"]) == ("FREE", 1000, 7)
    assert api.get(f"/organizations/{api.organization_id}").json()["organization"]["plan_name"] == "FREE"
    assert api.get("/items").headers["x-rate-limit-limit"] == "1000"
    assert control.put(path, json={"per_day": 4}).json()["per_day"] == 4
    assert control.put(path, json={"per_day": None}).json()["per_day"] == 1000  # back to the plan's cap


def test_sandbox_wide_limits_apply_to_organizations_without_their_own(control: httpx.Client) -> None:
    own = _org(control, limits={"per_day": 50})
    plain = _org(control)
    assert control.put("/_sandbox/limits", json={"per_day": 20}).status_code == 200
    assert own.get("/items").headers["x-rate-limit-limit"] == "50"
    assert plain.get("/items").headers["x-rate-limit-limit"] == "20"


@pytest.mark.parametrize(
    "body", [{"per_day": 0}, {"per_minute": "many"}, {"window_seconds": -1}, {"burst": 3}, {"plan_name": ""}]
)
def test_control_endpoint_refuses_bad_limits_with_400_and_changes_nothing(
    control: httpx.Client, body: dict[str, Any]
) -> None:
    api = _org(control)
    path = f"/_sandbox/organizations/{api.organization_id}/limits"
    before = control.get(path).json()
    reply = control.put(path, json=body)
    assert reply.status_code == 400
    assert control.get(path).json() == before


def test_control_endpoint_answers_404_for_an_unknown_organization(control: httpx.Client) -> None:
    reply = control.put("/_sandbox/organizations/123/limits", json={"per_day": 5})
    assert reply.status_code == 404
    assert "123" in reply.json()["error"]


def test_seed_refuses_unknown_limit_keys(control: httpx.Client) -> None:
    reply = control.post("/_sandbox/seed", json={"limits": {"per_hour": 5}})
    assert reply.status_code == 400


# --- unset strings are "" ---------------------------------------------------------------------


def _nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for v in value for p in _nulls(v, f"{path}[]")]
    return []


def test_unset_address_lines_come_back_as_empty_strings(control: httpx.Client) -> None:
    api = _org(control)
    created = api.post("/contacts", json={"contact_name": "Bare Contact"}).json()["contact"]
    assert created["shipping_address"]["city"] == ""
    assert set(created["billing_address"].values()) == {""}
    contact_id = created["contact_id"]
    api.put(f"/contacts/{contact_id}", json={"billing_address": {"city": "Bonn", "zip": None}})
    address = api.get(f"/contacts/{contact_id}").json()["contact"]["billing_address"]
    assert (address["city"], address["zip"]) == ("Bonn", "")


def test_no_reply_of_the_demo_organization_carries_null_except_an_unset_reorder_level(
    control: httpx.Client,
) -> None:
    api = connect(control, {"preset": "demo"})
    found: list[str] = []
    for plural, singular in [
        ("contacts", "contact"),
        ("items", "item"),
        ("invoices", "invoice"),
        ("salesorders", "salesorder"),
        ("estimates", "estimate"),
        ("purchaseorders", "purchaseorder"),
    ]:
        listed = api.get(f"/{plural}").json()
        found += _nulls(listed, plural)
        for record in listed[plural]:
            found += _nulls(api.get(f"/{plural}/{record[singular + '_id']}").json(), singular)
    for path in ("/organizations", "/users", "/settings/currencies", "/settings/customfields"):
        found += _nulls(api.get(path).json(), path)
    assert {p.rsplit(".", 1)[-1] for p in found} <= {"reorder_level"}


def test_extra_keys_sent_as_null_come_back_as_empty_strings(control: httpx.Client) -> None:
    api = _org(control)
    customer = api.post("/contacts", json={"contact_name": "Buyer"}).json()["contact"]
    body = {
        "customer_id": customer["contact_id"],
        "line_items": [{"name": "Line", "rate": 5}],
        "notes": None,
        "reference_number": None,
    }
    invoice = api.post("/invoices", json=body).json()["invoice"]
    assert (invoice["notes"], invoice["reference_number"]) == ("", "")


# --- trailing slash, and `organization` ---------------------------------------------------------


def test_paths_with_a_trailing_slash_are_answered_directly(control: httpx.Client) -> None:
    api = _org(control)
    created = api.post("/contacts/", json={"contact_name": "Slash Ltd"})
    assert created.status_code == 201
    contact_id = created.json()["contact"]["contact_id"]
    listed = api.get("/contacts/")
    assert listed.status_code == 200 and [c["contact_id"] for c in listed.json()["contacts"]] == [contact_id]
    one = api.get(f"/contacts/{contact_id}/")
    assert one.status_code == 200 and one.json()["contact"]["contact_name"] == "Slash Ltd"
    calls = control.get("/_sandbox/calls").json()["calls"]
    assert calls["GET /inventory/v1/contacts/{contact_id}"] == 1


def test_organization_parameter_is_read_as_organization_id(control: httpx.Client) -> None:
    """pyzohoapi sends `?organization=`; the vendor answers it."""
    api = _org(control)
    reply = api.http.get("/inventory/v1/contacts/", params={"organization": api.organization_id})
    assert reply.status_code == 200 and reply.json()["code"] == 0


# --- what a benchmark reads without spending the organization's calls (issue 13, point 8) -------


def test_limits_show_the_most_calls_in_any_window_and_the_429_answers_by_code(
    control: httpx.Client, clock: FakeClock
) -> None:
    api = _org(control, limits={"per_minute": 3, "window_seconds": 10})
    statuses = []
    for step in (0, 4, 9, 9, 11, 12):  # fixed windows [0, 10) and [11, 21)
        clock.now = START + step
        statuses.append(api.get("/items").status_code)
    assert statuses == [200, 200, 200, 429, 200, 200]
    seen = control.get(f"/_sandbox/organizations/{api.organization_id}/limits").json()
    assert seen["peak_window_calls"] == 4  # 4, 9, 11 and 12 within 10 s: a fixed window lets that through
    assert seen["refused"] == {"minute": 1, "day": 0}


def test_records_are_listed_without_counting_and_token_issues_per_refresh_token(
    control: httpx.Client,
) -> None:
    api = _org(control, generate={"items": 2})
    listed = control.get(f"/_sandbox/organizations/{api.organization_id}/records/items").json()["items"]
    assert sorted(i["sku"] for i in listed) == ["GEN-00001", "GEN-00002"]
    assert control.get(f"/_sandbox/organizations/{api.organization_id}/limits").json()["used_today"] == 0
    assert control.get(f"/_sandbox/organizations/{api.organization_id}/records/nope").status_code == 404
    refreshes = control.get("/_sandbox/oauth/refreshes").json()["refresh_tokens"]
    assert [r for r in refreshes if r["client_id"] == api.seed["client_id"]] == [
        {
            "client_id": api.seed["client_id"],
            "organization_ids": [api.organization_id],
            "peak_in_window": 1,
            "refused": 0,
        }
    ]
