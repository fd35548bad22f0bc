"""The sync runtime's pure parts: the phases of a run, paging a change stream by its watermark,
the run state kept between steps, and how CRM records become planner records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crmsync.domain.models import CrmSource, Module, ModuleSettings, ModuleViews, Side, Trigger
from crmsync.domain.sync.model import RecordKind, SourceRecord
from crmsync.domain.sync_state import SyncRun
from crmsync.ports.crm import CrmRecord
from crmsync.services.sync import streams
from crmsync.services.sync.phases import plan_phases
from crmsync.services.sync.records import from_crm
from crmsync.services.sync.state import Position, RunState, read_state, with_state

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def page(
    *seconds: int, more: bool = True, by_time: bool = True, sortable: bool = False
) -> streams.StreamPage:
    records = [
        SourceRecord(side=Side.CRM, kind=RecordKind.ACCOUNT, id=str(n), modified=at(s), values={})
        for n, s in enumerate(seconds)
    ]
    return streams.StreamPage(records, "page:2" if more else None, by_time, sortable)


# ------------------------------------------------------------------ phases
def test_two_way_customers_read_the_crm_first_and_match_crm_records_first():
    settings = ModuleSettings(crm_source=CrmSource.ACCOUNTS_AND_CONTACTS)
    assert plan_phases(Module.CUSTOMERS, settings, two_way=True, crm_first=False) == (
        "crm:Accounts",
        "crm:Contacts",
        "deleted:Accounts",
        "deleted:Contacts",
        "inventory",
        "match:crm",
        "match:inventory",
    )


def test_two_way_items_push_the_inventory_first_unless_the_crm_goes_first_after_enable():
    assert plan_phases(Module.ITEMS, ModuleSettings(), two_way=True, crm_first=False) == (
        "inventory",
        "crm:Products",
        "deleted:Products",
        "match:inventory",
        "match:crm",
    )
    assert plan_phases(Module.ITEMS, ModuleSettings(), two_way=True, crm_first=True)[0] == "crm:Products"


def test_fetch_only_only_indexes_the_inventory_and_never_matches_inventory_records():
    assert plan_phases(Module.VENDORS, ModuleSettings(), two_way=False, crm_first=False) == (
        "crm:Vendors",
        "deleted:Vendors",
        "inventory_index",
        "match:crm",
    )


# ------------------------------------------------------------------ streams
def test_page_by_time_continues_from_its_newest_change_when_time_moved_on():
    after = streams.after_page(Position(since=at(0)), page(1, 2, 5), 3)
    assert (after.since, after.cursor, after.newest) == (at(5), None, at(5))


def test_page_sharing_one_change_time_continues_by_position_so_progress_never_stalls():
    after = streams.after_page(Position(since=at(5)), page(5, 5, 5), 3)
    assert (after.since, after.cursor) == (at(5), "page:2")
    bulk = streams.after_page(Position(), page(9, 9, 9), 3)  # a bulk import is not read twice
    assert (bulk.since, bulk.cursor, bulk.newest) == (None, "page:2", at(9))


def test_crm_block_of_one_second_is_read_again_from_that_second_in_id_order():
    """A bulk import in the CRM: going on by position in time order would skip the records an edit made
    meanwhile shifts onto positions already read; in id order an edit moves nothing."""
    block = streams.after_page(Position(), page(9, 9, 9, sortable=True), 3)
    assert (block.since, block.cursor, block.newest, block.by_id) == (at(9), None, at(9), True)
    following = streams.after_page(block, page(9, 9, 30, by_time=False, sortable=True), 3)
    assert (following.since, following.cursor, following.newest, following.by_id) == (
        at(9),
        "page:2",
        at(30),
        True,
    )
    assert streams.after_page(following, page(9, more=False, by_time=False, sortable=True), 1) is None


def test_last_page_ends_the_phase():
    assert streams.after_page(Position(since=at(0)), page(1, more=False), 1) is None


def test_view_pages_go_by_position_because_a_view_cannot_be_sorted():
    after = streams.after_page(Position(since=at(0), newest=at(9)), page(3, 1, by_time=False), 2)
    assert (after.since, after.cursor, after.newest) == (at(0), "page:2", at(9))


def test_step_may_stop_part_way_only_where_the_next_query_starts_past_what_was_done():
    ordered = page(1, 2, 3)
    assert streams.can_stop_after(Position(since=at(0)), ordered, 2)
    assert not streams.can_stop_after(Position(since=at(2)), page(2, 2, 3), 2)
    assert not streams.can_stop_after(Position(since=at(0)), page(1, 2, 3, by_time=False), 2)
    cut = streams.after_page(Position(since=at(0)), ordered, 2)
    assert (cut.since, cut.cursor) == (at(2), None)


def test_phase_starts_at_the_watermark_or_where_an_unfinished_run_began_or_reads_everything():
    now = at(3600)
    assert streams.start(at(600), now).since == at(600)
    assert streams.start(None, now).since is None
    assert streams.start(at(600), now, full=True).since is None
    assert streams.start(at(600), now, back_to=at(60)).since == at(60) - streams.CLOCK_SKEW


def test_finished_phase_moves_the_watermark_past_a_settled_newest_change_or_to_its_start_less_the_clock_skew():
    assert streams.end_of_phase(Position(newest=at(7), started=at(99)), by_time=True, now=at(99)) == at(8)
    # A change in the last few seconds stays: an edit stamped in that second after the read is read next time.
    assert streams.end_of_phase(Position(newest=at(95), started=at(90)), by_time=True, now=at(99)) == at(95)
    assert streams.end_of_phase(Position(started=at(99)), by_time=True) is None
    assert (
        streams.end_of_phase(Position(newest=at(7), started=at(999)), by_time=False)
        == at(999) - streams.CLOCK_SKEW
    )


def test_contacts_are_read_in_full_once_a_day_and_items_never_need_it():
    now = at(0)
    assert streams.reads_everything_today(Module.CUSTOMERS, None, now)
    assert not streams.reads_everything_today(Module.CUSTOMERS, now - timedelta(hours=23), now)
    assert streams.reads_everything_today(Module.VENDORS, now - timedelta(hours=24), now)
    assert not streams.reads_everything_today(Module.ITEMS, None, now)


def test_a_new_view_is_a_new_stream_read_in_full():
    assert streams.crm_stream(ModuleSettings(), "Accounts") == "crm:Accounts"
    assert (
        streams.crm_stream(ModuleSettings(views=ModuleViews(accounts="42")), "Accounts") == "crm:Accounts@42"
    )


# ------------------------------------------------------------------ run state
def test_run_state_round_trips_through_the_run_with_the_settings_it_started_with():
    settings = ModuleSettings(crm_source=CrmSource.CONTACTS)
    state = RunState(settings=settings, plan=("crm:Contacts", "match:crm"), position=Position(since=at(1)))
    run = SyncRun(
        integration_id="i",
        run_id="r",
        module=Module.CUSTOMERS,
        trigger=Trigger.MANUAL,
        preferences_version=3,
        queued_at=T0,
    )
    stored = with_state(run, state, step=4)
    assert read_state(stored) == state and stored.step == 4
    assert state.next_phase("crm:Contacts") == "match:crm" and state.next_phase("match:crm") is None


# ------------------------------------------------------------------ records
def test_crm_contact_of_an_account_is_a_contact_person_only_with_accounts_and_their_contacts():
    record = CrmRecord(
        id="7", modified_time=T0, values={"Last_Name": "Lee", "Account_Name": {"id": "3", "name": "A"}}
    )
    both = from_crm(
        Module.CUSTOMERS, "Contacts", ModuleSettings(crm_source=CrmSource.ACCOUNTS_AND_CONTACTS), record
    )
    alone = from_crm(Module.CUSTOMERS, "Contacts", ModuleSettings(crm_source=CrmSource.CONTACTS), record)
    assert (both.kind, both.parent_id) == (RecordKind.PERSON, "3")
    assert (alone.kind, alone.parent_id) == (RecordKind.CONTACT, None)
