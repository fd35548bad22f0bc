"""The inventory client against the inventory sandbox over real HTTP."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from crmsync.adapters.http import RetryPolicy
from crmsync.adapters.inventory import ZohoInventoryClient
from crmsync.adapters.pacer import TokenBucket
from crmsync.ports.errors import DailyLimitReached, NotFound, ValidationFailed
from crmsync.ports.inventory import ItemQuery, TransactionQuery

pytest_plugins = ["tests.integration.sandbox_fixtures"]

ITEM_LIST_CALLS = "GET /inventory/v1/items"
TOKEN_CALLS = "POST /oauth/v2/token"


def connect(sandbox, seed, **options) -> ZohoInventoryClient:
    options = {"policy": sandbox.retry_policy} | options
    return ZohoInventoryClient.connect(sandbox.credentials(seed), seed["organization_id"], **options)


def item_ids(client: ZohoInventoryClient, query: ItemQuery | None = None) -> list[str]:
    return [record.id for page in client.iter_item_pages(query) for record in page.records]


def test_pacer_keeps_1000_calls_under_the_limit_without_a_single_429(inventory_sandbox):
    seed = inventory_sandbox.seed({"items": [{"name": "Paced", "sku": "PACE-1"}]})
    inventory_sandbox.set_limits(per_minute=100, window_seconds=1)
    no_retry = RetryPolicy(max_attempts=1, timeout=10.0)  # a single 429 would fail the test
    # Paced at 90% of the limit, as the product does: arrival jitter must not bunch calls into one window.
    client = connect(inventory_sandbox, seed, pacer=TokenBucket(90, 1.0), policy=no_retry)
    item_id = seed["ids"]["items"]["PACE-1"]

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        names = list(pool.map(lambda _: client.get_item(item_id).values["name"], range(1000)))
    elapsed = time.monotonic() - started

    assert names == ["Paced"] * 1000
    assert inventory_sandbox.calls()["GET /inventory/v1/items/{item_id}"] == 1000
    assert 9.0 < elapsed < 40.0


def test_listing_pages_through_every_item_when_org_holds_450(inventory_sandbox):
    seed = inventory_sandbox.seed({"generate": {"items": 450}})
    client = connect(inventory_sandbox, seed)

    pages = list(client.iter_item_pages(ItemQuery(sort_column="last_modified_time", sort_order="D")))

    ids = [r.id for page in pages for r in page.records]
    assert [len(p.records) for p in pages] == [200, 200, 50]
    assert len(set(ids)) == 450 and all(i.isdigit() for i in ids)
    assert all(r.last_modified_time is not None for p in pages for r in p.records)


def test_items_are_found_by_linked_crm_product_and_modified_time(inventory_sandbox):
    seed = inventory_sandbox.seed({"generate": {"items": 3}})
    client = connect(inventory_sandbox, seed)
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)

    linked = client.create_item({"name": "Widget", "sku": "W-1", "zcrm_product_id": "5725767000000123001"})

    assert item_ids(client, ItemQuery(zcrm_product_id="5725767000000123001")) == [linked.id]
    assert item_ids(client, ItemQuery(modified_after=datetime.now(UTC) + timedelta(hours=1))) == []
    assert linked.id in item_ids(client, ItemQuery(modified_after=before))
    assert client.update_item(linked.id, {"rate": 12.5}).values["rate"] == 12.5


def test_contacts_and_contact_persons_round_trip(inventory_sandbox):
    seed = inventory_sandbox.seed({"generate": {"customers": 1}})
    client = connect(inventory_sandbox, seed)

    contact = client.create_contact(
        {"contact_name": "Acme Ltd", "contact_type": "customer", "customer_sub_type": "business"}
    )
    person = client.create_contact_person(
        contact.id, {"first_name": "Ann", "last_name": "Lee", "email": "ann@acme.test"}
    )
    client.update_contact_person(contact.id, person.id, {"phone": "555"})
    persons = client.list_contact_persons(contact.id)
    client.update_contact(contact.id, {"website": "https://acme.test"})
    found = [r.id for page in client.iter_contact_pages() for r in page.records]

    assert [(p.id, p.values["phone"]) for p in persons] == [(person.id, "555")]
    assert client.get_contact(contact.id).values["website"] == "https://acme.test"
    assert contact.id in found
    client.delete_contact_person(person.id)
    client.delete_contact(contact.id)
    with pytest.raises(NotFound):
        client.get_contact(contact.id)


def test_invoice_is_found_by_reference_and_moves_through_statuses(inventory_sandbox):
    seed = inventory_sandbox.seed(
        {
            "contacts": [{"contact_name": "Acme", "contact_type": "customer"}],
            "items": [{"name": "Gear", "sku": "G-1"}],
        }
    )
    client = connect(inventory_sandbox, seed)
    customer_id = seed["ids"]["contacts"]["Acme"]
    line = {"item_id": seed["ids"]["items"]["G-1"], "quantity": 2, "rate": 10.0}

    invoice = client.create_transaction(
        "invoices", {"customer_id": customer_id, "reference_number": "DEAL-42", "line_items": [line]}
    )
    [page] = client.iter_transaction_pages("invoices", TransactionQuery(reference_number="DEAL-42"))
    client.set_transaction_status("invoices", invoice.id, "sent")
    sent = client.get_transaction("invoices", invoice.id)
    client.set_transaction_status("invoices", invoice.id, "void")
    void = client.get_transaction("invoices", invoice.id)
    by_customer = client.iter_transaction_pages("invoices", TransactionQuery(customer_id=customer_id))

    assert [r.id for r in page.records] == [invoice.id]
    assert (sent.values["status"], void.values["status"]) == ("sent", "void")
    assert [r.id for p in by_customer for r in p.records] == [invoice.id]


def test_sales_order_is_created_with_own_number_and_confirmed(inventory_sandbox):
    seed = inventory_sandbox.seed(
        {
            "contacts": [{"contact_name": "Acme", "contact_type": "customer"}],
            "items": [{"name": "Gear", "sku": "G-1"}],
        }
    )
    client = connect(inventory_sandbox, seed)
    body = {
        "customer_id": seed["ids"]["contacts"]["Acme"],
        "salesorder_number": "SO-CRM-1",
        "line_items": [{"item_id": seed["ids"]["items"]["G-1"], "quantity": 1, "rate": 5.0}],
    }

    order = client.create_transaction("salesorders", body, ignore_auto_number=True)
    client.set_transaction_status("salesorders", order.id, "confirmed")

    confirmed = client.get_transaction("salesorders", order.id)
    assert (confirmed.values["salesorder_number"], confirmed.values["status"]) == ("SO-CRM-1", "confirmed")


def test_missing_item_raises_not_found(inventory_sandbox):
    seed = inventory_sandbox.seed({"generate": {"items": 1}})

    with pytest.raises(NotFound) as raised:
        connect(inventory_sandbox, seed).get_item("4815000000999999")

    assert (raised.value.system, raised.value.code) == ("inventory", "1002")


def test_contact_without_name_raises_validation_failed(inventory_sandbox):
    seed = inventory_sandbox.seed({"generate": {"customers": 1}})

    with pytest.raises(ValidationFailed) as raised:
        connect(inventory_sandbox, seed).create_contact({"contact_type": "customer"})

    assert raised.value.system == "inventory" and raised.value.retryable is False


def test_listing_loses_and_duplicates_nothing_when_a_429_storm_hits(inventory_sandbox):
    seed = inventory_sandbox.seed({"generate": {"items": 450}})
    inventory_sandbox.set_limits(window_seconds=1)  # its 429s then say Retry-After: 1
    client = connect(inventory_sandbox, seed)
    inventory_sandbox.set_faults({"kind": "rate_limit", "next": 3, "path_prefix": "/inventory/v1/items"})

    started = time.monotonic()
    ids = item_ids(client)

    assert len(ids) == len(set(ids)) == 450
    assert inventory_sandbox.calls()[ITEM_LIST_CALLS] == 3 + 3
    assert time.monotonic() - started >= 3.0  # Retry-After was honoured


def test_listing_recovers_when_a_connection_is_dropped(inventory_sandbox):
    seed = inventory_sandbox.seed({"generate": {"items": 450}})
    client = connect(inventory_sandbox, seed)
    inventory_sandbox.set_faults({"kind": "drop", "next": 1, "path_prefix": "/inventory/v1/items"})

    assert len(set(item_ids(client))) == 450
    assert inventory_sandbox.calls()[ITEM_LIST_CALLS] == 4


def test_token_is_refreshed_once_and_call_replayed_when_it_expires_mid_run(inventory_sandbox):
    seed = inventory_sandbox.seed({"generate": {"items": 450}})
    inventory_sandbox.set_limits(token_expires_in=1)
    client = connect(inventory_sandbox, seed, clock=lambda: 0.0)  # only the vendor sees the expiry
    pages = client.iter_item_pages()
    ids = [r.id for r in next(pages).records]

    time.sleep(1.5)
    ids += [r.id for page in pages for r in page.records]

    assert len(set(ids)) == 450
    calls = inventory_sandbox.calls()
    assert (calls[TOKEN_CALLS], calls[ITEM_LIST_CALLS]) == (2, 4)


def test_daily_cap_stops_calls_without_retrying(inventory_sandbox):
    seed = inventory_sandbox.seed({"generate": {"items": 1}})
    inventory_sandbox.set_limits(per_day=2)
    client = connect(inventory_sandbox, seed)
    item_ids(client)
    item_ids(client)

    with pytest.raises(DailyLimitReached) as raised:
        item_ids(client)

    assert raised.value.retryable is False
    assert inventory_sandbox.calls()[ITEM_LIST_CALLS] == 3


def test_organization_settings_are_read_when_seeded_with_the_demo(inventory_sandbox):
    seed = inventory_sandbox.seed({"preset": "demo"})
    client = connect(inventory_sandbox, seed)

    [listed] = [o for o in client.list_organizations() if o.organization_id == seed["organization_id"]]
    organization = client.get_organization()
    currencies = client.list_currencies()
    users = client.list_users()
    fields = client.list_custom_fields("items")

    assert organization.organization_id == listed.organization_id and organization.currency_code
    assert any(c.is_base_currency and c.currency_code == organization.currency_code for c in currencies)
    assert users and all(u.user_id for u in users)
    assert fields and {f.entity for f in fields} == {"items"}


def test_item_status_changes_through_the_active_and_inactive_actions(inventory_sandbox):
    seed = inventory_sandbox.seed({"generate": {"items": 1}})
    client = connect(inventory_sandbox, seed)
    item = client.create_item({"name": "Lamp", "sku": "L-1"})
    client.set_item_active(item.id, False)
    assert client.get_item(item.id).values["status"] == "inactive"
    client.set_item_active(item.id, True)
    assert client.get_item(item.id).values["status"] == "active"
