"""B2 preview: a run of trigger `preview` plans the module's next run with its saved or proposed
preferences and writes nothing to either vendor nor to the mappings, watermarks, failures or module
status; its counts equal those of the real run that follows with the same preferences. Through the
API as API Gateway calls it, with moto and both sandboxes over HTTP; runs go through the queue to the
worker's use case a step at a time."""

from __future__ import annotations

import pytest

from crmsync.api.app import create_resolver, resolve
from crmsync.api.routers import modules
from crmsync.api.routers import preview as preview_routes
from crmsync.api.routers import sync as sync_routes
from crmsync.domain.models import CrmSource, DuplicatePolicy, Module, ModuleStatus
from crmsync.services.sync import streams
from tests.conftest import ApiClient
from tests.integration.test_sync_support import TENANT, SyncEnv, sandboxes  # noqa: F401 (fixture)

CRM = {
    "records": {
        "Accounts": [
            {"Account_Name": "Acme Tools", "Website": "acme.example"},  # new: created in inventory
            {"Account_Name": "Globex", "Website": "globex.example"},  # one duplicate: linked, overwritten
            {"Account_Name": "Umbrella"},  # two duplicates: overwrite needs one, skipped
        ]
    }
}
INVENTORY = {
    "contacts": [
        {
            "contact_name": "GLOBEX ",
            "contact_type": "customer",
            "customer_sub_type": "business",
            "website": "old.example",
        },
        # the first links to the CRM's Umbrella; the CRM refuses the second, its name being taken
        {"contact_name": "Umbrella", "contact_type": "customer", "customer_sub_type": "business"},
        {"contact_name": "umbrella", "contact_type": "customer", "customer_sub_type": "business"},
        {"contact_name": "Only In Inventory", "contact_type": "customer", "customer_sub_type": "business"},
        {"contact_name": "Jane Roe", "contact_type": "customer", "customer_sub_type": "individual"},
    ]
}


def api_for(env: SyncEnv) -> ApiClient:
    app = create_resolver(preview_routes.router, sync_routes.router, modules.router)

    def handler(event, context):
        app.append_context(deps=env.container.deps)
        return resolve(app, event, context)

    return ApiClient(handler, TENANT)


def vendor_writes(env: SyncEnv) -> int:
    return sum(
        n
        for calls in env.calls()
        for call, n in calls.items()
        if call.split()[0] in {"POST", "PUT", "DELETE"} and "oauth" not in call
    )


def run_preview(env: SyncEnv, module: Module, body: dict | None = None) -> dict:
    api = api_for(env)
    status, queued = api("POST", f"/integrations/{env.integration_id}/modules/{module}/preview", body)
    assert (status, queued["trigger"], queued["status"]) == (202, "preview", "queued"), queued
    env.pump()
    return api("GET", f"/integrations/{env.integration_id}/runs/{queued['run_id']}")[1]


def samples(env: SyncEnv, run_id: str, **query: str) -> list[dict]:
    api, found, cursor = api_for(env), [], None
    while True:
        page = api(
            "GET",
            f"/integrations/{env.integration_id}/runs/{run_id}/preview",
            query={**query, **({"cursor": cursor} if cursor else {})},
        )[1]
        found += page["samples"]
        if not (cursor := page["next_cursor"]):
            return found


@pytest.fixture
def customers(aws, sandboxes) -> SyncEnv:  # noqa: F811
    env = SyncEnv.connect(aws, sandboxes, crm=CRM, inventory=INVENTORY)
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS, duplicates=DuplicatePolicy.OVERWRITE)
    return env


def test_b2_preview_of_a_first_overwrite_sync_writes_nothing_and_counts_what_the_sync_then_does(customers):
    env = customers
    preview = run_preview(env, Module.CUSTOMERS)

    assert preview["status"] == "done" and preview["progress"]["phase"] == "done"
    assert (preview["counts"]["failed"], preview["failure_count"]) == (1, 0)  # refused, stored as no failure
    assert preview["preview"] == {
        "created_in_crm": 1,
        "created_in_inventory": 1,
        "linked": 2,
        "overwritten": 0,
        "skipped": 2,
        "conflicts": 0,
        "refused": 1,
    }  # skipped: the CRM's Umbrella (two matches) and the individual customer (Accounts source)
    assert vendor_writes(env) == 0 and env.mappings(Module.CUSTOMERS) == []
    module = env.store.get_module(env.integration_id, Module.CUSTOMERS)
    assert (module.status, module.last_run_id) == (ModuleStatus.NEVER_SYNCED, None)
    assert env.store.get_watermark(env.integration_id, Module.CUSTOMERS, streams.INVENTORY_STREAM) is None
    assert env.store.list_open_failures(env.integration_id).items == []

    found = samples(env, preview["run_id"])
    by_outcome = {}
    for sample in found:
        by_outcome.setdefault(sample["outcome"], []).append(sample)
    linked = {(s["side"], s["crm_name"], s["inventory_name"]) for s in by_outcome["linked"]}
    assert linked == {("crm", "Globex", "GLOBEX"), ("inventory", "Umbrella", "Umbrella")}
    [linked] = [s for s in by_outcome["linked"] if s["crm_name"] == "Globex"]
    assert {"side": "inventory", "field": "website", "value": "globex.example"} in linked["changes"]
    [to_crm] = by_outcome["created_in_crm"]
    assert (to_crm["side"], to_crm["crm_name"], to_crm["inventory_name"]) == (
        "inventory",
        None,
        "Only In Inventory",
    )
    [to_inventory] = by_outcome["created_in_inventory"]
    assert to_inventory["crm_name"] == "Acme Tools"
    assert {"side": "inventory", "field": "website", "value": "acme.example"} in to_inventory["changes"]
    assert {(s["side"], s["crm_name"] or s["inventory_name"]) for s in by_outcome["skipped"]} == {
        ("crm", "Umbrella"),
        ("inventory", "Jane Roe"),
    }
    [refused] = by_outcome["refused"]
    assert (refused["inventory_name"], refused["record_kind"]) == ("umbrella", "account")
    assert "another account with the same Account_Name exists" in refused["reason"]
    assert samples(env, preview["run_id"], outcome="linked") == by_outcome["linked"]
    assert len(found) == sum(preview["preview"].values())  # fewer than 50 of each: every record sampled

    real = api_for(env)(
        "GET", f"/integrations/{env.integration_id}/runs/{env.sync(Module.CUSTOMERS).run_id}"
    )[1]
    assert real["counts"] == preview["counts"] and real["trigger"] == "manual" and real["preview"] is None
    assert (real["counts"]["added"], real["counts"]["updated"], real["failure_count"]) == (2, 2, 1)


@pytest.mark.parametrize(
    ("module", "settings"),
    [
        (
            Module.CUSTOMERS,
            {
                "crm_source": CrmSource.ACCOUNTS_AND_CONTACTS,
                "duplicates": DuplicatePolicy.OVERWRITE,
                "include_unassociated_contacts": True,
            },
        ),
        (Module.VENDORS, {"duplicates": DuplicatePolicy.SKIP}),
        (Module.ITEMS, {"duplicates": DuplicatePolicy.OVERWRITE}),
    ],
)
def test_b2_preview_counts_equal_the_next_runs_for_the_demo_organizations(aws, sandboxes, module, settings):  # noqa: F811
    """The demo presets: new records on both sides, duplicates (some in another case), contact persons
    of accounts created in the same run, more staged records than one match step takes."""
    env = SyncEnv.connect(aws, sandboxes)
    env.configure(module, **settings)
    preview = run_preview(env, module)
    assert preview["status"] == "done" and vendor_writes(env) == 0 and env.mappings(module) == []
    assert sum(m.trigger == "preview" for m in env.delivered) > 3  # a chain of steps, like the run's
    tally = preview["preview"]
    counts = preview["counts"]
    assert counts["added"] == tally["created_in_crm"] + tally["created_in_inventory"] > 0
    assert (counts["updated"], counts["skipped"], counts["failed"]) == (
        tally["linked"] + tally["overwritten"],
        tally["skipped"],
        tally["refused"],
    )
    real = env.sync(module)
    assert (
        api_for(env)("GET", f"/integrations/{env.integration_id}/runs/{real.run_id}")[1]["counts"] == counts
    )


def test_b2_a_preview_of_a_synced_module_is_not_its_last_run_and_foresees_the_edits_it_would_carry(customers):
    env = customers
    synced = env.sync(Module.CUSTOMERS)
    before = env.store.get_module(env.integration_id, Module.CUSTOMERS)
    acme = next(m for m in env.mappings(Module.CUSTOMERS) if m.base.get("contact_name") == "Acme Tools")
    env.clients.crm.update_records("Accounts", [{"id": acme.crm_id, "Website": "tools.example"}], trigger=[])

    preview = run_preview(env, Module.CUSTOMERS)
    assert preview["preview"]["overwritten"] == 1 and preview["counts"]["added"] == 0
    [edit] = samples(env, preview["run_id"], outcome="overwritten")
    assert (edit["crm_name"], edit["inventory_name"]) == ("Acme Tools", "Acme Tools")
    assert edit["changes"] == [{"side": "inventory", "field": "website", "value": "tools.example"}]
    after = env.store.get_module(env.integration_id, Module.CUSTOMERS)
    assert (after.last_run_id, after.status, after.last_run_counts) == (
        synced.run_id,
        before.status,
        before.last_run_counts,
    )
    assert env.clients.inventory.get_contact(acme.inventory_id).values["website"] == "acme.example"
    real = api_for(env)(
        "GET", f"/integrations/{env.integration_id}/runs/{env.sync(Module.CUSTOMERS).run_id}"
    )[1]
    assert real["counts"] == preview["counts"] and real["counts"]["updated"] == 1


def test_b2_proposed_preferences_are_checked_as_a_save_checks_them_and_not_saved(aws, sandboxes):  # noqa: F811
    env = SyncEnv.connect(aws, sandboxes, crm=CRM, inventory=INVENTORY)
    api = api_for(env)
    base = f"/integrations/{env.integration_id}/modules/customers"
    status, body = api("POST", f"{base}/preview")
    assert status == 409 and "not configured" in body["error"]["message"]
    broken = {"crm_source": "accounts", "field_map": [{"crm": "No_Such_Field", "inventory": "website"}]}
    saved = api("PUT", base, broken)
    previewed = api("POST", f"{base}/preview", broken)
    assert previewed == saved and saved[0] == 422
    assert api("POST", f"{base}/preview", {"crm_source": "accounts", "duplicates": "sometimes"})[0] == 422

    proposed = {"crm_source": "accounts", "duplicates": "skip"}
    preview = run_preview(env, Module.CUSTOMERS, proposed)
    assert (
        preview["preview"]["linked"] == 0 and preview["preview"]["skipped"] == 2 + 3 + 1
    )  # CRM, inventory, individual
    assert env.store.get_module(env.integration_id, Module.CUSTOMERS) is None  # nothing saved
    assert vendor_writes(env) == 0


def test_b2_a_newer_preview_replaces_an_unfinished_one_and_a_missing_run_is_404(customers):
    env = customers
    api = api_for(env)
    base = f"/integrations/{env.integration_id}"
    first = api("POST", f"{base}/modules/customers/preview")[1]
    second = api("POST", f"{base}/modules/customers/preview")[1]
    env.pump()
    first, second = (api("GET", f"{base}/runs/{r['run_id']}")[1] for r in (first, second))
    assert first["status"] == "failed" and second["run_id"] in first["error"]
    assert second["status"] == "done"
    assert api("GET", f"{base}/runs/nope/preview")[0] == 404
    real = env.sync(Module.CUSTOMERS)
    assert api("GET", f"{base}/runs/{real.run_id}/preview")[0] == 404  # not a preview
