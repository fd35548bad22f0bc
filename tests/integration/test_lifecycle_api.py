"""Integration lifecycle through the API handler, against the real sandboxes (issue 4: L1-L4, S6, T1, T2, A1).

The handler runs as Lambda runs it (API Gateway proxy events after the authorizer), with
moto for DynamoDB, SQS and Secrets Manager, and the CRM and inventory sandboxes over HTTP.
"""

from __future__ import annotations

import json
import threading

import boto3
import pytest

from crmsync.adapters.dynamodb import DynamoStore
from crmsync.domain.models import Module, ModulePreferences, ModuleSettings
from crmsync.runtime.container import get_container, reset_container
from tests.conftest import ApiClient, AtomicRequests, FakeContext, load_handler

pytest_plugins = ["tests.integration.sandbox_fixtures"]


@pytest.fixture
def env(aws, monkeypatch, crm_sandbox, inventory_sandbox):
    monkeypatch.setenv("ALLOW_CUSTOM_ENDPOINTS", "true")
    reset_container()
    container = get_container()
    container.vendor_retry_policy = crm_sandbox.retry_policy
    # moto's conditional writes are not atomic across threads; DynamoDB's are (see the store races).
    container.__dict__["store"] = DynamoStore(container.settings.table_name,
                                              client=AtomicRequests(boto3.client("dynamodb")))
    tenant = container.tenants.create_tenant("Acme")
    other = container.tenants.create_tenant("Other")
    handler = load_handler("integration_lifecycle")

    class Env:
        pass

    e = Env()
    e.container, e.crm, e.inventory = container, crm_sandbox, inventory_sandbox
    e.api = ApiClient(handler, tenant.tenant_id)
    e.other = ApiClient(handler, other.tenant_id)
    return e


def seed(env, crm_org=None, inventory_org=None):
    crm = env.crm.seed({"org": crm_org or {}})
    inventory = env.inventory.seed({"organization": inventory_org or {}})
    return crm, inventory


def connect_body(env, crm, inventory, role="primary", **crm_changes):
    return {
        "role": role,
        "crm": {"org_id": crm["org_id"], "client_id": crm["client_id"], "client_secret": crm["client_secret"],
                "refresh_token": crm["refresh_token"], "base_url": env.crm.base_url, **crm_changes},
        "inventory": {"organization_id": inventory["organization_id"], "client_id": inventory["client_id"],
                      "client_secret": inventory["client_secret"], "refresh_token": inventory["refresh_token"],
                      "base_url": env.inventory.base_url},
    }


def secret_names():
    return [s["Name"] for s in boto3.client("secretsmanager").list_secrets()["SecretList"]]


def stored_channel(env, integration_id):
    return env.container.store.get_integration(integration_id).channel.channel_ids


def _creds(env):
    from crmsync.ports.secrets import IntegrationCredentials

    return IntegrationCredentials(crm=env.crm.credentials(env.crm_seed), inventory=env.inventory.credentials(env.inv_seed))


def connected(env, role="primary"):
    crm, inventory = seed(env, {"iso_code": "USD"}, {"currency_code": "USD"})
    env.crm_seed, env.inv_seed = crm, inventory
    status, body = env.api("POST", "/integrations", connect_body(env, crm, inventory, role))
    assert status == 201, body
    return body


# ------------------------------------------------------------------ L1 connect
def test_connect_creates_a_two_way_primary_with_secret_channel_and_shared_org_info(env):
    body = connected(env)
    assert body["state"] == "active" and body["role"] == "primary" and body["two_way"] is True
    assert body["inventory_org"]["name"] == "Sandbox Inventory Org" and body["inventory_org"]["users"]
    assert body["crm_base_currency"] == body["inventory_base_currency"] == "USD"
    integration_id = body["integration_id"]
    assert secret_names() == [f"crmsync/dev/integrations/{integration_id}"]
    watches = env.container.vendors.for_credentials(_creds(env), "x").crm.list_watches()
    assert {w.channel_id for w in watches} == set(stored_channel(env, integration_id))
    assert {w.notify_url for w in watches} == {f"https://api.example.test/dev/webhooks/crm/{integration_id}"}
    assert {e for w in watches for e in w.events} >= {"Deals.all", "Accounts.all", "Contacts.all"}
    stored = env.container.store.get_integration(integration_id)
    assert stored.channel.token_hash and stored.channel.token_hash not in json.dumps(body)
    assert env.crm_seed["refresh_token"] not in json.dumps(body)
    assert env.crm_seed["client_secret"] not in json.dumps(body)


def test_connect_is_refused_with_422_when_crm_edition_is_below_professional(env):
    crm, inventory = seed(env, {"edition": "standard"})
    status, body = env.api("POST", "/integrations", connect_body(env, crm, inventory))
    assert status == 422
    assert body["error"]["code"] == "prerequisite_failed" and body["error"]["details"]["rule"] == "crm_edition"
    assert "Professional" in body["error"]["message"]
    assert secret_names() == [] and env.api("GET", "/integrations")[1]["integrations"] == []


def test_connect_is_refused_when_multi_currency_base_currencies_differ(env):
    crm, inventory = seed(env, {"iso_code": "EUR", "mc_status": True}, {"currency_code": "USD"})
    status, body = env.api("POST", "/integrations", connect_body(env, crm, inventory))
    assert status == 422 and body["error"]["details"]["rule"] == "base_currency"
    assert "EUR" in body["error"]["message"] and "USD" in body["error"]["message"]


def test_connect_allows_different_base_currencies_when_multi_currency_is_off(env):
    crm, inventory = seed(env, {"iso_code": "EUR", "mc_status": False}, {"currency_code": "USD"})
    assert env.api("POST", "/integrations", connect_body(env, crm, inventory))[0] == 201


def test_second_primary_for_a_crm_org_gets_409_and_a_secondary_is_fetch_only(env):
    first = connected(env)
    other_inventory = env.inventory.seed({"organization": {"name": "Second org", "currency_code": "USD"}})
    body = connect_body(env, env.crm_seed, other_inventory)
    status, error = env.api("POST", "/integrations", body)
    assert status == 409 and "secondary" in error["error"]["message"]
    status, secondary = env.api("POST", "/integrations", {**body, "role": "secondary"})
    assert status == 201 and secondary["role"] == "secondary" and secondary["two_way"] is False
    assert secondary["integration_id"] != first["integration_id"]
    watches = env.container.vendors.for_credentials(_creds(env), "x").crm.list_watches()
    [channel_id] = stored_channel(env, secondary["integration_id"])
    events = {e for w in watches if w.channel_id == channel_id for e in w.events}
    assert events and not any(e.startswith("Deals") for e in events)


def test_connect_that_fails_half_way_leaves_nothing_behind(env):
    crm, inventory = seed(env, {"iso_code": "USD"}, {"currency_code": "USD"})
    env.crm.set_faults({"kind": "server_error", "next": 50, "path_prefix": "/crm/v8/actions/watch"})
    status, body = env.api("POST", "/integrations", connect_body(env, crm, inventory))
    assert status in (502, 503) and body["error"]["code"] == "crm_unavailable"
    assert secret_names() == []
    assert env.api("GET", "/integrations")[1]["integrations"] == []
    env.crm.set_faults()
    assert env.api("POST", "/integrations", connect_body(env, crm, inventory))[0] == 201  # nothing was claimed


def test_connect_undoes_secret_and_channel_when_the_record_write_loses_a_race(env, monkeypatch):
    crm, inventory = seed(env, {"iso_code": "USD"}, {"currency_code": "USD"})
    env.crm_seed, env.inv_seed = crm, inventory
    from crmsync.domain.errors import AlreadyExistsError

    def lose(integration):
        raise AlreadyExistsError("taken", current="someone-else")

    monkeypatch.setattr(env.container.store, "create_integration", lose)
    status, body = env.api("POST", "/integrations", connect_body(env, crm, inventory))
    assert status == 409
    assert secret_names() == []
    assert env.container.vendors.for_credentials(_creds(env), "x").crm.list_watches() == []


def test_connect_refuses_a_custom_endpoint_when_the_deployment_does_not_allow_it(env, monkeypatch):
    monkeypatch.setenv("ALLOW_CUSTOM_ENDPOINTS", "false")
    reset_container()
    crm, inventory = seed(env)
    status, body = env.api("POST", "/integrations", connect_body(env, crm, inventory))
    assert status == 422
    assert {f["field"] for f in body["error"]["details"]["fields"]} == {"crm.base_url", "inventory.base_url"}


def test_connect_with_a_refused_refresh_token_names_the_field(env):
    crm, inventory = seed(env, {"iso_code": "USD"}, {"currency_code": "USD"})
    status, body = env.api("POST", "/integrations", connect_body(env, crm, inventory, refresh_token="nope"))
    assert status == 422 and body["error"]["details"]["fields"][0]["field"] == "crm.refresh_token"


@pytest.mark.parametrize(
    "raw, status, code",
    [
        ("{not json", 400, "malformed_json"),
        (json.dumps({"role": "primary", "crm": {"org_id": 5}, "inventory": {}}), 422, "invalid_fields"),
        (json.dumps({"role": "boss"}), 422, "invalid_fields"),
        (json.dumps({"role": "primary", "surprise": 1}), 422, "invalid_fields"),
        ("{" + " " * 300_000 + "}", 413, "body_too_large"),
    ],
)
def test_bad_connect_bodies_get_the_documented_error(env, raw, status, code):
    got_status, body = env.api("POST", "/integrations", raw_body=raw)
    assert (got_status, body["error"]["code"]) == (status, code)


# ------------------------------------------------------------------ L2-L4 and S6
def test_state_machine_disable_enable_delete(env):
    integration_id = connected(env)["integration_id"]
    path = f"/integrations/{integration_id}"
    assert env.api("DELETE", path, query={"keep": "all"})[0] == 409  # must be disabled first
    assert env.api("POST", f"{path}/enable")[0] == 409  # already active
    status, body = env.api("POST", f"{path}/disable")
    assert status == 200 and body["state"] == "disabled"
    assert env.api("POST", f"{path}/disable")[0] == 409
    status, body = env.api("POST", f"{path}/enable")
    assert status == 200 and body["state"] == "active"
    assert env.container.store.get_integration(integration_id).fetch_from_crm_first is True
    env.api("POST", f"{path}/disable")
    status, body = env.api("DELETE", path, query={"keep": "all"})
    assert status == 202 and body["state"] == "deleting"

    run_sync_queue(env)

    assert env.api("GET", path)[1]["state"] == "deleted"
    notes = env.api("GET", f"{path}/notifications")[1]["notifications"]
    assert [n["kind"] for n in notes] == ["integration_deleted"]
    assert secret_names() == []
    assert env.container.vendors.for_credentials(_creds(env), "x").crm.list_watches() == []
    assert env.api("DELETE", path, query={"keep": "all"})[0] == 202  # safe to repeat
    assert run_sync_queue(env) == 0
    other_inventory = env.inventory.seed({"organization": {"currency_code": "USD"}})
    assert env.api("POST", "/integrations", connect_body(env, env.crm_seed, other_inventory))[0] == 201


def test_delete_with_transactions_keeps_only_crm_records_that_have_transactions(env):
    integration_id = connected(env)["integration_id"]
    store, clients = env.container.store, env.container.vendors.for_integration(store_get(env, integration_id))
    from crmsync.domain.models import Side
    from crmsync.domain.sync_state import Mapping

    used = clients.inventory.create_contact({"contact_name": "Used Ltd", "contact_type": "customer"})
    unused = clients.inventory.create_contact({"contact_name": "Unused Ltd", "contact_type": "customer"})
    local = clients.inventory.create_contact({"contact_name": "Local Ltd", "contact_type": "customer"})
    item = clients.inventory.create_item({"name": "Widget", "sku": "W-1", "rate": 5})
    clients.inventory.create_transaction("invoices", {"customer_id": used.id, "line_items": [
        {"name": "Service", "rate": 10, "quantity": 1}]})
    for n, (record, origin) in enumerate([(used, Side.CRM), (unused, Side.CRM), (local, Side.INVENTORY)]):
        store.link_mapping(Mapping(integration_id=integration_id, module=Module.CUSTOMERS, crm_id=f"crm-{n}",
                                   inventory_id=record.id, origin=origin))
    store.link_mapping(Mapping(integration_id=integration_id, module=Module.ITEMS, crm_id="p-1",
                               inventory_id=item.id, origin=Side.CRM))
    path = f"/integrations/{integration_id}"
    env.api("POST", f"{path}/disable")
    assert env.api("DELETE", path, query={"keep": "with_transactions"})[0] == 202
    run_sync_queue(env)
    remaining = {c.id for page in clients.inventory.iter_contact_pages() for c in page.records}
    assert used.id in remaining and local.id in remaining and unused.id not in remaining
    assert store.get_mapping(integration_id, Module.CUSTOMERS, Side.CRM, "crm-0") is None
    items = {i.id for page in clients.inventory.iter_item_pages() for i in page.records}
    assert item.id not in items


def store_get(env, integration_id):
    return env.container.store.get_integration(integration_id)


def run_sync_queue(env) -> int:
    """Deliver the sync queue to the worker until it is empty, as the event source mapping would."""
    sqs, worker, delivered = boto3.client("sqs"), load_handler("sync_worker"), 0
    url = env.container.settings.sync_queue_url
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5).get("Messages"):
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                    "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                    "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                    "awsRegion": "us-east-1", "md5OfBody": ""} for m in messages]
        assert worker({"Records": records}, FakeContext()) == {"batchItemFailures": []}
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        delivered += len(messages)
    return delivered


def test_two_concurrent_disables_one_wins_and_the_other_sees_the_new_state(env):
    """Two Lambda invocations race (each is single-threaded; the race is in the store's conditional write)."""
    from crmsync.domain.errors import ConflictError
    from crmsync.services import lifecycle

    integration_id = connected(env)["integration_id"]
    results, barrier = [], threading.Barrier(2)

    def disable():
        barrier.wait()
        try:
            results.append(lifecycle.disable(env.container.deps, env.api.tenant_id, integration_id, confirm=False).state)
        except ConflictError as exc:
            results.append(f"conflict:{exc.current}")

    threads = [threading.Thread(target=disable) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == ["conflict:disabled", "disabled"]
    status, body = env.api("POST", f"/integrations/{integration_id}/disable")
    assert status == 409 and body["error"]["details"]["current"] == "disabled"


def test_disable_with_transaction_sync_on_asks_for_confirmation(env):
    integration_id = connected(env)["integration_id"]
    configure_all_modules(env, integration_id)
    assert env.api("POST", f"/integrations/{integration_id}/transactions/enable")[0] == 200
    status, body = env.api("POST", f"/integrations/{integration_id}/disable")
    assert status == 409 and "confirm" in body["error"]["message"]
    status, body = env.api("POST", f"/integrations/{integration_id}/disable", {"confirm": True})
    assert status == 200 and body["state"] == "disabled"


def test_pause_and_resume_the_integration_and_single_modules(env):
    integration_id = connected(env)["integration_id"]
    path = f"/integrations/{integration_id}"
    assert env.api("POST", f"{path}/pause")[1]["state"] == "paused"
    assert env.api("POST", f"{path}/pause")[0] == 409
    assert env.api("POST", f"{path}/resume")[1]["state"] == "active"
    assert env.api("POST", f"{path}/pause", {"modules": ["items"]})[0] == 409  # not configured yet
    configure_all_modules(env, integration_id)
    status, body = env.api("POST", f"{path}/pause", {"modules": ["items"]})
    assert status == 200 and {m["module"]: m["paused"] for m in body["modules"]}["items"] is True


# ------------------------------------------------------------------ T1, T2, A1
def configure_all_modules(env, integration_id):
    for module in Module:
        env.container.store.save_module_settings(
            ModulePreferences(integration_id=integration_id, module=module, settings=ModuleSettings())
        )


def test_transactions_need_all_three_modules_and_grants_need_transactions(env):
    integration_id = connected(env)["integration_id"]
    path = f"/integrations/{integration_id}"
    grants = {"grants": [{"user_id": "u1", "permissions": ["create_quotes", "view_invoices"]}]}
    assert env.api("PUT", f"{path}/crm-permissions", grants)[0] == 409
    status, body = env.api("POST", f"{path}/transactions/enable")
    assert status == 409 and "customers" in body["error"]["message"]
    configure_all_modules(env, integration_id)
    assert env.api("POST", f"{path}/transactions/enable")[1]["transactions_enabled"] is True
    assert env.api("PUT", f"{path}/crm-permissions", grants)[0] == 200
    stored = store_get(env, integration_id)
    assert [g.permissions for g in stored.crm_grants] == [("create_quotes", "view_invoices")]
    bad = {"grants": [{"user_id": "u1", "role_id": "r1", "permissions": ["create_quotes"]}]}
    assert env.api("PUT", f"{path}/crm-permissions", bad)[0] == 422
    assert env.api("PUT", f"{path}/crm-permissions", {"grants": [{"user_id": "u", "permissions": ["fly"]}]})[0] == 422


def test_crm_permission_check_names_the_missing_permission(env):
    from crmsync.domain.errors import PermissionDenied
    from crmsync.domain.models import CrmGrant, CrmPermission
    from crmsync.services.lifecycle import check_crm_permission

    integration = store_get(env, connected(env)["integration_id"]).model_copy(update={"crm_grants": (
        CrmGrant(role_id="sales", permissions=(CrmPermission.CREATE_QUOTES,)),)})
    check_crm_permission(integration, CrmPermission.CREATE_QUOTES, "u9", "sales")
    with pytest.raises(PermissionDenied) as denied:
        check_crm_permission(integration, CrmPermission.VIEW_INVOICES, "u9", "sales")
    assert denied.value.permission == "view_invoices"


def test_automation_preferences_are_saved_and_refused_for_a_secondary(env):
    primary = connected(env)
    path = f"/integrations/{primary['integration_id']}/automation"
    prefs = {"on_deal_created": "create_quote", "on_deal_won": "create_invoice", "on_deal_lost": "void_invoice"}
    status, body = env.api("PUT", path, prefs)
    assert status == 200 and body["automation"] == prefs
    assert env.api("PUT", path, {"on_deal_won": "celebrate"})[0] == 422
    other_inventory = env.inventory.seed({"organization": {"currency_code": "USD"}})
    secondary = env.api("POST", "/integrations", connect_body(env, env.crm_seed, other_inventory, "secondary"))[1]
    sid = secondary["integration_id"]
    assert env.api("PUT", f"/integrations/{sid}/automation", prefs)[0] == 409
    assert env.api("POST", f"/integrations/{sid}/transactions/enable")[0] == 409


# ------------------------------------------------------------------ tenancy
def test_another_tenant_gets_404_on_every_route(env):
    integration_id = connected(env)["integration_id"]
    path = f"/integrations/{integration_id}"
    calls = [
        ("GET", path, None, None), ("POST", f"{path}/disable", {}, None), ("POST", f"{path}/enable", None, None),
        ("DELETE", path, None, {"keep": "all"}), ("GET", f"{path}/notifications", None, None),
        ("POST", f"{path}/pause", None, None), ("POST", f"{path}/resume", None, None),
        ("POST", f"{path}/transactions/enable", None, None),
        ("PUT", f"{path}/crm-permissions", {"grants": []}, None),
        ("PUT", f"{path}/automation", {"on_deal_won": "create_invoice"}, None),
    ]
    for method, route, body, query in calls:
        status, reply = env.other(method, route, body, query=query)
        assert (status, reply["error"]["code"]) == (404, "not_found"), (method, route)
    assert env.api("GET", path)[1]["state"] == "active"  # nothing changed


def test_no_oauth_secret_reaches_a_log_line_during_connect_and_delete(env, caplog):
    import io
    import logging

    from crmsync.observability import logger

    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(logger.registered_formatter)
    logger.addHandler(capture)
    logging.getLogger("crmsync").setLevel(logging.DEBUG)
    try:
        integration_id = connected(env)["integration_id"]
        env.api("POST", f"/integrations/{integration_id}/disable")
        env.api("DELETE", f"/integrations/{integration_id}", query={"keep": "all"})
        run_sync_queue(env)
    finally:
        logger.removeHandler(capture)
        logging.getLogger("crmsync").setLevel(logging.INFO)
    logged = stream.getvalue() + caplog.text
    assert integration_id in logged
    for secret in (env.crm_seed["refresh_token"], env.crm_seed["client_secret"],
                   env.inv_seed["refresh_token"], env.inv_seed["client_secret"]):
        assert secret not in logged


# ------------------------------------------------------------------ re-authorization (issue 13, point 2)
def test_reauthorize_replaces_a_grant_checked_against_the_integrations_own_organizations(env):
    body = connected(env)
    path = f"/integrations/{body['integration_id']}/reauthorize"
    crm = connect_body(env, env.crm_seed, env.inv_seed)["crm"]
    crm.pop("org_id")

    status, error = env.api("POST", path, {})
    assert status == 422 and "crm, inventory or both" in json.dumps(error)
    status, error = env.api("POST", path, {"crm": {**crm, "refresh_token": "1000.not-a-token"}})
    assert status == 422 and error["error"]["details"]["fields"][0]["field"] == "crm", error
    without_endpoint = {key: value for key, value in crm.items() if key != "base_url"}  # the stored one stays
    status, reauthorized = env.api("POST", path, {"crm": without_endpoint})
    assert status == 200 and reauthorized["state"] == "active" and reauthorized["reauthorize_reason"] is None
    assert env.api("POST", f"/integrations/{body['integration_id']}/disable", {})[0] == 200
    status, error = env.api("POST", path, {"crm": crm})
    assert status == 409 and error["error"]["details"]["current"] == "disabled"
