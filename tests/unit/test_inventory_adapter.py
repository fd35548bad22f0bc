from datetime import UTC, datetime

import httpx
import pytest

from crmsync.adapters.http import RetryPolicy, VendorHttp
from crmsync.adapters.inventory import ZohoInventoryClient
from crmsync.adapters.inventory.errors import classify, is_token_rejected
from crmsync.ports.errors import (
    AuthorizationExpired,
    DailyLimitReached,
    NotFound,
    PermanentError,
    RateLimited,
    Unavailable,
    ValidationFailed,
)
from crmsync.ports.inventory import ItemQuery, TransactionQuery


class FakeInventory:
    def __init__(self, total_items: int = 0):
        self.items = [
            {
                "item_id": 460000000026049 + i,
                "name": f"Item {i}",
                "last_modified_time": "2024-05-01T10:00:00+0530",
            }
            for i in range(total_items)
        ]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        params = request.url.params
        if request.url.path.endswith("/items"):
            page, per_page = int(params["page"]), int(params["per_page"])
            chunk = self.items[(page - 1) * per_page : page * per_page]
            context = {"page": page, "per_page": per_page, "has_more_page": page * per_page < len(self.items)}
            return httpx.Response(
                200, json={"code": 0, "message": "success", "items": chunk, "page_context": context}
            )
        if request.url.path.endswith("/status/void"):
            return httpx.Response(
                200, json={"code": 0, "message": "Invoice status has been changed to Void."}
            )
        return httpx.Response(404, json={"code": 1002, "message": "Invoice does not exist."})


def client_for(inventory: FakeInventory) -> ZohoInventoryClient:
    http = httpx.Client(transport=httpx.MockTransport(inventory))
    policy = RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.01)
    vendor = VendorHttp("inventory", http, classify, lambda: "https://inv.test/inventory/v1", policy=policy)
    return ZohoInventoryClient(vendor, "10234695")


def test_listing_follows_has_more_page_and_sends_organization_id():
    inventory = FakeInventory(total_items=450)

    pages = list(client_for(inventory).iter_item_pages())

    assert [len(p.records) for p in pages] == [200, 200, 50]
    assert [p.next_cursor for p in pages] == ["page:2", "page:3", None]
    assert pages[0].records[0].id == "460000000026049"
    assert pages[0].records[0].last_modified_time == datetime(2024, 5, 1, 4, 30, tzinfo=UTC)
    assert {r.url.params["organization_id"] for r in inventory.requests} == {"10234695"}


def test_item_filters_go_out_as_the_vendor_names_them():
    inventory = FakeInventory()
    query = ItemQuery(
        zcrm_product_id="5725767000000123",
        modified_after=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        sort_column="last_modified_time",
        sort_order="D",
    )

    list(client_for(inventory).iter_item_pages(query))

    params = inventory.requests[0].url.params
    assert params["zcrm_product_id"] == "5725767000000123"
    assert params["last_modified_time"] == "2024-05-01T12:00:00+0000"
    assert (params["sort_column"], params["sort_order"]) == ("last_modified_time", "D")


def test_transaction_status_action_posts_to_the_status_path():
    inventory = FakeInventory()

    client_for(inventory).set_transaction_status("invoices", "982000000567240", "void")

    assert inventory.requests[0].method == "POST"
    assert inventory.requests[0].url.path == "/inventory/v1/invoices/982000000567240/status/void"


def test_missing_transaction_is_not_found():
    with pytest.raises(NotFound) as raised:
        client_for(FakeInventory()).get_transaction("invoices", "1")

    assert raised.value.code == "1002" and raised.value.system == "inventory"


def test_transaction_query_filters_by_reference_and_customer():
    inventory = FakeInventory()
    query = TransactionQuery(reference_number="DEAL-42", customer_id="77")

    with pytest.raises(NotFound):
        list(client_for(inventory).iter_transaction_pages("salesorders", query))

    assert inventory.requests[0].url.params["reference_number"] == "DEAL-42"
    assert inventory.requests[0].url.params["customer_id"] == "77"


@pytest.mark.parametrize(
    ("status", "body", "error", "retryable"),
    [
        (429, {"code": 44, "message": "per minute"}, RateLimited, True),
        (429, {"code": 45, "message": "daily cap"}, DailyLimitReached, False),
        (400, {"code": 1070, "message": "in process"}, RateLimited, True),
        (401, {"code": 57, "message": "not authorized"}, AuthorizationExpired, False),
        (400, {"code": 14, "message": "bad header"}, AuthorizationExpired, False),
        (404, {"code": 1002, "message": "does not exist"}, NotFound, False),
        (400, {"code": 1001, "message": "already exists"}, ValidationFailed, False),
        (403, {"code": 1, "message": "forbidden"}, PermanentError, False),
        (500, {"code": 1, "message": "oops"}, Unavailable, True),
        (200, {"code": 2, "message": "error reported in a 200"}, PermanentError, False),
    ],
)
def test_error_is_typed_by_status_and_code(status, body, error, retryable):
    raised = classify(httpx.Response(status, json=body))

    assert type(raised) is error
    assert raised.retryable is retryable and raised.code == str(body["code"])


def test_daily_cap_is_still_a_rate_limit():
    assert isinstance(classify(httpx.Response(429, json={"code": 45, "message": "cap"})), RateLimited)


def test_success_envelope_is_not_an_error():
    assert (
        classify(httpx.Response(201, json={"code": 0, "message": "The item has been created", "item": {}}))
        is None
    )


@pytest.mark.parametrize(
    ("status", "code", "rejected"), [(401, 57, True), (400, 57, True), (401, 14, True), (404, 1002, False)]
)
def test_token_is_refreshed_only_for_auth_codes(status, code, rejected):
    assert is_token_rejected(httpx.Response(status, json={"code": code, "message": "x"})) is rejected
