"""Store contract: deleting everything of an integration (L4), in bounded, repeatable steps."""

from __future__ import annotations

import pytest

from crmsync.domain.models import Module, ModulePreferences, Side
from crmsync.domain.sync_state import Cursor


@pytest.fixture
def populated(store, make, clock):
    """Two integrations with mappings, claims, modules, cursors, runs, failures, activity, notifications."""

    def fill(integration_id: str) -> list:
        store.create_integration(make.integration(integration_id=integration_id))
        for module in (Module.CUSTOMERS, Module.ITEMS):
            for _ in range(6):
                store.link_mapping(make.mapping(integration_id, module))
            store.save_module_settings(ModulePreferences(integration_id=integration_id, module=module))
            store.advance_cursor(
                Cursor(
                    integration_id=integration_id,
                    module=module,
                    side=Side.CRM,
                    position=clock(),
                    updated_at=clock(),
                )
            )
        store.claim_mapping(make.claim(integration_id))
        runs = []
        for size in (12, 2):
            runs.append(make.run(integration_id))
            store.create_run(runs[-1])
            store.record_failures([make.failure(runs[-1], f"r-{n}") for n in range(size)])
            clock.advance(seconds=1)
        store.add_activity(make.activity(integration_id))
        store.add_notification(make.notification(integration_id))
        return runs

    return {"int-gone": fill("int-gone"), "int-kept": fill("int-kept")}


def remaining(store, integration_id: str, runs) -> int:
    count = len(store.list_modules(integration_id)) + len(store.list_runs(integration_id, limit=100).items)
    count += len(store.list_open_failures(integration_id, limit=1000).items)
    count += len(store.list_activity(integration_id).items)
    count += sum(len(store.list_run_failures(run.run_id, limit=1000).items) for run in runs)
    for module in Module:
        for side in Side:
            count += len(store.list_mappings(integration_id, module, side, limit=1000).items)
            count += store.get_cursor(integration_id, module, side) is not None
    return count


def test_purge_integration_deletes_sync_data_and_keeps_record_and_notifications(store, populated):
    before = remaining(store, "int-gone", populated["int-gone"])
    progress = store.purge_integration("int-gone")
    assert progress.done and progress.deleted == before
    assert remaining(store, "int-gone", populated["int-gone"]) == 0
    assert store.get_integration("int-gone") is not None
    assert len(store.list_notifications("int-gone").items) == 1
    assert remaining(store, "int-kept", populated["int-kept"]) == before


def test_purge_integration_is_idempotent_when_run_again(store, populated):
    store.purge_integration("int-gone")
    again = store.purge_integration("int-gone")
    assert (again.deleted, again.done) == (0, True)


def test_purge_integration_resumes_in_steps_when_given_a_budget(store, populated):
    before = remaining(store, "int-gone", populated["int-gone"])
    steps, deleted = 0, 0
    while True:
        progress = store.purge_integration("int-gone", max_items=10)
        steps += 1
        deleted += progress.deleted
        assert progress.deleted <= 25  # whole batches: the budget is checked between them
        if progress.done:
            break
    assert deleted == before
    assert steps >= 2
    assert remaining(store, "int-gone", populated["int-gone"]) == 0
