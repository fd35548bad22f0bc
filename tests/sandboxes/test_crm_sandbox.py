"""The Zoho CRM sandbox over real HTTP: OAuth, records, paging, search, metadata, limits, faults, webhooks."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from local.sandboxes.common import ServerThread, run_in_thread
from local.sandboxes.crm import CrmLimits, CrmSettings, create_app
from local.sandboxes.demo_collisions import COLLIDING_CUSTOMERS, COLLIDING_ITEMS, COLLIDING_VENDORS
from tests.sandboxes.crm_fixtures import CrmApi, FakeClock, Receiver, connect, refresh, wait_for

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
RECORD_ID = re.compile(r"^\d{19}$")


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def server(clock: FakeClock) -> Iterator[ServerThread]:
    thread = run_in_thread(create_app(CrmSettings(clock=clock, limits=CrmLimits(notify_retry_base_s=0.05))))
    yield thread
    thread.stop()


@pytest.fixture
def crm(server: ServerThread) -> CrmApi:
    return connect(server.base_url)


@pytest.fixture
def demo(server: ServerThread) -> CrmApi:
    return connect(server.base_url, {"preset": "demo"})


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    hook = Receiver()
    thread = run_in_thread(hook.app())
    yield hook, f"{thread.base_url}/hook"
    thread.stop()


def insert(crm: CrmApi, module: str, *records: dict[str, Any]) -> list[str]:
    response = crm.post(f"/{module}", json={"data": list(records)})
    assert response.status_code == 201, response.text
    return [item["details"]["id"] for item in response.json()["data"]]


def control(server: ServerThread) -> httpx.Client:
    return httpx.Client(base_url=server.base_url)


# --- OAuth -----------------------------------------------------------------------------------


def test_refresh_grant_returns_bearer_token_and_own_api_domain_when_sent_as_form_or_query(
    server: ServerThread,
):
    seed = control(server).post("/_sandbox/seed", json={}).json()
    by_form = refresh(server.base_url, seed).json()
    by_query = httpx.post(
        f"{server.base_url}/oauth/v2/token",
        params={
            "grant_type": "refresh_token",
            "client_id": seed["client_id"],
            "client_secret": seed["client_secret"],
            "refresh_token": seed["refresh_token"],
        },
    ).json()
    for grant in (by_form, by_query):
        assert grant["api_domain"] == server.base_url
        assert grant["token_type"] == "Bearer" and grant["expires_in"] == 3600 and grant["access_token"]
        assert "refresh_token" not in grant


def test_token_endpoint_refuses_with_400_when_client_or_refresh_token_is_wrong(server: ServerThread):
    seed = control(server).post("/_sandbox/seed", json={}).json()
    wrong_secret = refresh(server.base_url, seed | {"client_secret": "nope"})
    wrong_token = refresh(server.base_url, seed | {"refresh_token": "1000.bad.bad"})
    assert (wrong_secret.status_code, wrong_secret.json()) == (400, {"error": "invalid_client"})
    assert (wrong_token.status_code, wrong_token.json()) == (400, {"error": "invalid_code"})


def test_api_answers_401_invalid_token_when_token_expired_unknown_or_bearer(
    server: ServerThread, clock: FakeClock
):
    crm = connect(server.base_url)
    control(server).put("/_sandbox/limits", json={"token_expires_in": 2})
    short = refresh(server.base_url, crm.seed).json()
    assert short["expires_in"] == 2
    headers = {"Authorization": f"Zoho-oauthtoken {short['access_token']}"}
    assert crm.get("/org", headers=headers).status_code == 200
    bearer = crm.get("/org", headers={"Authorization": f"Bearer {short['access_token']}"})
    clock.advance(3)
    expired = crm.get("/org", headers=headers)
    unknown = crm.get("/org", headers={"Authorization": "Zoho-oauthtoken 1000.x.y"})
    expected = {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}
    for response in (bearer, expired, unknown):
        assert (response.status_code, response.json()) == (401, expected)


# --- list, fields, paging ----------------------------------------------------------------------


def test_list_refuses_when_fields_missing_or_over_50(crm: CrmApi):
    missing = crm.get("/Accounts")
    too_many = crm.get(
        "/Accounts", params={"fields": ",".join(["Account_Name"] + [f"F{i}" for i in range(50)])}
    )
    assert (missing.status_code, missing.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")
    assert (too_many.status_code, too_many.json()["code"]) == (400, "LIMIT_EXCEEDED")


def test_list_returns_only_requested_fields_with_lookups_owner_and_offset_times_when_records_exist(
    crm: CrmApi,
):
    [account] = insert(crm, "Accounts", {"Account_Name": "Café Münster GmbH"})
    insert(
        crm, "Contacts", {"Last_Name": "Öztürk", "First_Name": "Ayşe", "Account_Name": {"id": int(account)}}
    )
    body = crm.get("/Contacts", params={"fields": "Full_Name,Account_Name,Owner,Modified_Time"}).json()
    [contact] = body["data"]
    assert set(contact) == {"Full_Name", "Account_Name", "Owner", "Modified_Time", "id"}
    assert contact["Account_Name"] == {"id": account, "name": "Café Münster GmbH"}
    assert set(contact["Owner"]) == {"id", "name", "email"}
    assert TIMESTAMP.match(contact["Modified_Time"]) and RECORD_ID.match(contact["id"])
    assert set(body["info"]) == {
        "per_page",
        "count",
        "page",
        "sort_by",
        "sort_order",
        "more_records",
        "next_page_token",
        "previous_page_token",
        "page_token_expiry",
        "call",
        "email",
    }
    assert (body["info"]["count"], body["info"]["sort_by"], body["info"]["sort_order"]) == (1, "id", "desc")


def test_paging_reaches_all_records_past_2000_only_with_page_token(server: ServerThread):
    crm = connect(server.base_url, {"generate": {"Accounts": 2500}})
    fields = {"fields": "Account_Name"}
    page10 = crm.get("/Accounts", params=fields | {"page": 10}).json()
    beyond = crm.get("/Accounts", params=fields | {"page": 11})
    assert (beyond.status_code, beyond.json()["code"]) == (400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED")
    seen = [
        r["id"]
        for page in range(1, 11)
        for r in crm.get("/Accounts", params=fields | {"page": page}).json()["data"]
    ]
    token = page10["info"]["next_page_token"]
    while token:
        body = crm.get("/Accounts", params=fields | {"page_token": token}).json()
        seen += [r["id"] for r in body["data"]]
        token = body["info"]["next_page_token"]
    assert len(seen) == len(set(seen)) == 2500
    assert seen == sorted(seen, reverse=True)
    assert TIMESTAMP.match(page10["info"]["page_token_expiry"])


def test_page_token_errors_when_params_change_mix_or_token_expires(server: ServerThread, clock: FakeClock):
    crm = connect(server.base_url, {"generate": {"Accounts": 30}})
    params = {"fields": "Account_Name", "per_page": 10}
    token = crm.get("/Accounts", params=params).json()["info"]["next_page_token"]

    def code(extra: dict[str, Any]) -> tuple[int, str]:
        response = crm.get("/Accounts", params=params | extra)
        return response.status_code, response.json()["code"]

    assert code({"page_token": token, "fields": "Account_Name,Phone"}) == (400, "TOKEN_BOUND_DATA_MISMATCH")
    assert code({"page_token": token, "page": 2}) == (400, "AMBIGUITY_DURING_PROCESSING")
    cvid = crm.get("/settings/custom_views", params={"module": "Accounts"}).json()["custom_views"][0]["id"]
    assert code({"cvid": cvid, "sort_by": "id"}) == (400, "AMBIGUITY_DURING_PROCESSING")
    control(server).put("/_sandbox/limits", json={"page_token_ttl": 60})
    short = crm.get("/Accounts", params=params).json()["info"]["next_page_token"]
    clock.advance(61)
    assert code({"page_token": short}) == (400, "EXPIRED_VALUE")


def test_page_token_stops_at_the_ceiling_when_pagination_limit_reached(server: ServerThread):
    crm = connect(server.base_url, {"generate": {"Accounts": 30}})
    control(server).put("/_sandbox/limits", json={"page_token_ceiling": 20})
    params = {"fields": "Account_Name", "per_page": 10}
    token = crm.get("/Accounts", params=params).json()["info"]["next_page_token"]
    second = crm.get("/Accounts", params=params | {"page_token": token}).json()
    over = crm.get("/Accounts", params=params | {"page_token": second["info"]["next_page_token"]})
    assert (over.status_code, over.json()["code"]) == (400, "PAGINATION_LIMIT_EXCEEDED")


def test_list_answers_204_when_empty_and_304_when_nothing_modified_since(crm: CrmApi):
    fields = {"fields": "Account_Name,Modified_Time"}
    assert crm.get("/Accounts", params=fields).status_code == 204
    [account_id] = insert(crm, "Accounts", {"Account_Name": "Ærø Fisk"})
    stamp = crm.get(f"/Accounts/{account_id}").json()["data"][0]["Modified_Time"]
    unchanged = crm.get("/Accounts", params=fields, headers={"If-Modified-Since": stamp})
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    crm.put(f"/Accounts/{account_id}", json={"data": [{"Phone": "+45 1234"}]})
    changed = crm.get("/Accounts", params=fields, headers={"If-Modified-Since": stamp}).json()["data"]
    assert [r["id"] for r in changed] == [account_id] and changed[0]["Modified_Time"] > stamp


def test_get_one_returns_line_items_only_there(crm: CrmApi):
    [product] = insert(
        crm, "Products", {"Product_Name": "Ölfilter", "Product_Code": "OLF-1", "Unit_Price": 12.5}
    )
    [quote] = insert(
        crm,
        "Quotes",
        {"Subject": "Angebot", "Quoted_Items": [{"Product_Name": {"id": product}, "Quantity": 2}]},
    )
    [row] = crm.get(f"/Quotes/{quote}").json()["data"][0]["Quoted_Items"]
    listed = crm.get("/Quotes", params={"fields": "Subject,Quoted_Items"}).json()["data"][0]
    assert row["Product_Name"]["id"] == product and row["Total"] == 25.0
    assert "Quoted_Items" not in listed


# --- writes ------------------------------------------------------------------------------------


def test_mixed_batch_answers_207_with_a_result_per_record(crm: CrmApi):
    response = crm.post(
        "/Contacts",
        json={
            "data": [{"Last_Name": "Nowak"}, {"First_Name": "No last name"}, {"Last_Name": "X", "Email": 42}]
        },
    )
    ok, mandatory, invalid = response.json()["data"]
    assert response.status_code == 207
    assert (
        ok["code"] == "SUCCESS" and ok["message"] == "record added" and RECORD_ID.match(ok["details"]["id"])
    )
    assert (mandatory["code"], mandatory["details"]["api_name"]) == ("MANDATORY_NOT_FOUND", "Last_Name")
    assert invalid["code"] == "INVALID_DATA" and invalid["details"]["api_name"] == "Email"
    assert invalid["details"]["json_path"] == "$.data[2].Email" and invalid["status"] == "error"


def test_writes_answer_201_then_200_and_refuse_more_than_100_records(crm: CrmApi):
    [account_id] = insert(crm, "Accounts", {"Account_Name": "Société Générale"})
    updated = crm.put("/Accounts", json={"data": [{"id": account_id, "Phone": "+33 1"}]})
    too_many = crm.post("/Accounts", json={"data": [{"Account_Name": f"A{i}"} for i in range(101)]})
    assert (updated.status_code, updated.json()["data"][0]["message"]) == (200, "record updated")
    assert (too_many.status_code, too_many.json()["code"]) == (400, "LIMIT_EXCEEDED")


def test_duplicate_account_name_is_refused_with_the_existing_id_when_case_or_spaces_differ(crm: CrmApi):
    [existing] = insert(crm, "Accounts", {"Account_Name": "Łódź Ręczne"})
    response = crm.post("/Accounts", json={"data": [{"Account_Name": "  łódź RĘCZNE "}]})
    [error] = response.json()["data"]
    assert response.status_code == 400 and error["code"] == "DUPLICATE_DATA"
    assert error["details"]["api_name"] == "Account_Name" and error["details"]["id"] == existing


def test_upsert_updates_the_record_matching_the_duplicate_check_field(crm: CrmApi):
    [existing] = insert(crm, "Vendors", {"Vendor_Name": "Ærø Fisk ApS"})
    response = crm.post(
        "/Vendors/upsert",
        json={"data": [{"Vendor_Name": "Ærø Fisk ApS", "Phone": "+45 55"}, {"Vendor_Name": "Neu GmbH"}]},
    )
    updated, inserted = response.json()["data"]
    assert response.status_code == 201
    assert (updated["action"], updated["duplicate_field"], updated["details"]["id"]) == (
        "update",
        "Vendor_Name",
        existing,
    )
    assert (inserted["action"], inserted["duplicate_field"]) == ("insert", None)


def test_modified_time_advances_on_every_update(crm: CrmApi):
    [deal] = insert(crm, "Deals", {"Deal_Name": "D1", "Stage": "Qualification", "Closing_Date": "2026-12-01"})
    stamps = [crm.get(f"/Deals/{deal}").json()["data"][0]["Modified_Time"]]
    for amount in (100, 200):
        crm.put(f"/Deals/{deal}", json={"data": [{"Amount": amount}]})
        stamps.append(crm.get(f"/Deals/{deal}").json()["data"][0]["Modified_Time"])
    assert stamps == sorted(set(stamps))


def test_deleted_records_are_listed_and_204_when_none(crm: CrmApi):
    ids = insert(crm, "Accounts", {"Account_Name": "Weg 1"}, {"Account_Name": "Weg 2"})
    assert crm.get("/Accounts/deleted").status_code == 204
    deleted = crm.delete("/Accounts", params={"ids": ",".join(ids)}).json()["data"]
    listed = crm.get("/Accounts/deleted", params={"type": "recycle"}).json()["data"]
    assert [d["message"] for d in deleted] == ["record deleted"] * 2
    assert {d["id"] for d in listed} == set(ids) and {d["display_name"] for d in listed} == {"Weg 1", "Weg 2"}
    assert crm.get(f"/Accounts/{ids[0]}").status_code == 204


# --- search and count --------------------------------------------------------------------------


def test_search_by_criteria_word_and_email(demo: CrmApi):
    def names(params: dict[str, str]) -> list[str]:
        response = demo.get("/Accounts/search", params=params)
        return [] if response.status_code == 204 else [r["Account_Name"] for r in response.json()["data"]]

    assert names({"criteria": "(Account_Name:equals:münster)"}) == ["Café Münster GmbH"]  # equals is contains
    assert names({"criteria": "(Account_Name:starts_with:Société)"}) == ["Société Générale"]
    assert set(names({"criteria": "(Account_Name:in:Société Générale,Ærø Fisk Export)"})) == {
        "Société Générale",
        "Ærø Fisk Export",
    }
    assert names({"word": "zzzz-nothing"}) == []
    email = demo.get("/Contacts", params={"fields": "Email"}).json()["data"][0]["Email"]
    assert [r["Email"] for r in demo.get("/Contacts/search", params={"email": email}).json()["data"]] == [
        email
    ]
    short = demo.get("/Accounts/search", params={"word": "a"})
    eleven = "and".join(f"(Account_Name:equals:x{i})" for i in range(11))
    assert short.status_code == 400
    assert demo.get("/Accounts/search", params={"criteria": f"({eleven})"}).status_code == 400


def test_count_and_custom_view_apply_view_criteria(demo: CrmApi):
    views = demo.get("/settings/custom_views", params={"module": "Products"}).json()["custom_views"]
    view = next(v for v in views if not v["system_defined"])
    detail = demo.get(f"/settings/custom_views/{view['id']}", params={"module": "Products"}).json()[
        "custom_views"
    ][0]
    listed = demo.get("/Products", params={"fields": "Product_Type__c", "cvid": view["id"]}).json()["data"]
    total = demo.get("/Products/actions/count").json()["count"]
    assert detail["criteria"]["group_operator"] == "and"
    assert {r["Product_Type__c"] for r in listed} == {"Goods"} and 0 < len(listed) < total


def test_custom_views_list_the_modules_own_seeded_and_system_views_that_cvid_takes(server: ServerThread):
    crm = connect(
        server.base_url,
        {
            "records": {
                "Accounts": [{"Account_Name": "Big One", "Annual_Revenue": 900}, {"Account_Name": "Small"}]
            },
            "custom_views": {
                "Accounts": [{"name": "Big accounts", "criteria": "(Annual_Revenue:greater_than:500)"}]
            },
        },
    )

    reply = crm.get("/settings/custom_views", params={"module": "Accounts"})
    views = {v["name"]: v for v in reply.json()["custom_views"]}
    big = views["Big accounts"]
    second = crm.get("/settings/custom_views", params={"module": "Accounts", "per_page": 1, "page": 2}).json()
    in_view = crm.get("/Accounts", params={"fields": "Account_Name", "cvid": big["id"]}).json()["data"]

    assert reply.status_code == 200 and reply.json()["info"]["more_records"] is False
    assert set(views) == {"All Accounts", "Customers in Germany", "Big accounts"}
    assert (views["All Accounts"]["system_defined"], views["All Accounts"]["category"]) == (
        True,
        "public_views",
    )
    assert (big["system_defined"], big["display_value"], big["module"]["api_name"]) == (
        False,
        "Big accounts",
        "Accounts",
    )
    assert big["id"].isdigit() and big["id"] != views["All Accounts"]["id"]
    assert len(second["custom_views"]) == 1 and second["info"] == {
        "per_page": 1,
        "count": 1,
        "page": 2,
        "more_records": True,
    }
    assert [r["Account_Name"] for r in in_view] == ["Big One"]
    assert {
        v["name"]
        for v in crm.get("/settings/custom_views", params={"module": "Vendors"}).json()["custom_views"]
    } == {"All Vendors", "Food vendors"}
    missing = crm.get("/settings/custom_views")
    unknown = crm.get("/settings/custom_views", params={"module": "Nope"})
    assert (missing.status_code, missing.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "INVALID_MODULE")


# --- metadata ----------------------------------------------------------------------------------


def test_org_fields_and_stage_probabilities_describe_the_org(demo: CrmApi):
    org = demo.get("/org").json()["org"][0]
    fields = {
        f["api_name"]: f for f in demo.get("/settings/fields", params={"module": "Deals"}).json()["fields"]
    }
    stages = {v["actual_value"]: v for v in fields["Stage"]["pick_list_values"]}
    products = {
        f["api_name"]: f for f in demo.get("/settings/fields", params={"module": "Products"}).json()["fields"]
    }
    assert org["license_details"]["paid_type"] == "professional" and org["iso_code"] == "EUR"
    assert org["id"] == demo.seed["org_id"] and org["mc_status"] is False
    assert (stages["Closed Won"]["probability"], stages["Closed Won"]["deal_category"]) == (100, "Closed Won")
    assert (stages["Closed Lost"]["probability"], stages["Closed Lost"]["deal_category"]) == (
        0,
        "Closed Lost",
    )
    assert fields["Account_Name"]["lookup"]["module"]["api_name"] == "Accounts"
    assert fields["Deal_Name"]["system_mandatory"] is True
    custom = products["Product_Type__c"]
    assert custom["custom_field"] is True
    assert [v["actual_value"] for v in custom["pick_list_values"]] == ["-None-", "Goods", "Services"]


def test_stage_fills_probability_unless_probability_sent(crm: CrmApi):
    won, custom = insert(
        crm,
        "Deals",
        {"Deal_Name": "Won", "Stage": "Closed Won", "Closing_Date": "2026-12-01", "Amount": 1000},
        {"Deal_Name": "Mine", "Stage": "Closed Won", "Closing_Date": "2026-12-01", "Probability": 95},
    )
    assert crm.get(f"/Deals/{won}").json()["data"][0]["Probability"] == 100
    assert crm.get(f"/Deals/{custom}").json()["data"][0]["Probability"] == 95


def test_seed_overrides_org_edition_and_currency(server: ServerThread):
    crm = connect(server.base_url, {"org": {"edition": "standard", "currency": "USD", "mc_status": True}})
    org = crm.get("/org").json()["org"][0]
    currencies = crm.get("/org/currencies").json()["currencies"]
    assert (org["license_details"]["paid_type"], org["iso_code"], org["mc_status"]) == (
        "standard",
        "USD",
        True,
    )
    assert [c["iso_code"] for c in currencies if c["is_base"]] == ["USD"]


def test_demo_preset_is_deterministic_and_holds_the_published_collisions(server: ServerThread):
    first = connect(server.base_url, {"preset": "demo"}).seed
    crm = connect(server.base_url, {"preset": "demo"})  # a reset in between: grants of `first` are gone

    def names(module: str, field: str) -> list[str]:
        return [r[field] for r in crm.get(f"/{module}", params={"fields": field}).json()["data"]]

    assert first["ids"] == crm.seed["ids"]
    assert 35 <= len(first["ids"]["Accounts"]) <= 45 and len(first["ids"]["Products"]) >= 25
    accounts, vendors = names("Accounts", "Account_Name"), names("Vendors", "Vendor_Name")
    products = crm.get("/Products", params={"fields": "Product_Name,Product_Code"}).json()["data"]
    assert set(COLLIDING_CUSTOMERS) <= set(accounts) and set(COLLIDING_VENDORS) <= set(vendors)
    assert {(i.name, i.sku) for i in COLLIDING_ITEMS} <= {
        (p["Product_Name"], p["Product_Code"]) for p in products
    }
    assert any(name != name.strip() for name in accounts)
    stages = {d["Stage"] for d in crm.get("/Deals", params={"fields": "Stage"}).json()["data"]}
    assert {"Closed Won", "Closed Lost"} <= stages and len(stages) >= 4


def test_pipeline_users_and_modules_describe_the_org_when_asked_with_required_params(demo: CrmApi):
    missing = demo.get("/settings/pipeline")
    layout = demo.get("/settings/layouts", params={"module": "Deals"}).json()["layouts"][0]
    [pipeline] = demo.get("/settings/pipeline", params={"layout_id": layout["id"]}).json()["pipeline"]
    current = demo.get("/users", params={"type": "CurrentUser"}).json()["users"]
    inactive = demo.get("/users", params={"type": "DeactiveUsers"}).json()["users"]
    modules = {m["api_name"] for m in demo.get("/settings/modules").json()["modules"]}
    assert (missing.status_code, missing.json()["code"]) == (400, "REQUIRED_PARAM_MISSING")
    assert {m["forecast_type"] for m in pipeline["maps"]} == {"Open", "Closed Won", "Closed Lost"}
    assert (
        len(current) == 1
        and RECORD_ID.match(current[0]["id"])
        and [u["status"] for u in inactive] == ["disabled"]
    )
    assert modules == {
        "Accounts",
        "Contacts",
        "Vendors",
        "Products",
        "Deals",
        "Quotes",
        "Sales_Orders",
        "Invoices",
        "Purchase_Orders",
    }


def test_upsert_on_contacts_matches_email_regardless_of_case(crm: CrmApi):
    [contact] = insert(crm, "Contacts", {"Last_Name": "Jørgensen", "Email": "soren@fjord.example"})
    response = crm.post(
        "/Contacts/upsert",
        json={"data": [{"Last_Name": "Jørgensen", "Email": "SOREN@fjord.example", "Title": "Einkauf"}]},
    )
    [result] = response.json()["data"]
    assert (response.status_code, result["action"], result["details"]["id"]) == (200, "update", contact)
    assert crm.get(f"/Contacts/{contact}").json()["data"][0]["Title"] == "Einkauf"


# --- limits and faults -------------------------------------------------------------------------


def test_answers_429_too_many_requests_when_daily_credits_are_used_up(server: ServerThread):
    crm = connect(server.base_url)
    control(server).put("/_sandbox/limits", json={"credits_per_day": 3})
    statuses = [crm.get("/org").status_code for _ in range(4)]
    refused = crm.get("/org")
    assert statuses == [200, 200, 200, 429]
    assert refused.json()["code"] == "TOO_MANY_REQUESTS" and refused.json()["status"] == "error"


def test_writes_cost_one_credit_per_ten_records_reads_one_per_call(server: ServerThread):
    """Zoho's insert, update and upsert cost 1 credit per 10 records (the CRM sync's batches, issue 13)."""
    crm = connect(server.base_url)

    def used() -> int:
        return control(server).put("/_sandbox/limits", json={}).json()["limits"]["credits_used"]

    start = used()
    ids = insert(crm, "Accounts", *({"Account_Name": f"Batch {n:02d}"} for n in range(25)))
    after_insert = used()
    updated = crm.put("/Accounts", json={"data": [{"id": i, "Phone": "+1 555 0100"} for i in ids[:10]]})
    after_update = used()
    crm.get("/org")
    assert updated.status_code == 200
    assert (after_insert - start, after_update - after_insert, used() - after_update) == (3, 1, 1)


def test_answers_429_when_concurrency_limit_is_hit(server: ServerThread):
    crm = connect(server.base_url)
    control(server).put("/_sandbox/limits", json={"concurrency": 1})
    control(server).put("/_sandbox/faults", json={"faults": [{"kind": "slow", "delay_ms": 400, "next": 1}]})
    results: list[int] = []
    slow = threading.Thread(target=lambda: results.append(crm.get("/org").status_code))
    slow.start()
    wait_for(lambda: control(server).get("/_sandbox/faults").json()["faults"][0]["remaining"] == 0)
    second = httpx.get(f"{server.base_url}/crm/v8/org", headers=dict(crm.http.headers))
    slow.join()
    assert results == [200] and second.status_code == 429


def test_faults_rate_limit_next_n_calls_then_drop_then_count_calls_by_route(server: ServerThread):
    crm = connect(server.base_url)
    control(server).put(
        "/_sandbox/faults",
        json={
            "faults": [
                {"kind": "rate_limit", "next": 2, "path_prefix": "/crm/v8/Accounts"},
                {"kind": "drop", "next": 1, "path_prefix": "/crm/v8/Deals"},
                {"kind": "server_error", "next": 1, "path_prefix": "/crm/v8/Vendors"},
            ]
        },
    )
    limited = [crm.get("/Accounts", params={"fields": "Account_Name"}).status_code for _ in range(3)]
    with pytest.raises(httpx.RemoteProtocolError):
        crm.get("/Deals", params={"fields": "Deal_Name"})
    failed = crm.get("/Vendors", params={"fields": "Vendor_Name"})
    calls = control(server).get("/_sandbox/calls").json()["calls"]
    assert limited == [429, 429, 204]
    assert (failed.status_code, failed.json()["code"]) == (500, "INTERNAL_ERROR")
    assert calls == {"POST /oauth/v2/token": 1, "GET /crm/v8/{module}": 5}
    assert crm.get("/Deals", params={"fields": "Deal_Name"}).status_code == 204


def test_unknown_module_and_url_answer_in_the_vendor_error_shape(crm: CrmApi):
    module = crm.get("/Leadz", params={"fields": "x"})
    url = crm.get("/settings/nothing/here/at/all")
    assert (module.status_code, module.json()["code"]) == (400, "INVALID_MODULE")
    assert (url.status_code, url.json()["code"]) == (404, "INVALID_URL_PATTERN")


# --- notifications -----------------------------------------------------------------------------


def watch(crm: CrmApi, url: str, channel_id: int, events: list[str], **extra: Any) -> httpx.Response:
    return crm.post(
        "/actions/watch",
        json={
            "watch": [
                {
                    "channel_id": channel_id,
                    "events": events,
                    "notify_url": url,
                    "token": "secret-token",
                    **extra,
                }
            ]
        },
    )


def test_notifications_reach_the_receiver_for_insert_update_and_delete(
    crm: CrmApi, receiver: tuple[Receiver, str]
):
    hook, url = receiver
    hook.received.clear()
    enabled = watch(crm, f"{url}?integration=42", 1001, ["Accounts.all"], return_affected_field_values=True)
    assert enabled.json()["watch"][0]["details"]["events"][0]["resource_name"] == "Accounts"
    [account] = insert(crm, "Accounts", {"Account_Name": "Bäckerei Schönbrunn"})
    crm.put(f"/Accounts/{account}", json={"data": [{"Phone": "+43 1"}]})
    crm.delete(f"/Accounts/{account}")
    wait_for(lambda: len(hook.received) >= 3)
    by_op = {p["operation"]: p for p in hook.received}
    assert set(by_op) == {"insert", "update", "delete"} and all(p["ids"] == [account] for p in hook.received)
    update = by_op["update"]
    assert update["affected_fields"] == [{account: ["Phone"]}]
    assert update["affected_values"] == [{"record_id": account, "values": {"Phone": "+43 1"}}]
    assert (update["channel_id"], update["token"], update["query_params"]) == (
        "1001",
        "secret-token",
        {"integration": "42"},
    )
    assert update["resource_uri"].endswith("/crm/v8/Accounts") and isinstance(update["server_time"], int)


def test_field_condition_channel_fires_only_when_a_chosen_field_changes(
    crm: CrmApi, receiver: tuple[Receiver, str]
):
    hook, url = receiver
    condition = [
        {
            "type": "field_selection",
            "module": {"api_name": "Deals"},
            "field_selection": {"group_operator": "or", "group": [{"field": {"api_name": "Stage"}}]},
        }
    ]
    watch(crm, url, 2002, ["Deals.edit"], notification_condition=condition)
    [deal] = insert(
        crm, "Deals", {"Deal_Name": "Kühlboxen", "Stage": "Qualification", "Closing_Date": "2026-12-24"}
    )
    hook.received.clear()
    crm.put(f"/Deals/{deal}", json={"data": [{"Amount": 500}]})
    crm.put(f"/Deals/{deal}", json={"data": [{"Stage": "Closed Won"}]})
    wait_for(lambda: hook.received)
    notes = control_notifications(crm)
    assert [p["ids"] for p in hook.received] == [[deal]] and len(notes) == 1


def control_notifications(crm: CrmApi) -> list[dict[str, Any]]:
    return httpx.get(f"{crm.http.base_url}/_sandbox/notifications").json()["notifications"]


def test_delivery_is_retried_with_backoff_after_a_failed_first_attempt(crm: CrmApi):
    hook = Receiver(fail_first=1)
    with ServerThread(hook.app()) as thread:
        watch(crm, f"{thread.base_url}/hook", 3003, ["Contacts.create"])
        insert(crm, "Contacts", {"Last_Name": "Weiß"})
        wait_for(lambda: hook.received)
        [delivery] = wait_for(lambda: [d for d in control_notifications(crm) if d["status"] == "delivered"])
    assert hook.answered == [500, 200]
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]


def test_expired_channel_stops_firing_and_expiry_over_a_week_falls_back_to_one_hour(
    crm: CrmApi, clock: FakeClock, receiver: tuple[Receiver, str], server: ServerThread
):
    hook, url = receiver
    watch(crm, url, 4004, ["Vendors.create"], channel_expiry="2099-01-01T00:00:00+00:00")
    listed = crm.get("/actions/watch", params={"channel_id": "4004"}).json()["watch"][0]
    in_an_hour = (clock.now + timedelta(hours=1)).astimezone(ZoneInfo("Europe/Berlin")).isoformat()
    clock.advance(3601)
    fresh = {"Authorization": f"Zoho-oauthtoken {refresh(server.base_url, crm.seed).json()['access_token']}"}
    hook.received.clear()
    crm.post("/Vendors", json={"data": [{"Vendor_Name": "Spät AG"}]}, headers=fresh).raise_for_status()
    assert listed["channel_expiry"] == in_an_hour
    assert crm.get("/actions/watch", headers=fresh).status_code == 204
    assert control_notifications(crm) == [] and hook.received == []


def test_credits_header_appears_once_half_of_the_day_is_used(server: ServerThread):
    crm = connect(server.base_url)
    control(server).put("/_sandbox/limits", json={"credits_per_day": 4})
    first, second = crm.get("/org"), crm.get("/org")
    assert "x-api-credits-remaining" not in first.headers
    assert second.headers["x-api-credits-remaining"] == "2"


def test_disabled_channel_is_gone_and_unknown_channel_is_not_subscribed(
    crm: CrmApi, receiver: tuple[Receiver, str]
):
    _, url = receiver
    watch(crm, url, 5005, ["Products.all"])
    removed = crm.delete("/actions/watch", params={"channel_ids": "5005"})
    again = crm.delete("/actions/watch", params={"channel_ids": "5005"})
    assert removed.json()["watch"][0]["status"] == "success"
    assert (again.status_code, again.json()["watch"][0]["code"]) == (400, "NOT_SUBSCRIBED")
    assert crm.get("/actions/watch").status_code == 204
