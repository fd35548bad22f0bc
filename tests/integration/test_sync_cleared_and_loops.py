"""Cleared fields (issue 14, point 3) and the loop breaker (B9, point 4), against both sandboxes over
HTTP: a field emptied on one side since the last sync is emptied on the other (null to the CRM, ""
to the inventory), a field the inventory cannot empty is refilled, and a CRM rule that empties the
price on every update, which makes the sync write the record again on every run, gets the record
parked after `loops.MAX_WRITES` writes until an admin retries it."""

from __future__ import annotations

from crmsync.api.app import create_resolver, resolve
from crmsync.api.routers import failures
from crmsync.domain.models import CrmSource, Module, Side
from crmsync.domain.sync import loops
from crmsync.observability import metrics
from tests.conftest import ApiClient
from tests.integration.test_sync_changes import after_a_second, writes
from tests.integration.test_sync_support import TENANT, SyncEnv, sandboxes  # noqa: F401 (fixture)

ACME = {
    "Account_Name": "Acme Tools",
    "Phone": "+49 30 1",
    "Billing_City": "Berlin",
    "Website": "https://acme.example",
}
LAMP = {"Product_Name": "Desk lamp", "Product_Code": "DL-1", "Unit_Price": 10.0, "Description": "Brass"}


def accounts_env(aws, boxes) -> tuple[SyncEnv, str, str]:
    env = SyncEnv.connect(aws, boxes, crm={"records": {"Accounts": [ACME]}}, inventory={})
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    assert env.sync(Module.CUSTOMERS).counts.added == 1
    [acme] = env.mappings(Module.CUSTOMERS)
    return env, acme.crm_id, acme.inventory_id


def test_a_field_cleared_in_the_crm_is_cleared_in_inventory_and_one_cleared_there_in_the_crm(aws, sandboxes):  # noqa: F811
    env, crm_id, contact_id = accounts_env(aws, sandboxes)
    env.clients.crm.update_records("Accounts", [{"id": crm_id, "Phone": None}])

    run = env.sync(Module.CUSTOMERS)

    assert (run.counts.updated, run.counts.failed) == (1, 0)
    assert env.clients.inventory.get_contact(contact_id).values["billing_address"]["phone"] == ""
    after_a_second()
    env.clients.inventory.update_contact(contact_id, {"website": ""})
    before = env.calls()

    run = env.sync(Module.CUSTOMERS)

    crm_calls, inventory_calls = (after - earlier for after, earlier in zip(env.calls(), before, strict=True))
    assert (run.counts.updated, run.counts.failed) == (1, 0)
    assert env.clients.crm.get_record("Accounts", crm_id).values.get("Website") is None
    assert writes(crm_calls) == {"PUT /crm/v8/{module}": 1} and writes(inventory_calls) == {}
    quiet = env.sync(Module.CUSTOMERS)  # both clears came back as echoes
    assert (quiet.counts.updated, quiet.counts.conflicts) == (0, 0)
    account = env.clients.crm.get_record("Accounts", crm_id).values
    assert (account.get("Phone"), account["Billing_City"]) == (None, "Berlin")


def test_a_field_cleared_on_one_side_and_edited_on_the_other_goes_to_the_conflict_winner(aws, sandboxes):  # noqa: F811
    """Customers: the CRM wins (M2), so its clear wins over the inventory's edit, recorded as a conflict."""
    env, crm_id, contact_id = accounts_env(aws, sandboxes)
    after_a_second()
    env.clients.inventory.update_contact(contact_id, {"billing_address": {"city": "Potsdam"}})
    env.clients.crm.update_records("Accounts", [{"id": crm_id, "Billing_City": None}])

    run = env.sync(Module.CUSTOMERS)

    assert (run.counts.conflicts, run.counts.failed) == (1, 0)
    assert env.clients.inventory.get_contact(contact_id).values["billing_address"]["city"] == ""
    assert env.clients.crm.get_record("Accounts", crm_id).values.get("Billing_City") is None


def items_env(aws, boxes) -> tuple[SyncEnv, str, str]:
    env = SyncEnv.connect(aws, boxes, crm={"records": {"Products": [LAMP]}}, inventory={})
    env.configure(Module.ITEMS)
    assert env.sync(Module.ITEMS).counts.added == 1
    [lamp] = env.mappings(Module.ITEMS)
    return env, lamp.crm_id, lamp.inventory_id


def price_rule(env: SyncEnv, *rules: dict) -> None:
    """The CRM's field update on every create or edit of a product (a sandbox control)."""
    assert env.crm._send("PUT", "/_sandbox/field_updates", {"rules": list(rules)}) == {"rules": list(rules)}


def test_a_price_cleared_in_the_crm_is_refilled_from_inventory_which_cannot_empty_it(aws, sandboxes):  # noqa: F811
    env, crm_id, item_id = items_env(aws, sandboxes)
    env.clients.crm.update_records("Products", [{"id": crm_id, "Unit_Price": None, "Description": None}])

    run = env.sync(Module.ITEMS)

    assert (run.counts.updated, run.counts.failed) == (1, 0)
    item = env.clients.inventory.get_item(item_id).values
    assert (item["rate"], item["description"]) == (10.0, "")
    product = env.clients.crm.get_record("Products", crm_id).values
    assert (product["Unit_Price"], product.get("Description")) == (10.0, None)


def test_a_rule_emptying_the_price_on_every_update_gets_the_record_parked_until_retried(aws, sandboxes):  # noqa: F811
    """B9: each run writes the price back and the rule empties it again; the write past the cap is not
    made, the record is an open failure with both sides' values, a metric says so, and a retry
    (once the rule is gone) releases it with a fresh window."""
    env, crm_id, item_id = items_env(aws, sandboxes)
    price_rule(env, {"module": "Products", "field": "Unit_Price", "value": None})
    env.clients.crm.update_records("Products", [{"id": crm_id, "Description": "Brass, 40 cm"}])
    metrics.clear_metrics()
    written = 0
    while written < loops.MAX_WRITES:
        before = env.calls()
        run = env.sync(Module.ITEMS)
        crm_calls, inventory_calls = (
            after - earlier for after, earlier in zip(env.calls(), before, strict=True)
        )
        assert (run.counts.updated, run.counts.failed) == (1, 0)
        assert writes(crm_calls) == {"PUT /crm/v8/{module}": 1}  # the price, emptied again at once
        written += sum(writes(crm_calls).values()) + sum(writes(inventory_calls).values())
    assert written == loops.MAX_WRITES and "UpdateLoopsSuspected" not in metrics.metric_set
    [mapping] = env.mappings(Module.ITEMS)
    assert len(mapping.recent_writes) == loops.MAX_WRITES and mapping.loop_parked_at is None

    for _ in range(2):  # the run past the cap parks it; the next finds it parked
        before = env.calls()
        run = env.sync(Module.ITEMS)
        crm_calls, inventory_calls = (
            after - earlier for after, earlier in zip(env.calls(), before, strict=True)
        )
        assert (run.counts.updated, run.counts.failed) == (0, 1)
        assert writes(crm_calls) == writes(inventory_calls) == {}
        [failure] = env.failures(run)
        assert (failure.side, failure.record_id) == (Side.CRM, crm_id)
        assert failure.reason.startswith("Update loop suspected: ")
        assert "rate: CRM (empty), inventory 10" in failure.reason
    assert metrics.metric_set["UpdateLoopsSuspected"]["Value"] == [1.0]  # once, when parked
    [mapping] = env.mappings(Module.ITEMS)
    assert mapping.loop_parked_at is not None
    assert env.clients.crm.get_record("Products", crm_id).values.get("Unit_Price") is None

    price_rule(env)  # the admin stops the rule, then retries the record
    api = ApiClient(_failures_handler(env), TENANT)
    status, body = api(
        "POST", f"/integrations/{env.integration_id}/failures/retry", {"module": "items", "record_id": crm_id}
    )

    assert status == 200 and body == {"retried": 1, "synced": 1, "still_failing": []}
    assert env.clients.crm.get_record("Products", crm_id).values["Unit_Price"] == 10.0
    [mapping] = env.mappings(Module.ITEMS)
    assert mapping.loop_parked_at is None and len(mapping.recent_writes) == 1
    assert env.store.list_open_failures(env.integration_id, module=Module.ITEMS).items == []
    assert env.clients.inventory.get_item(item_id).values["description"] == "Brass, 40 cm"


def test_field_update_rules_are_checked_like_a_write(aws, sandboxes):  # noqa: F811
    env, _, _ = items_env(aws, sandboxes)
    for rule in (
        {"module": "Products", "field": "Product_Name", "value": None},  # mandatory
        {"module": "Products", "field": "Unit_Price", "value": "cheap"},
        {"module": "Nope", "field": "Unit_Price", "value": None},
    ):
        response = env.crm._control.put("/_sandbox/field_updates", json={"rules": [rule]})
        assert response.status_code == 400, rule
    assert env.crm._send("GET", "/_sandbox/field_updates") == {"rules": []}


def _failures_handler(env: SyncEnv):
    app = create_resolver(failures.router)

    def handler(event, context):
        app.append_context(deps=env.container.deps)
        return resolve(app, event, context)

    return handler
