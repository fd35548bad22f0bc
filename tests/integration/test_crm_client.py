"""The CRM client against the CRM sandbox over real HTTP."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from crmsync.adapters.crm import ZohoCrmClient
from crmsync.ports.budget import CallBudget
from crmsync.ports.crm import WatchChannel
from crmsync.ports.errors import AuthorizationExpired, NotFound, ValidationFailed

pytest_plugins = ["tests.integration.sandbox_fixtures"]

LIST_CALLS = "GET /crm/v8/{module}"
TOKEN_CALLS = "POST /oauth/v2/token"


def connect(sandbox, seed, **options) -> ZohoCrmClient:
    return ZohoCrmClient.connect(sandbox.credentials(seed), policy=sandbox.retry_policy, **options)


def account_ids(client: ZohoCrmClient) -> list[str]:
    pages = client.iter_record_pages("Accounts", ["Account_Name"])
    return [record.id for page in pages for record in page.records]


def test_listing_reaches_past_2000_records_with_page_token_when_module_holds_2500(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 2500}})
    client = connect(crm_sandbox, seed)

    pages = list(client.iter_record_pages("Accounts", ["Account_Name", "Modified_Time"]))

    ids = [record.id for page in pages for record in page.records]
    assert len(ids) == len(set(ids)) == 2500
    assert all(isinstance(i, str) and i.isdigit() for i in ids)
    assert len(pages) == 13
    assert pages[9].next_cursor.startswith("token:") and pages[-1].next_cursor is None
    assert crm_sandbox.calls()[LIST_CALLS] == 13


def test_listing_resumes_from_a_cursor_past_2000_records(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 2300}})
    client = connect(crm_sandbox, seed)
    first_run = list(zip(range(11), client.iter_record_pages("Accounts", ["Account_Name"]), strict=False))
    seen = [r.id for _, page in first_run for r in page.records]
    checkpoint = first_run[-1][1].next_cursor  # saved after page 11, as a bounded sync step would

    resumed = client.iter_record_pages("Accounts", ["Account_Name"], cursor=checkpoint)
    rest = [r.id for page in resumed for r in page.records]

    assert checkpoint.startswith("token:")
    assert len(seen) == 2200 and len(rest) == 100
    assert len(set(seen) | set(rest)) == 2300


def test_listing_is_empty_when_nothing_changed_since(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 5}})
    client = connect(crm_sandbox, seed)

    future = datetime.now(UTC) + timedelta(days=1)

    assert list(client.iter_record_pages("Accounts", ["Account_Name"], modified_since=future)) == []
    past = datetime.now(UTC) - timedelta(days=1)
    [page] = client.iter_record_pages("Accounts", ["Account_Name"], modified_since=past)
    assert len(page.records) == 5


def test_listing_is_empty_when_module_has_no_records(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})
    client = connect(crm_sandbox, seed)

    assert list(client.iter_record_pages("Vendors", ["Vendor_Name"])) == []
    assert client.search_records("Accounts", word="no-such-account-anywhere") == []


def test_mixed_batch_reports_each_record_in_order(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})
    client = connect(crm_sandbox, seed)

    outcomes = client.insert_records(
        "Contacts",
        [
            {"Last_Name": "Good", "Email": "good@example.com"},
            {"First_Name": "No last name"},
            {"Last_Name": "Bad email", "Email": "not-an-email"},
            {"Last_Name": "Also good"},
        ],
        trigger=[],
    )

    assert [o.ok for o in outcomes] == [True, False, False, True]
    assert (outcomes[1].code, outcomes[1].field) == ("MANDATORY_NOT_FOUND", "Last_Name")
    assert (outcomes[2].code, outcomes[2].field) == ("INVALID_DATA", "Email")
    assert client.get_record("Contacts", outcomes[0].id).values["Email"] == "good@example.com"


def test_large_batch_is_split_into_calls_of_100(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})
    client = connect(crm_sandbox, seed)

    outcomes = client.insert_records("Accounts", [{"Account_Name": f"Batch {i:03}"} for i in range(250)])

    assert len(outcomes) == 250 and all(o.ok for o in outcomes)
    assert crm_sandbox.calls()["POST /crm/v8/{module}"] == 3
    assert len(set(account_ids(client))) == 251


def test_update_and_upsert_report_outcomes_per_record(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})
    client = connect(crm_sandbox, seed)
    [created] = client.insert_records("Accounts", [{"Account_Name": "Acme"}])

    updated = client.update_records(
        "Accounts", [{"id": created.id, "Phone": "123"}, {"id": "1", "Phone": "9"}]
    )
    upserted = client.upsert_records(
        "Accounts", [{"Account_Name": "Acme", "Phone": "456"}, {"Account_Name": "New"}]
    )

    assert updated[0].ok and (updated[1].ok, updated[1].field) == (False, "id")
    assert [(o.ok, o.action) for o in upserted] == [(True, "update"), (True, "insert")]
    assert upserted[0].id == created.id
    assert client.get_record("Accounts", created.id).values["Phone"] == "456"


def test_deleted_records_are_listed_after_delete(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 3}})
    client = connect(crm_sandbox, seed)
    doomed = account_ids(client)[:2]

    outcomes = client.delete_records("Accounts", doomed)

    assert all(o.ok for o in outcomes)
    deleted = [r.id for page in client.iter_deleted_pages("Accounts") for r in page.records]
    assert sorted(deleted) == sorted(doomed)
    with pytest.raises(NotFound):
        client.get_record("Accounts", doomed[0])


def test_token_is_refreshed_once_and_call_replayed_when_it_expires_mid_run(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 600}})
    crm_sandbox.set_limits(token_expires_in=1)
    client = connect(crm_sandbox, seed, clock=lambda: 0.0)  # a frozen clock: only the CRM sees expiry
    pages = client.iter_record_pages("Accounts", ["Account_Name"])
    ids = [r.id for r in next(pages).records]

    time.sleep(1.5)
    ids += [r.id for page in pages for r in page.records]

    assert len(set(ids)) == 600
    calls = crm_sandbox.calls()
    assert calls[TOKEN_CALLS] == 2
    assert calls[LIST_CALLS] == 4  # three pages, one of them replayed after the refresh


def test_token_is_renewed_before_expiry_when_client_clock_sees_it_coming(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 600}})
    crm_sandbox.set_limits(token_expires_in=2)
    client = connect(crm_sandbox, seed)
    pages = client.iter_record_pages("Accounts", ["Account_Name"])
    ids = [r.id for r in next(pages).records]

    time.sleep(2.1)
    ids += [r.id for page in pages for r in page.records]

    assert len(set(ids)) == 600
    assert crm_sandbox.calls()[TOKEN_CALLS] == 2
    assert crm_sandbox.calls()[LIST_CALLS] == 3  # no call was refused


def test_writes_and_reads_lose_and_duplicate_nothing_when_a_429_storm_hits(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})
    client = connect(crm_sandbox, seed)
    existing = set(account_ids(client))
    crm_sandbox.set_faults({"kind": "rate_limit", "next": 6, "path_prefix": "/crm/v8/Accounts"})

    outcomes = client.insert_records("Accounts", [{"Account_Name": f"Storm {i:03}"} for i in range(150)])
    crm_sandbox.set_faults({"kind": "rate_limit", "next": 5, "path_prefix": "/crm/v8/Accounts"})
    listed = account_ids(client)

    assert all(o.ok for o in outcomes)
    assert len(listed) == len(set(listed)) == 151
    assert set(listed) == existing | {o.id for o in outcomes}


def test_listing_recovers_when_a_connection_is_dropped(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 450}})
    client = connect(crm_sandbox, seed)
    crm_sandbox.set_faults({"kind": "drop", "next": 1, "path_prefix": "/crm/v8/Accounts"})

    ids = account_ids(client)

    assert len(set(ids)) == 450
    assert crm_sandbox.calls()[LIST_CALLS] == 4


def test_missing_record_raises_not_found(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})

    with pytest.raises(NotFound) as raised:
        connect(crm_sandbox, seed).get_record("Accounts", "5725767000009999999")

    assert raised.value.system == "crm"


def test_bad_duplicate_check_field_raises_validation_failed_naming_it(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})

    with pytest.raises(ValidationFailed) as raised:
        connect(crm_sandbox, seed).upsert_records(
            "Accounts", [{"Account_Name": "Acme"}], duplicate_check_fields=["No_Such_Field"]
        )

    assert raised.value.field == "No_Such_Field"


def test_org_settings_are_read_when_seeded_with_the_demo(crm_sandbox):
    seed = crm_sandbox.seed({"preset": "demo"})
    client = connect(crm_sandbox, seed)

    org = client.get_org()
    currencies = client.list_currencies()
    users = client.list_users()
    fields = {f.api_name: f for f in client.list_fields("Deals")}
    views = client.list_custom_views("Accounts")

    assert org.id == str(seed["org_id"]) and org.iso_code
    assert any(c.is_base and c.iso_code == org.iso_code for c in currencies)
    assert users and all(u.id.isdigit() for u in users)
    stages = fields["Stage"].pick_list_values
    assert {s.probability for s in stages} >= {0, 100}
    assert fields["Account_Name"].lookup_module == "Accounts"
    assert views and all(v.id for v in views)


def test_watch_channel_lifecycle(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})
    client = connect(crm_sandbox, seed)
    channel = WatchChannel(
        channel_id="1000000068001",
        events=["Deals.edit"],
        notify_url="https://hooks.example.com/crm/int-1",
        token="tok",
        channel_expiry=datetime.now(UTC) + timedelta(days=2),
    )

    [enabled] = client.enable_watch([channel])
    [listed] = client.list_watches()
    [updated] = client.update_watch([channel.model_copy(update={"events": ["Deals.all"]})])
    [disabled] = client.disable_watch(["1000000068001"])

    assert enabled.ok and enabled.channel_id == "1000000068001"
    assert listed.channel_id == "1000000068001" and listed.events == ["Deals.edit"]
    assert updated.ok and disabled.ok
    assert client.list_watches() == []


def test_refused_refresh_token_raises_authorization_expired(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})
    client = connect(crm_sandbox, seed | {"refresh_token": "1000.revoked.refresh"})

    with pytest.raises(AuthorizationExpired) as raised:
        client.get_org()

    assert raised.value.retryable is False
    assert crm_sandbox.calls()[TOKEN_CALLS] == 1


def test_call_budget_is_the_credits_left_the_crm_last_told_and_unknown_until_it_tells(crm_sandbox):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})
    client = connect(crm_sandbox, seed)
    account_ids(client)
    assert client.call_budget() == CallBudget()  # under half of the day's credits spent: no header
    used = crm_sandbox.set_limits()["limits"]["credits_used"]
    crm_sandbox.set_limits(credits_per_day=used + 2)

    account_ids(client)

    assert client.call_budget() == CallBudget(left=1, per_second=None)
