"""Queue consumers and the schedule: partial batch failures, due modules (issue 2)."""

import json
from datetime import UTC, datetime

import boto3

from crmsync.domain.models import Integration, Module, ModulePreferences, ModuleStatus, Role
from tests.conftest import FakeContext, load_handler, sample_event


def add_integration(container, integration_id="int-1"):
    now = datetime.now(UTC)
    container.store.create_integration(
        Integration(
            integration_id=integration_id, tenant_id="t-1", role=Role.PRIMARY, crm_org_id=f"crm-{integration_id}",
            inventory_org_id=f"inv-{integration_id}", crm_data_center="com", inventory_data_center="com",
            two_way=True, created_at=now, updated_at=now,
        )
    )


def test_worker_reports_only_the_malformed_record_when_batch_is_mixed(aws):
    handler = load_handler("sync_worker")
    reply = handler(sample_event("sync_worker", "batch"), FakeContext())
    assert reply == {"batchItemFailures": [{"itemIdentifier": "msg-2"}]}


def test_automation_drops_event_when_integration_is_unknown(aws):
    handler = load_handler("trigger_automation")
    assert handler(sample_event("trigger_automation", "deal_event"), FakeContext()) == {"batchItemFailures": []}


def test_schedule_queues_one_message_per_due_module_only(aws):
    add_integration(aws, "int-1")
    store = aws.store
    due = store.save_module_settings(ModulePreferences(integration_id="int-1", module=Module.CUSTOMERS))
    store.set_module_status("int-1", Module.CUSTOMERS, ModuleStatus.DONE)
    store.save_module_settings(ModulePreferences(integration_id="int-1", module=Module.VENDORS))  # never synced
    store.save_module_settings(ModulePreferences(integration_id="int-1", module=Module.ITEMS))
    store.set_module_status("int-1", Module.ITEMS, ModuleStatus.DONE)
    store.set_module_paused("int-1", Module.ITEMS, True)
    assert due.version == 1

    reply = load_handler("scheduled_sync")(sample_event("scheduled_sync", "schedule"), FakeContext())

    assert reply == {"queued": 1}
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=aws.settings.sync_queue_url, MaxNumberOfMessages=10)["Messages"]
    [body] = [json.loads(m["Body"]) for m in messages]
    assert {k: v for k, v in body.items() if k != "run_id"} == {
        "kind": "sync", "integration_id": "int-1", "module": "customers", "trigger": "schedule", "step": 0
    }
    run = store.get_run("int-1", body["run_id"])
    assert (run.module, run.trigger, run.status) == ("customers", "schedule", "queued")
