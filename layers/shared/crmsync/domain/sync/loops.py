"""The loop breaker (B9): at most `MAX_WRITES` writes to one linked pair within `WINDOW`.

A CRM workflow or an inventory automation that rewrites a field on every update can make the sync
write a pair again and again; the echo hash stops most of that, not all (a rule that empties a field
the other side cannot empty, two rules that fight). Each vendor write to a pair is noted on its
mapping with the run's planning time (`PlanContext.as_of`; without one nothing is counted). A pair
that has had `MAX_WRITES` in the last `WINDOW` and needs another is parked instead: nothing is
written, the record is an open failure "Update loop suspected" with both sides' last values, and it
stays parked, whatever changes, until an admin retries the failure, which releases it with an empty
window. 10 writes in 24 hours: a person rarely edits one record that often, a loop through CRM
notifications gets there in minutes, and one through the two-hourly schedule within a day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from crmsync.domain.sync.model import Canonical
from crmsync.domain.sync_state import Mapping

MAX_WRITES = 10
WINDOW = timedelta(hours=24)
REASON = "Update loop suspected"
SHOWN_FIELDS = 5  # at most this many fields' values in a reason
SHOWN_LENGTH = 60  # characters of one value


def recent(mapping: Mapping, now: datetime) -> tuple[datetime, ...]:
    """The pair's writes within the window that ends at `now`."""
    return tuple(at for at in mapping.recent_writes if now - at < WINDOW)


def at_cap(mapping: Mapping, now: datetime | None) -> bool:
    """Whether another write would exceed the cap (never without a planning time)."""
    return now is not None and len(recent(mapping, now)) >= MAX_WRITES


def noted(mapping: Mapping, now: datetime | None, writes: int) -> tuple[datetime, ...]:
    """The pair's recent writes once `writes` more are done at `now`."""
    if now is None or writes == 0:
        return mapping.recent_writes
    return (*recent(mapping, now), *([now] * writes))[-MAX_WRITES:]


def parked(mapping: Mapping, now: datetime | None) -> Mapping:
    """The mapping parked: since it was first parked, else since `now`."""
    return mapping.model_copy(update={"loop_parked_at": mapping.loop_parked_at or now})


def released(mapping: Mapping) -> Mapping:
    """The mapping free to sync again, with an empty window."""
    return mapping.model_copy(update={"loop_parked_at": None, "recent_writes": ()})


def reason(fields: list[str], crm: Canonical, inventory: Canonical) -> str:
    """Why a pair is parked, with each side's value of the fields the sync would write again."""
    shown = "; ".join(
        f"{field}: CRM {_shown(crm.get(field))}, inventory {_shown(inventory.get(field))}"
        for field in fields[:SHOWN_FIELDS]
    )
    more = f" (and {len(fields) - SHOWN_FIELDS} more fields)" if len(fields) > SHOWN_FIELDS else ""
    return (
        f"{REASON}: the sync wrote this record {MAX_WRITES} times within {_hours(WINDOW)} hours and it "
        f"changed again, so it is parked and not written until it is retried. Stop whatever rewrites it "
        f"on every update (a CRM workflow, an inventory automation), then retry it. Last values: {shown}{more}."
    )


def _shown(value: Any) -> str:
    if value is None:
        return "(empty)"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 1] + "…"


def _hours(window: timedelta) -> int:
    return int(window.total_seconds() // 3600)
