"""Wire habits of Zoho Inventory: timestamps, dates, ids and amounts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import invalid_value

_SPACE_FOR_PLUS = re.compile(r" (\d{2}:?\d{2})$")


def zone(name: str) -> tzinfo:
    """The organization's time zone; UTC when the zone database lacks it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def now_utc(epoch: float) -> datetime:
    """Epoch seconds as an aware UTC datetime truncated to whole seconds (the wire's precision)."""
    return datetime.fromtimestamp(int(epoch), UTC)


def format_timestamp(moment: datetime, tz: tzinfo) -> str:
    """`2026-11-25T10:39:01+0000`: the offset has no colon (zoho-api.md §2.8)."""
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S%z")


def format_date(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d")


def parse_timestamp(raw: str, field: str, tz: tzinfo) -> datetime:
    """Accept `yyyy-MM-ddTHH:mm:ssZ` in its usual spellings (`+0000`, `+00:00`, `Z`).

    A `+` that arrived unencoded in a query string reads as a space; it is put back.
    A value without an offset is read in the organization's time zone.
    """
    text = _SPACE_FOR_PLUS.sub(r"+\1", raw.strip())
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise invalid_value(field) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def parse_date(raw: object, field: str) -> str:
    """A `yyyy-mm-dd` date, returned unchanged when valid."""
    if not isinstance(raw, str):
        raise invalid_value(field)
    try:
        date.fromisoformat(raw)
    except ValueError as exc:
        raise invalid_value(field) from exc
    return raw


def money(value: float) -> float:
    return round(value + 0.0, 2)


class IdSequence:
    """Long all-digit ids, deterministic from a start value (like `4815000000044080`)."""

    def __init__(self, start: int = 4_815_000_000_044_000) -> None:
        self._next = start

    def next(self) -> str:
        self._next += 1
        return str(self._next)


NUMBERS_LEFT_NULL = frozenset({"reorder_level"})  # an unset number stays null; only strings become ""


def blank_unset_strings(value: Any, key: str | None = None) -> Any:
    """A reply body with every unset value (`None`) as `""`, as the vendor sends unset strings
    (an address line, a phone; zoho-api.md §2.2), except the numbers in `NUMBERS_LEFT_NULL`."""
    if value is None:
        return None if key in NUMBERS_LEFT_NULL else ""
    if isinstance(value, dict):
        return {k: blank_unset_strings(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [blank_unset_strings(v, key) for v in value]
    return value


def with_times(record: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    """A copy of `record` with its datetimes in the wire format."""
    return {k: format_timestamp(v, tz) if isinstance(v, datetime) else v for k, v in record.items()}
