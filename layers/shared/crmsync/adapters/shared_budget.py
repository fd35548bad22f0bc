"""Vendor call budgets shared by every execution environment (issue 13, point 1).

Zoho Inventory counts calls per organization, not per process: 100 a minute, and a daily cap that
depends on the plan (1,000 to 10,000). `OrgBudget` is the inventory client's pacer. Before each call
it takes one call from a counter item in the table that every container of that organization
shares (one conditional UpdateItem, `BudgetCounters`).

- **Per minute:** windows of a tenth of a minute with `per_minute // 10` calls each (9 of the
  product's 90). Any 60 s spans at most 11 such windows, so at most 99 calls, under the vendor's
  100, however the vendor aligns its minute. A caller that finds its window full sleeps until
  the next one (at most 6 s).
- **Per day:** the organization's day, from its midnight, which is learned from the vendor's
  `x-rate-limit-reset` header; the cap comes from `x-rate-limit-limit` or from a code 45 message,
  and until then it is the smallest plan's 1,000. A sync may spend the cap less `RESERVE_SHARE`
  (at least `RESERVE_MIN` calls) less `HEADROOM_SHARE`. Automation (deal triggers, CRM-side
  transactions, an admin's own actions) may spend all but the headroom. A sync that finds its
  share spent gets `DailyLimitReached`, with the seconds left to the organization's midnight, and
  yields; automation keeps its reserve. The vendor's own count (`x-rate-limit-remaining`) also
  counts calls made by other apps, and it raises the shared counter whenever it is higher.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from crmsync.ports.budget import CallBudget
from crmsync.ports.errors import DailyLimitReached

DAY_S = 86_400.0
DEFAULT_DAILY_CAP = 1_000  # the smallest plan's, until the vendor says which plan this is
RESERVE_SHARE = 0.10  # of the daily cap, kept for automation
RESERVE_MIN = 20
HEADROOM_SHARE = 0.05  # of the daily cap, never spent by us: other apps of the organization
SUB_WINDOWS = 10  # per minute
_CAP_IN_MESSAGE = re.compile(r"rate limit of (\d+)")


@dataclass(frozen=True)
class Counter:
    window: int = -1  # the window the count belongs to
    used: int = 0


@dataclass(frozen=True)
class Ask:
    """Take `n` from limit `name` in window `window`, leaving `used` at most `most`."""

    name: str
    window: int
    most: int
    n: int
    fresh: bool  # whether the stored window is believed older (the count restarts at n)


@dataclass(frozen=True)
class Stored:
    counters: dict[str, Counter]
    day_cap: int | None = None
    day_offset: float | None = None  # seconds from UTC midnight to the organization's midnight


class BudgetCounters(Protocol):
    def read(self, key: str) -> Stored:
        """The item as stored (a process reads it once, to learn the cap and midnight)."""
        ...

    def take(self, key: str, asks: list[Ask]) -> tuple[bool, Stored]:
        """All asks in one conditional write; (taken, the item as stored afterwards or as found)."""
        ...

    def learn(self, key: str, *, day_cap: int | None, day_offset: float | None) -> None:
        """Store what the vendor said of the organization's daily cap and midnight."""
        ...

    def catch_up(self, key: str, window: int, used: int) -> None:
        """Raise the day's count to `used` (the vendor's own count) when it is lower."""
        ...


class OrgBudget:
    """The `Pacer` of one inventory organization in this process; `reserved` for automation callers."""

    def __init__(
        self,
        counters: BudgetCounters,
        org_key: str,
        *,
        per_minute: int = 90,
        minute_s: float = 60.0,
        reserved: bool = False,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if per_minute < SUB_WINDOWS:
            raise ValueError(f"per_minute must be at least {SUB_WINDOWS}")
        self._counters = counters
        self._key = org_key
        self._per_window = per_minute // SUB_WINDOWS
        self._window_s = minute_s / SUB_WINDOWS
        self._reserved = reserved
        self._wall = wall
        self._sleep = sleep
        self._lock = threading.Lock()
        self._stored: Stored | None = None  # read on first use
        self._vendor_used: int | None = None

    # ------------------------------------------------------------------ the Pacer protocol
    @contextmanager
    def slot(self) -> Iterator[None]:
        self.acquire()
        yield

    def acquire(self) -> None:
        """Take one call from the shared minute and day; wait for the next minute window when it is
        full; raise `DailyLimitReached` when this caller's share of the day is spent."""
        while True:
            now = self._wall()
            with self._lock:
                asks = self._asks(now)
                taken, self._stored = self._counters.take(self._key, asks)
            if taken:
                return
            full = [ask for ask in asks if self._is_full(ask)]
            if any(ask.name == "day" for ask in full):
                raise self._day_spent(now)
            if full:
                self._sleep(max(0.0, (asks[0].window + 1) * self._window_s - now))
            # else the stored windows moved on: the next attempt starts from what is stored

    def budget(self) -> CallBudget:
        """Calls left today for this caller, as far as the shared count knows; the steady pace."""
        day = self._state.counters.get("day", Counter())
        left = self._day_most() - day.used if day.window == self._day_window(self._wall()) else None
        return CallBudget(
            left=None if left is None else max(0, left), per_second=self._per_window / self._window_s
        )

    def observe(self, headers: Mapping[str, str], error_message: str | None = None) -> None:
        """Learn the daily cap and the organization's midnight from a response (§2.2 of the spec),
        and catch the shared count up with the vendor's own."""
        cap = _int(headers.get("x-rate-limit-limit"))
        if cap is None and error_message and (found := _CAP_IN_MESSAGE.search(error_message)):
            cap = int(found.group(1))
        reset = _int(headers.get("x-rate-limit-reset"))
        offset = None if reset is None else (self._wall() + reset) % DAY_S
        stored = self._state
        if (cap is not None and cap != stored.day_cap) or (
            offset is not None and (stored.day_offset is None or abs(offset - stored.day_offset) > 60)
        ):
            self._counters.learn(self._key, day_cap=cap, day_offset=offset)
            self._stored = Stored(
                stored.counters, cap or stored.day_cap, offset if offset is not None else stored.day_offset
            )
        remaining = _int(headers.get("x-rate-limit-remaining"))
        if cap is not None and remaining is not None:
            vendor_used = cap - remaining
            day = self._state.counters.get("day", Counter())
            if vendor_used > day.used + 1 and vendor_used != self._vendor_used:
                self._vendor_used = vendor_used
                self._counters.catch_up(self._key, self._day_window(self._wall()), vendor_used)

    # ------------------------------------------------------------------ internals
    @property
    def _state(self) -> Stored:
        """What the table holds, as last read or written (read once, on first use)."""
        if self._stored is None:
            self._stored = self._counters.read(self._key)
        return self._stored

    def _asks(self, now: float) -> list[Ask]:
        asks = []
        for name, window, most in (
            ("minute", int(now // self._window_s), self._per_window),
            ("day", self._day_window(now), self._day_most()),
        ):
            seen = self._state.counters.get(name)
            window = max(window, seen.window) if seen else window
            asks.append(Ask(name, window, most, 1, fresh=seen is None or seen.window < window))
        return asks

    def _is_full(self, ask: Ask) -> bool:
        seen = self._state.counters.get(ask.name, Counter())
        return seen.window == ask.window and seen.used + ask.n > ask.most

    def _day_window(self, now: float) -> int:
        return int((now - (self._state.day_offset or 0.0)) // DAY_S)

    def _day_cap(self) -> int:
        return self._state.day_cap or DEFAULT_DAILY_CAP

    def _day_most(self) -> int:
        cap = self._day_cap()
        most = cap - int(cap * HEADROOM_SHARE)
        return most if self._reserved else most - max(RESERVE_MIN, int(cap * RESERVE_SHARE))

    def _day_spent(self, now: float) -> DailyLimitReached:
        midnight = (self._day_window(now) + 1) * DAY_S + (self._state.day_offset or 0.0)
        share = "all but the headroom" if self._reserved else "the sync's share"
        return DailyLimitReached(
            "inventory",
            f"{share} of the organization's {self._day_cap()} calls a day is spent",
            code="DAILY_BUDGET",
            retry_after=midnight - now,
        )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


CRM_RESERVE_CREDITS = 2_000  # kept for automation: a won deal costs about 5 credits
CRM_WAIT_S = 3_600.0  # the CRM's window rolls over 24 h: an hour gives credits back


class CreditReserve:
    """The CRM's `Pacer` for a sync: the vendor counts the organization's credits over a rolling
    24 h and says what is left (`X-API-CREDITS-REMAINING`, once half are spent), which every
    container sees on its own answers, so that header is the shared count. A sync stops when it
    falls to `CRM_RESERVE_CREDITS` (`DailyLimitReached`, retried in an hour); automation spends on.
    The CRM's concurrency limit needs no pacer: every caller is one Lambda making one call at a time,
    and the queue consumers' `MaximumConcurrency` keeps them under the smallest accepted edition's 10.
    """

    def __init__(self, header: str, *, reserve: int = CRM_RESERVE_CREDITS):
        self._header = header.lower()
        self._reserve = reserve
        self._left: int | None = None

    @contextmanager
    def slot(self) -> Iterator[None]:
        if self._left is not None and self._left <= self._reserve:
            raise DailyLimitReached(
                "crm",
                f"{self._left} CRM credits left: the last {self._reserve} are kept for automation",
                code="DAILY_BUDGET",
                retry_after=CRM_WAIT_S,
            )
        yield

    def budget(self) -> CallBudget:
        return CallBudget(left=self._left)

    def observe(self, headers: Mapping[str, str], error_message: str | None = None) -> None:
        left = _int(headers.get(self._header))
        if left is not None:
            self._left = left
