"""How runs start: the schedule (S1), "sync now" from the module preferences (M8), CRM notifications,
and the first run after enable (L3); against both sandboxes over HTTP and moto."""

from __future__ import annotations

import pytest

from crmsync.contracts.queues import SyncMessage
from crmsync.domain.models import CrmSource, IntegrationState, Module, ModuleStatus, RunStatus, Trigger
from crmsync.services import scheduling
from crmsync.services.sync.engine import run_sync_step
from tests.integration.test_sync_support import SyncEnv, sandboxes  # noqa: F401 (fixture)

CRM = {"records": {"Accounts": [{"Account_Name": "Acme"}], "Products": [{"Product_Name": "Bolt", "Product_Code": "B-1"}]}}
INVENTORY = {"items": [{"name": "Nut", "sku": "N-1", "rate": 1.5}]}


@pytest.fixture
def env(aws, sandboxes) -> SyncEnv:  # noqa: F811
    return SyncEnv.connect(aws, sandboxes, crm=CRM, inventory=INVENTORY)


def schedule(env: SyncEnv) -> int:
    return scheduling.queue_due_syncs(env.container.deps)


def test_schedule_starts_only_modules_whose_first_sync_is_done_and_not_paused(env):
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    env.configure(Module.VENDORS)
    env.configure(Module.ITEMS)
    assert schedule(env) == 0  # configured, never synced: the first sync is the admin's to start
    env.sync(Module.CUSTOMERS)
    env.sync(Module.ITEMS)
    env.store.set_module_paused(env.integration_id, Module.ITEMS, True)
    assert schedule(env) == 1
    assert schedule(env) == 0  # the customers run is queued: never piled on
    env.pump()
    [latest, *_] = env.store.list_runs(env.integration_id).items
    assert (latest.module, latest.trigger, latest.status) == (Module.CUSTOMERS, Trigger.SCHEDULE, RunStatus.DONE)


@pytest.mark.parametrize("state", [IntegrationState.PAUSED, IntegrationState.DISABLED])
def test_schedule_skips_an_integration_that_is_not_active(env, state):
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    env.sync(Module.CUSTOMERS)
    env.store.transition_integration(env.integration_id, allowed_from={IntegrationState.ACTIVE}, to=state)
    assert schedule(env) == 0


def test_sync_now_from_the_preferences_starts_a_run_once_however_often_it_arrives(env):
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    message = SyncMessage(integration_id=env.integration_id, module="customers", trigger="manual")
    env.store.set_module_status(env.integration_id, Module.CUSTOMERS, ModuleStatus.QUEUED)
    run_sync_step(env.container.deps, message)
    run_sync_step(env.container.deps, message)  # delivered twice: the run that is going takes it
    env.pump()
    [run] = env.store.list_runs(env.integration_id).items
    assert (run.trigger, run.status, run.counts.added) == (Trigger.MANUAL, RunStatus.DONE, 1)


def test_crm_notification_starts_a_webhook_run_only_after_the_first_sync(env):
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    note = SyncMessage(integration_id=env.integration_id, module="customers", trigger="webhook")
    run_sync_step(env.container.deps, note)
    assert env.store.list_runs(env.integration_id).items == []
    env.sync(Module.CUSTOMERS)
    run_sync_step(env.container.deps, note)
    env.pump()
    latest = env.store.list_runs(env.integration_id).items[0]
    assert (latest.trigger, latest.status) == (Trigger.WEBHOOK, RunStatus.DONE)


def test_first_items_run_after_enable_fetches_from_the_crm_first_and_spends_the_flag(env):
    env.configure(Module.ITEMS)
    integration = env.store.get_integration(env.integration_id)
    env.store.save_integration(integration.model_copy(update={"fetch_from_crm_first": True}))
    run = env.start(Module.ITEMS)
    assert run.phase == "crm:Products"  # items usually push the inventory first
    assert env.store.get_integration(env.integration_id).fetch_from_crm_first is False
    env.pump()
    assert env.store.get_run(env.integration_id, run.run_id).counts.added == 2
    assert env.start(Module.ITEMS).phase == "inventory"
