from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from crmsync.adapters.crm import ZohoCrmClient
from crmsync.adapters.crm.errors import classify
from crmsync.adapters.http import RetryPolicy, VendorHttp, decode_json
from crmsync.ports.crm import Criterion, WatchChannel
from crmsync.ports.errors import DailyLimitReached, NotFound, PermanentError, RateLimited, ValidationFailed

FIRST_ID = 5725767000003000000


class FakeCrm:
    """Just enough of the CRM's listing and batch-write rules to drive the client."""

    def __init__(self, total: int = 0):
        self.records = [{"id": FIRST_ID + i, "Account_Name": f"Account {i}"} for i in range(total)]
        self.requests: list[httpx.Request] = []
        self.reply: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.reply is not None:
            return self.reply
        if request.method == "GET":
            return self.list(request.url.params)
        return self.write(decode_json(request))

    def list(self, params) -> httpx.Response:
        per_page = int(params["per_page"])
        if "page_token" in params:
            offset = int(params["page_token"].removeprefix("tok-"))
        else:
            offset = (int(params["page"]) - 1) * per_page
            if offset + per_page > 2000:
                return httpx.Response(
                    400, json={"code": "DISCRETE_PAGINATION_LIMIT_EXCEEDED", "status": "error"}
                )
        chunk = self.records[offset : offset + per_page]
        if not chunk:
            return httpx.Response(204)
        more = offset + per_page < len(self.records)
        info = {"more_records": more, "next_page_token": f"tok-{offset + per_page}" if more else None}
        return httpx.Response(200, json={"data": chunk, "info": info})

    def write(self, body) -> httpx.Response:
        results = []
        for record in body["data"]:
            if record.get("Email") == "bad":
                details = {"api_name": "Email", "json_path": "$.data[0].Email"}
                results.append(
                    {"code": "INVALID_DATA", "details": details, "message": "invalid", "status": "error"}
                )
            else:
                details = {"id": f"new-{record['Account_Name']}"}
                results.append(
                    {"code": "SUCCESS", "details": details, "message": "record added", "status": "success"}
                )
        mixed = any(r["status"] == "error" for r in results)
        return httpx.Response(207 if mixed else 201, json={"data": results})


def client_for(crm: FakeCrm) -> ZohoCrmClient:
    http = httpx.Client(transport=httpx.MockTransport(crm))
    policy = RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.01)
    return ZohoCrmClient(VendorHttp("crm", http, classify, lambda: "https://crm.test/crm/v8", policy=policy))


def test_listing_switches_to_page_token_when_past_2000_records():
    crm = FakeCrm(total=2450)

    pages = list(client_for(crm).iter_record_pages("Accounts", ["Account_Name"]))

    ids = [r.id for page in pages for r in page.records]
    assert ids == [str(FIRST_ID + i) for i in range(2450)]
    assert [("page" in r.url.params, "page_token" in r.url.params) for r in crm.requests] == [
        (True, False)
    ] * 10 + [(False, True)] * 3
    assert all(r.url.params["fields"] == "Account_Name" for r in crm.requests)
    assert pages[-1].next_cursor is None


def test_listing_resumes_after_the_page_a_cursor_names():
    crm = FakeCrm(total=2450)
    client = client_for(crm)
    pages = list(client.iter_record_pages("Accounts", ["Account_Name"]))

    resumed = list(client.iter_record_pages("Accounts", ["Account_Name"], cursor=pages[10].next_cursor))

    assert [r.id for p in resumed for r in p.records] == [r.id for p in pages[11:] for r in p.records]


@pytest.mark.parametrize("status", [204, 304])
def test_listing_yields_nothing_when_crm_has_no_rows(status):
    crm = FakeCrm()
    crm.reply = httpx.Response(status)
    since = datetime(2019, 7, 25, 15, 26, 49, tzinfo=timezone(timedelta(hours=5, minutes=30)))

    pages = list(client_for(crm).iter_record_pages("Accounts", ["Account_Name"], modified_since=since))

    assert pages == []
    assert crm.requests[0].headers["If-Modified-Since"] == "2019-07-25T15:26:49+05:30"


def test_listing_is_refused_when_more_than_50_fields_are_asked():
    with pytest.raises(ValueError):
        next(client_for(FakeCrm()).iter_record_pages("Accounts", [f"F{i}" for i in range(51)]))


def test_listing_is_refused_when_naive_modified_since_is_given():
    with pytest.raises(ValueError):
        next(
            client_for(FakeCrm()).iter_record_pages(
                "Accounts", ["Email"], modified_since=datetime(2024, 1, 1)
            )
        )


def test_batch_write_sends_at_most_100_and_keeps_input_order():
    crm = FakeCrm()
    records = [{"Account_Name": str(i), "Email": "bad" if i % 7 == 0 else "ok"} for i in range(250)]

    outcomes = client_for(crm).insert_records("Accounts", records, trigger=[])

    assert [len(decode_json(r)["data"]) for r in crm.requests] == [100, 100, 50]
    assert decode_json(crm.requests[0])["trigger"] == []
    assert [o.ok for o in outcomes] == [i % 7 != 0 for i in range(250)]
    assert outcomes[1].id == "new-1"
    assert (outcomes[7].code, outcomes[7].field, outcomes[7].id) == ("INVALID_DATA", "Email", None)


def test_batch_outcomes_are_returned_when_every_record_failed_with_400():
    crm = FakeCrm()
    error = {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": "Last_Name"},
        "message": "x",
        "status": "error",
    }
    crm.reply = httpx.Response(400, json={"data": [error]})

    [outcome] = client_for(crm).insert_records("Contacts", [{"First_Name": "Ann"}])

    assert (outcome.ok, outcome.code, outcome.field) == (False, "MANDATORY_NOT_FOUND", "Last_Name")


def test_answer_count_mismatch_is_a_permanent_error():
    crm = FakeCrm()
    crm.reply = httpx.Response(200, json={"data": []})

    with pytest.raises(PermanentError):
        client_for(crm).update_records("Accounts", [{"id": "1", "Phone": "1"}])


def test_get_record_raises_not_found_when_crm_answers_204():
    crm = FakeCrm()
    crm.reply = httpx.Response(204)

    with pytest.raises(NotFound):
        client_for(crm).get_record("Accounts", "123")


def test_invalid_id_is_not_found_and_invalid_field_is_a_validation_failure():
    invalid_id = {
        "code": "INVALID_DATA",
        "details": {"api_name": "id"},
        "message": "invalid id",
        "status": "error",
    }
    invalid_field = {
        "code": "INVALID_DATA",
        "details": {"api_name": "Phone"},
        "message": "bad",
        "status": "error",
    }

    assert isinstance(classify(httpx.Response(400, json=invalid_id)), NotFound)
    error = classify(httpx.Response(400, json=invalid_field))
    assert isinstance(error, ValidationFailed) and error.field == "Phone" and error.code == "INVALID_DATA"


def test_search_criteria_are_escaped_and_joined():
    crm = FakeCrm()
    crm.reply = httpx.Response(204)
    criteria = [
        Criterion(field="Account_Name", value="Smith (UK), Ltd\\"),
        Criterion(field="Phone", operator="starts_with", value="+44"),
    ]

    assert client_for(crm).search_records("Accounts", criteria=criteria) == []

    assert (
        crm.requests[0].url.params["criteria"]
        == r"((Account_Name:equals:Smith \(UK\)\, Ltd\\)and(Phone:starts_with:+44))"
    )


def test_watch_channel_id_goes_out_as_a_number():
    crm = FakeCrm()
    reply = {
        "code": "SUCCESS",
        "status": "success",
        "message": "ok",
        "details": {"events": [{"channel_id": 1000000068001, "channel_expiry": "2030-01-01T00:00:00+00:00"}]},
    }
    crm.reply = httpx.Response(200, json={"watch": [reply]})
    channel = WatchChannel(
        channel_id="1000000068001",
        events=["Deals.all"],
        notify_url="https://hook.test/x",
        channel_expiry=datetime(2030, 1, 1, tzinfo=UTC),
    )

    [outcome] = client_for(crm).enable_watch([channel])

    assert b'"channel_id":1000000068001' in crm.requests[0].content
    assert outcome.ok and outcome.channel_id == "1000000068001"


def test_throttle_is_final_for_the_day_when_no_credits_remain():
    body = {"code": "TOO_MANY_REQUESTS", "message": "limit", "status": "error"}

    spent = classify(httpx.Response(429, json=body, headers={"X-API-CREDITS-REMAINING": "0"}))
    busy = classify(httpx.Response(429, json=body, headers={"X-API-CREDITS-REMAINING": "12"}))

    assert isinstance(spent, DailyLimitReached) and spent.retryable is False
    assert type(busy) is RateLimited and busy.retryable is True
