"""Store contract: sync runs, run failures, open failures."""

from __future__ import annotations

import pytest

from crmsync.domain.errors import AlreadyExistsError, ConflictError, NotFoundError
from crmsync.domain.models import Module, RunCounts, RunStatus, Side


def test_run_round_trips_when_created(store, make):
    run = make.run("int-1")
    store.create_run(run)
    assert store.get_run("int-1", run.run_id) == run
    assert store.get_run("int-2", run.run_id) is None
    with pytest.raises(AlreadyExistsError):
        store.create_run(run)


def test_list_runs_pages_newest_first_when_many(store, make, clock):
    runs = []
    for _ in range(5):
        runs.append(make.run("int-1"))
        store.create_run(runs[-1])
        clock.advance(seconds=1)
    store.create_run(make.run("int-2"))
    first = store.list_runs("int-1", limit=2)
    second = store.list_runs("int-1", limit=2, cursor=first.next_cursor)
    third = store.list_runs("int-1", limit=2, cursor=second.next_cursor)
    assert first.items + second.items + third.items == list(reversed(runs))
    assert third.next_cursor is None


def test_update_run_moves_status_when_expected_status_matches(store, make, clock):
    run = make.run("int-1")
    store.create_run(run)
    running = run.model_copy(update={"status": RunStatus.RUNNING, "started_at": clock.advance(seconds=2)})
    store.update_run(running, expected_status=RunStatus.QUEUED)
    done = running.model_copy(update={"status": RunStatus.DONE, "counts": RunCounts(added=2, conflicts=1)})
    store.update_run(done, expected_status=RunStatus.RUNNING)
    assert store.get_run("int-1", run.run_id) == done


def test_update_run_raises_conflict_with_current_status_when_another_worker_moved_it(store, make):
    run = make.run("int-1")
    store.create_run(run)
    store.update_run(run.model_copy(update={"status": RunStatus.RUNNING}), expected_status=RunStatus.QUEUED)
    with pytest.raises(ConflictError) as raised:
        store.update_run(
            run.model_copy(update={"status": RunStatus.RUNNING}), expected_status=RunStatus.QUEUED
        )
    assert raised.value.current is RunStatus.RUNNING


def test_update_run_raises_not_found_when_run_missing(store, make):
    with pytest.raises(NotFoundError):
        store.update_run(make.run("int-1"), expected_status=RunStatus.QUEUED)


def test_record_failures_stores_every_failure_when_more_than_a_batch(store, make):
    run = make.run("int-1")
    failures = [make.failure(run, f"r-{n:02}", Side.CRM if n % 2 else Side.INVENTORY) for n in range(60)]
    store.record_failures(failures)
    def key(f):
        return (f.side, f.record_id)

    assert sorted(store.list_run_failures(run.run_id), key=key) == sorted(failures, key=key)
    assert len(store.list_open_failures("int-1", limit=100).items) == 60


def test_record_failures_keeps_first_seen_when_record_fails_again(store, make, clock):
    first_run = make.run("int-1")
    first = make.failure(first_run, "r-1")
    store.record_failures([first])
    clock.advance(hours=2)
    second_run = make.run("int-1")
    store.record_failures([make.failure(second_run, "r-1", reason="still failing")])
    [open_failure] = store.list_open_failures("int-1").items
    assert (open_failure.first_seen, open_failure.last_seen) == (first.first_seen, clock())
    assert (open_failure.run_id, open_failure.reason) == (second_run.run_id, "still failing")
    assert store.list_run_failures(first_run.run_id) == [first]


def test_close_failures_removes_open_failures_when_records_sync_later(store, make):
    run = make.run("int-1")
    store.record_failures([make.failure(run, "r-1"), make.failure(run, "r-2")])
    store.close_failures("int-1", Module.CUSTOMERS, Side.CRM, ["r-1", "r-unknown"])
    assert [f.record_id for f in store.list_open_failures("int-1").items] == ["r-2"]
    assert len(store.list_run_failures(run.run_id)) == 2  # the run's history keeps them


def test_list_open_failures_filters_by_module_when_given(store, make):
    store.record_failures([make.failure(make.run("int-1", Module.ITEMS), "p-1")])
    store.record_failures([make.failure(make.run("int-1", Module.VENDORS), "v-1")])
    only_items = store.list_open_failures("int-1", module=Module.ITEMS)
    assert [f.record_id for f in only_items.items] == ["p-1"]
    first = store.list_open_failures("int-1", limit=1)
    second = store.list_open_failures("int-1", limit=1, cursor=first.next_cursor)
    assert {first.items[0].record_id, second.items[0].record_id} == {"p-1", "v-1"}
