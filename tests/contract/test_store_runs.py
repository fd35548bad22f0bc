"""Store contract: sync runs, run failures, open failures."""

from __future__ import annotations

import pytest

from crmsync.domain.errors import AlreadyExistsError, ConflictError, InvalidCursorError, NotFoundError
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

    assert sorted(store.list_run_failures(run.run_id).items, key=key) == sorted(failures, key=key)
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
    assert store.list_run_failures(first_run.run_id).items == [first]


def test_list_run_failures_pages_by_side_and_record_id_and_refuses_other_listings_cursors(store, make):
    run, other = make.run("int-1"), make.run("int-1")
    failures = [make.failure(run, f"r-{n}", Side.INVENTORY if n < 2 else Side.CRM) for n in range(5)]
    store.record_failures([*failures, make.failure(other, "r-9")])
    pages = [store.list_run_failures(run.run_id, limit=2)]
    while pages[-1].next_cursor:
        pages.append(store.list_run_failures(run.run_id, limit=2, cursor=pages[-1].next_cursor))
    assert [f for page in pages for f in page.items] == failures[2:] + failures[:2]  # crm before inventory
    assert [len(page.items) for page in pages] == [2, 2, 1]
    open_failures_cursor = store.list_open_failures("int-1", limit=1).next_cursor
    for run_id, cursor in [(other.run_id, pages[0].next_cursor), (run.run_id, open_failures_cursor),
                           (run.run_id, "bm90IGEgY3Vyc29y")]:
        with pytest.raises(InvalidCursorError):
            store.list_run_failures(run_id, limit=2, cursor=cursor)


def test_record_failures_counts_the_records_new_to_their_run_once_across_steps(store, make):
    run = make.run("int-1")

    def record(step: int, *record_ids: str) -> int:
        return store.record_failures([make.failure(run, r) for r in record_ids], step=step)

    assert record(1, "r-1", "r-2") == 2
    assert record(2, "r-2", "r-3") == 1  # r-2 failed again: counted by step 1 already
    assert record(2, "r-3", "r-4") == 2  # step 2 again (its save was lost): r-3 is still step 2's
    assert record(3, "r-1", "r-1", "r-4") == 0
    assert store.record_failures([make.failure(make.run("int-1"), "r-1")], step=3) == 1  # another run's
    listed = store.list_run_failures(run.run_id).items
    assert sorted(f.record_id for f in listed) == ["r-1", "r-2", "r-3", "r-4"]


def test_close_failures_removes_open_failures_when_records_sync_later(store, make):
    run = make.run("int-1")
    store.record_failures([make.failure(run, "r-1"), make.failure(run, "r-2")])
    store.close_failures("int-1", Module.CUSTOMERS, Side.CRM, ["r-1", "r-unknown"])
    assert [f.record_id for f in store.list_open_failures("int-1").items] == ["r-2"]
    assert len(store.list_run_failures(run.run_id).items) == 2  # the run's history keeps them


def test_list_open_failures_filters_by_module_when_given(store, make):
    store.record_failures([make.failure(make.run("int-1", Module.ITEMS), "p-1")])
    store.record_failures([make.failure(make.run("int-1", Module.VENDORS), "v-1")])
    only_items = store.list_open_failures("int-1", module=Module.ITEMS)
    assert [f.record_id for f in only_items.items] == ["p-1"]
    first = store.list_open_failures("int-1", limit=1)
    second = store.list_open_failures("int-1", limit=1, cursor=first.next_cursor)
    assert {first.items[0].record_id, second.items[0].record_id} == {"p-1", "v-1"}


def test_open_failures_are_listed_by_side_within_a_module_and_got_by_record_id(store, make):
    run = make.run("int-1")
    crm, inventory = make.failure(run, "r-1", record_kind="account"), make.failure(run, "r-2", Side.INVENTORY)
    store.record_failures([crm, inventory, make.failure(make.run("int-1", Module.ITEMS), "r-1")])
    by_side = store.list_open_failures("int-1", module=Module.CUSTOMERS, side=Side.INVENTORY).items
    assert by_side == [inventory]
    assert store.get_open_failures("int-1", Module.CUSTOMERS, Side.CRM, ["r-1", "r-2", "r-9"]) == {"r-1": crm}
    assert store.get_open_failures("int-1", Module.CUSTOMERS, Side.CRM, []) == {}
    with pytest.raises(ValueError):
        store.list_open_failures("int-1", side=Side.CRM)
