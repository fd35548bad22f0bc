"""The clock port: every service and adapter reads time through one injected `Clock`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The production clock: an aware UTC datetime."""
    return datetime.now(UTC)
