"""Store contract: what the sync runtime keeps (match index, staged records, run steps, the module's
current run, stream watermarks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmsync.domain.errors import ConflictError
from crmsync.domain.models import (
    Module,
    ModulePreferences,
    ModuleStatus,
    RunCounts,
    RunStatus,
    Side,
)
from crmsync.domain.sync.model import RecordKind, SourceRecord

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def record(record_id: str, *, side: Side = Side.INVENTORY, kind: RecordKind = RecordKind.ACCOUNT, minutes: int = 0,
           name: str = "Café Münster GmbH") -> SourceRecord:
    values = {"contact_name": name, "rate": 0.1, "address": {"city": "Köln"}}
    return SourceRecord(side=side, kind=kind, id=record_id, modified=AT + timedelta(minutes=minutes), values=values)


def saved_module(store, integration_id: str = "int-1", module: Module = Module.CUSTOMERS) -> ModulePreferences:
    return store.save_module_settings(ModulePreferences(integration_id=integration_id, module=module))


# ------------------------------------------------------------------ match index
def test_match_entries_are_found_by_key_and_side_when_put(store):
    store.put_match_entries("int-1", Module.CUSTOMERS, Side.INVENTORY,
                            [("cafe", record("1")), ("cafe", record("2", minutes=5)), ("nord", record("3"))])
    found = store.get_match_entries("int-1", Module.CUSTOMERS, Side.INVENTORY, {"cafe", "nord", "none"})
    assert [r.id for r in found["cafe"]] == ["2", "1"]  # newest first
    assert found["cafe"][1] == record("1")
    assert set(found) == {"cafe", "nord"}
    assert store.get_match_entries("int-1", Module.CUSTOMERS, Side.CRM, {"cafe"}) == {}
    assert store.get_match_entries("int-1", Module.VENDORS, Side.INVENTORY, {"cafe"}) == {}


def test_match_entries_merge_by_record_id_when_put_again(store):
    store.put_match_entries("int-1", Module.ITEMS, Side.CRM, [("k", record("1", side=Side.CRM))])
    store.put_match_entries("int-1", Module.ITEMS, Side.CRM,
                            [("k", record("1", side=Side.CRM, minutes=9, name="new")), ("k", record("2", side=Side.CRM))])
    [first, second] = store.get_match_entries("int-1", Module.ITEMS, Side.CRM, {"k"})["k"]
    assert (first.id, first.values["contact_name"], second.id) == ("1", "new", "2")


def test_drop_match_entries_removes_records_and_empty_keys_when_linked(store):
    store.put_match_entries("int-1", Module.CUSTOMERS, Side.CRM,
                            [("a", record("1", side=Side.CRM)), ("a", record("2", side=Side.CRM)),
                             ("b", record("3", side=Side.CRM))])
    store.drop_match_entries("int-1", Module.CUSTOMERS, Side.CRM, [("a", "1"), ("b", "3"), ("c", "9")])
    found = store.get_match_entries("int-1", Module.CUSTOMERS, Side.CRM, {"a", "b"})
    assert {key: [r.id for r in records] for key, records in found.items()} == {"a": ["2"]}


def test_match_index_is_purged_with_the_integration(store):
    store.put_match_entries("int-1", Module.CUSTOMERS, Side.CRM, [("a", record("1", side=Side.CRM))])
    assert store.purge_integration("int-1").done
    assert store.get_match_entries("int-1", Module.CUSTOMERS, Side.CRM, {"a"}) == {}


# ------------------------------------------------------------------ staged records
def test_staged_records_list_by_side_accounts_before_persons_when_staged_twice(store):
    person = record("9", side=Side.CRM, kind=RecordKind.PERSON)
    accounts = [record(str(n), side=Side.CRM) for n in range(1, 4)]
    store.stage_records("run-1", [person, *accounts])
    store.stage_records("run-1", [accounts[0], record("i-1")])
    first = store.list_staged("run-1", Side.CRM, limit=2)
    second = store.list_staged("run-1", Side.CRM, limit=2, cursor=first.next_cursor)
    assert [r.id for r in first.items + second.items] == ["1", "2", "3", "9"]
    assert second.next_cursor is None and second.items[-1] == person
    assert [r.id for r in store.list_staged("run-1", Side.INVENTORY).items] == ["i-1"]
    assert store.list_staged("run-2", Side.CRM).items == []


# ------------------------------------------------------------------ run steps
def test_save_run_step_stores_the_next_step_when_at_the_expected_step(store, make):
    run = make.run("int-1")
    store.create_run(run)
    moved = run.model_copy(update={"step": 1, "status": RunStatus.RUNNING, "phase": "crm:Accounts",
                                   "page_cursor": '{"x":1}', "counts": RunCounts(added=3)})
    store.save_run_step(moved, expected_step=0)
    assert store.get_run("int-1", run.run_id) == moved


def test_save_run_step_raises_conflict_with_stored_step_when_another_worker_moved_on(store, make):
    run = make.run("int-1")
    store.create_run(run)
    store.save_run_step(run.model_copy(update={"step": 1}), expected_step=0)
    with pytest.raises(ConflictError) as raised:
        store.save_run_step(run.model_copy(update={"step": 1, "counts": RunCounts(added=9)}), expected_step=0)
    assert raised.value.current == 1
    assert store.get_run("int-1", run.run_id).counts == RunCounts()


def test_save_run_step_raises_conflict_when_run_is_finished(store, make):
    run = make.run("int-1", status=RunStatus.DONE)
    store.create_run(run)
    with pytest.raises(ConflictError):
        store.save_run_step(run.model_copy(update={"step": 1}), expected_step=0)


# ------------------------------------------------------------------ the module's current run
def test_claim_module_run_takes_the_module_once_when_runs_race(store):
    saved_module(store)
    assert store.claim_module_run("int-1", Module.CUSTOMERS, "r1", previous_run_id=None, status=ModuleStatus.QUEUED)
    assert not store.claim_module_run("int-1", Module.CUSTOMERS, "r2", previous_run_id=None,
                                      status=ModuleStatus.QUEUED)
    assert store.claim_module_run("int-1", Module.CUSTOMERS, "r3", previous_run_id="r1", status=ModuleStatus.RUNNING)
    module = store.get_module("int-1", Module.CUSTOMERS)
    assert (module.last_run_id, module.status, module.version) == ("r3", ModuleStatus.RUNNING, 1)


def test_claim_module_run_is_refused_when_module_was_never_saved(store):
    assert not store.claim_module_run("int-1", Module.ITEMS, "r1", previous_run_id=None, status=ModuleStatus.QUEUED)
    assert store.get_module("int-1", Module.ITEMS) is None


# ------------------------------------------------------------------ watermarks
def test_watermark_moves_forward_only_and_per_stream(store):
    assert store.get_watermark("int-1", Module.CUSTOMERS, "crm:Accounts") is None
    assert store.advance_watermark("int-1", Module.CUSTOMERS, "crm:Accounts", AT)
    assert not store.advance_watermark("int-1", Module.CUSTOMERS, "crm:Accounts", AT - timedelta(seconds=1))
    assert store.advance_watermark("int-1", Module.CUSTOMERS, "crm:Accounts", AT)
    store.advance_watermark("int-1", Module.CUSTOMERS, "crm:Contacts", AT + timedelta(hours=1))
    assert store.get_watermark("int-1", Module.CUSTOMERS, "crm:Accounts") == AT
    assert store.get_watermark("int-1", Module.CUSTOMERS, "crm:Contacts") == AT + timedelta(hours=1)
    assert store.get_watermark("int-1", Module.VENDORS, "crm:Accounts") is None
