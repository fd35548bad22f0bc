"""Reading change streams one page per step, with a modified-time watermark.

A stream is one CRM module (optionally through a view) or the inventory side of a module. Pages
come oldest change first, and after each page the watermark moves to the newest change time on it,
so a crash resumes where the last page ended; the next page is asked for from that time (changes
made meanwhile move to the end of the listing and cannot shift records past the position). Timestamps have second resolution and several
records can share one, so a query asks for changes at or after the watermark (`>=`: the CRM's
`If-Modified-Since` is strict, so it is sent one second earlier) and the records of that second
that were applied already are recognised by (id, change time) against their mapping. When a whole
page shares one change time (a bulk import) the time cannot move on: the CRM is then read again from
that time in id order (`Position.by_id`), position by position to the end. An edit made meanwhile
moves a record later in time order, which would shift the records behind it onto positions already
read; in id order nothing moves (the edited record is read at its place, new records come last).
The inventory, which cannot sort by id, moves on by position in time order.
Once a phase has read its stream to the end, the watermark moves one second past the newest change
it saw when that change is `SETTLED` older than the end of the read (so a run with nothing changed
reads nothing again, even after a bulk import stamped in one second); when the newest change is more
recent than that, the watermark stays at it, so an edit committed in that same second after the last
read is still read by the next run (the records of that second read again are recognised as applied).

The CRM cannot sort a custom view (`cvid` refuses `sort_by`): through a view the listing goes by
position, and the watermark moves only when the phase ends, to the phase's start less `CLOCK_SKEW`
(our clock, not the vendor's). The CRM's deleted records are read the same way.

Inventory contacts are read in full once a day (`FULL_READ_EVERY`): Zoho documents the
`last_modified_time` filter for items only, so the contacts list may not honour it. Deleted records
cannot be listed in inventory at all; a deletion there shows when a write finds the record gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crmsync.domain.models import Module, ModuleSettings
from crmsync.domain.sync.model import PlanContext, SourceRecord
from crmsync.ports.crm import CrmPort
from crmsync.ports.inventory import ContactQuery, InventoryPort, ItemQuery
from crmsync.services.sync.context import crm_fields
from crmsync.services.sync.kinds import contact_type
from crmsync.services.sync.records import from_crm, from_inventory
from crmsync.services.sync.state import Position

CLOCK_SKEW = timedelta(minutes=5)  # how far our clock may run ahead of a vendor's
FULL_READ_EVERY = timedelta(hours=24)
SECOND = timedelta(seconds=1)  # the vendors' timestamp resolution
SETTLED = timedelta(seconds=10)  # a second this far behind the end of a read can take no more changes


@dataclass(frozen=True)
class StreamPage:
    records: list[SourceRecord]
    next_cursor: str | None
    by_time: bool  # oldest change first
    sortable_by_id: bool = False  # the listing can be asked for in id order (the CRM, without a view)


def view_of(settings: ModuleSettings, crm_module: str) -> str | None:
    return getattr(settings.views, crm_module.lower(), None)


def crm_stream(settings: ModuleSettings, crm_module: str) -> str:
    """The watermark's name: a new view is a new stream, read in full once."""
    view = view_of(settings, crm_module)
    return f"crm:{crm_module}" + (f"@{view}" if view else "")


def deleted_stream(crm_module: str) -> str:
    return f"deleted:{crm_module}"


INVENTORY_STREAM = "inventory"
INVENTORY_FULL = "inventory:full"


def reads_everything_today(module: Module, last_full_read: datetime | None, now: datetime) -> bool:
    """Contacts are read in full when the last full read is a day old (see the module docstring)."""
    return module is not Module.ITEMS and (last_full_read is None or now - last_full_read >= FULL_READ_EVERY)


def start(
    watermark: datetime | None, now: datetime, *, full: bool = False, back_to: datetime | None = None
) -> Position:
    """The first position of a phase: at the watermark, or earlier at `back_to` when an earlier run
    stopped before it finished (its changes are read again), or everything."""
    since = None if full or watermark is None else watermark
    if since is not None and back_to is not None:
        since = min(since, back_to - CLOCK_SKEW)
    return Position(since=since, started=now)


def end_of_phase(at: Position, by_time: bool, now: datetime | None = None) -> datetime | None:
    """Where the watermark goes when the phase has read its stream to the end (None: stays).

    Past the newest change (its second is done) when that change is at least `SETTLED` older than
    the end of the read; at it otherwise, so an edit committed in that second is read next time.
    """
    if by_time:
        if at.newest is None:
            return None
        settled = now is not None and now - at.newest >= SETTLED
        return at.newest + SECOND if settled else at.newest
    return at.started - CLOCK_SKEW if at.started else None


def read_crm(
    crm: CrmPort, ctx: PlanContext, settings: ModuleSettings, crm_module: str, at: Position
) -> StreamPage:
    view = view_of(settings, crm_module)
    pages = crm.iter_record_pages(
        crm_module,
        crm_fields(ctx, crm_module),
        modified_since=at.since - SECOND if at.since else None,
        cvid=view,
        sort_by=None if view else ("id" if at.by_id else "Modified_Time"),
        sort_order=None if view else "asc",
        cursor=at.cursor,
    )
    by_time = not view and not at.by_id
    page = next(pages, None)
    if page is None:
        return StreamPage([], None, by_time, not view)
    records = [from_crm(ctx.module, crm_module, settings, r) for r in page.records]
    return StreamPage(records, page.next_cursor, by_time, not view)


def read_inventory(inventory: InventoryPort, module: Module, at: Position) -> StreamPage:
    order = {"modified_after": at.since, "sort_column": "last_modified_time", "sort_order": "A"}
    if module is Module.ITEMS:
        pages = inventory.iter_item_pages(ItemQuery(**order), cursor=at.cursor)
    else:
        pages = inventory.iter_contact_pages(
            ContactQuery(**order, extra={"contact_type": contact_type(module)}), cursor=at.cursor
        )
    page = next(pages, None)
    if page is None:
        return StreamPage([], None, True)
    return StreamPage([from_inventory(module, r) for r in page.records], page.next_cursor, True)


def newest(records: list[SourceRecord], before: datetime | None = None) -> datetime | None:
    times = [r.modified for r in records if r.modified] + ([before] if before else [])
    return max(times) if times else None


def after_page(at: Position, page: StreamPage, done: int) -> Position | None:
    """Where the phase continues once the first `done` records of `page` are applied (None: finished)."""
    processed = page.records[:done]
    seen = newest(processed, at.newest)
    top = newest(processed)
    if done < len(page.records):  # cut short by the step's time budget (only where time orders the page)
        return at.model_copy(update={"since": top, "cursor": None, "newest": seen})
    if page.next_cursor is None:
        return None
    oldest = min((r.modified for r in processed if r.modified), default=None)
    spans_time = oldest is not None and top is not None and oldest < top
    if page.by_time and spans_time and (at.since is None or top > at.since):
        return at.model_copy(update={"since": top, "cursor": None, "newest": seen})
    if page.by_time and page.sortable_by_id and top is not None:  # a block of one second: on in id order
        return at.model_copy(update={"since": top, "cursor": None, "newest": seen, "by_id": True})
    return at.model_copy(update={"cursor": page.next_cursor, "newest": seen})


def can_stop_after(at: Position, page: StreamPage, done: int) -> bool:
    """A page may be left part-way only where the next query can start past what was done."""
    if not page.by_time or done == 0 or done >= len(page.records):
        return False
    top = newest(page.records[:done])
    return top is not None and (at.since is None or top > at.since)
