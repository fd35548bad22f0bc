"""The activity log and audit trail (A4): one way to write an entry."""

from __future__ import annotations

from typing import Any

from crmsync.domain.journal import ActivityEntry
from crmsync.domain.models import time_sortable_id
from crmsync.ports.clock import Clock
from crmsync.ports.store import Store


def record_activity(
    store: Store,
    clock: Clock,
    integration_id: str,
    kind: str,
    result: str,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> ActivityEntry:
    now = clock()
    entry = ActivityEntry(
        integration_id=integration_id,
        entry_id=time_sortable_id(now),
        at=now,
        kind=kind,
        result=result,
        reason=reason,
        details=details or {},
    )
    store.add_activity(entry)
    return entry
