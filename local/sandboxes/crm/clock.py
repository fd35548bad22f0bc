"""Time for the CRM sandbox: an injectable wall clock and the write clock that stamps records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class WriteClock:
    """Stamps write calls: whole seconds, strictly increasing from one write call to the next.

    Zoho keeps second resolution; making every write call at least one second later than the
    previous one means any change made after a read is strictly newer than every timestamp that
    read saw, so `If-Modified-Since` never misses it. Under bursts it runs a little ahead of the wall clock.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.last: datetime | None = None

    def tick(self) -> datetime:
        now = self.clock().astimezone(UTC).replace(microsecond=0)
        if self.last is not None and now <= self.last:
            now = self.last + timedelta(seconds=1)
        self.last = now
        return now


def iso(moment: datetime, zone: ZoneInfo) -> str:
    """`2026-11-25T10:39:01+01:00`: the org's time zone, seconds, offset with a colon."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


def parse_moment(text: str) -> datetime:
    """An ISO 8601 time with offset (or an HTTP date); naive times are taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        moment = parsedate_to_datetime(text)  # raises ValueError when it is not an HTTP date either
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
