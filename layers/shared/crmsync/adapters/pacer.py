"""Client-side pacing: stay under a vendor's call limits instead of running into them."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from crmsync.ports.budget import CallBudget


class Pacer(Protocol):
    def slot(self) -> AbstractContextManager[None]:
        """Hold a slot for the duration of one API call (waits until one is free)."""
        ...

    def budget(self) -> CallBudget:
        """Calls left and the pace, as far as the calls through this pacer go."""
        ...

    def observe(self, headers: Mapping[str, str], error_message: str | None = None) -> None:
        """What the vendor's response says of its budget (headers; a limit's error message)."""
        ...


class _Unobservant:
    def observe(self, headers: Mapping[str, str], error_message: str | None = None) -> None:
        """A process-local pacer learns nothing from the vendor's answers."""


class TokenBucket(_Unobservant):
    """At most `limit` calls in any `window` seconds, spread evenly; thread-safe.

    The bucket holds `burst` tokens and refills at `(limit - burst) / window` per second, so any
    interval of `window` seconds admits at most `burst + (limit - burst) = limit` calls, whether the
    vendor counts in fixed or sliding windows. Waiting callers queue up in arrival order: each takes
    its token on entry (the balance may go negative) and sleeps until that token is due.
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        burst = max(1, limit // 10) if burst is None else burst
        if not 1 <= burst < limit or window <= 0:
            raise ValueError("need 1 <= burst < limit and a positive window")
        self.limit = limit
        self.window = window
        self._capacity = float(burst)
        self._rate = (limit - burst) / window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self._capacity
        self._updated = clock()
        self._starts: deque[float] = deque()  # when the calls of the last window start (or started)

    def acquire(self) -> None:
        """Wait until a call may start."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            self._tokens -= 1
            delay = -self._tokens / self._rate if self._tokens < 0 else 0.0
            self._starts.append(now + delay)
            self._forget_before(now - self.window)
        if delay > 0:
            self._sleep(delay)

    @contextmanager
    def slot(self) -> Iterator[None]:
        self.acquire()
        yield

    def budget(self) -> CallBudget:
        """`limit` less the calls started (or waiting to start) in the last `window` seconds; the
        pace is the refill rate, what calls flow at once the burst is spent."""
        with self._lock:
            self._forget_before(self._clock() - self.window)
            return CallBudget(left=max(0, self.limit - len(self._starts)), per_second=self._rate)

    def _forget_before(self, horizon: float) -> None:
        while self._starts and self._starts[0] <= horizon:
            self._starts.popleft()


class ConcurrencyCap(_Unobservant):
    """At most `limit` calls in flight at once (the CRM's concurrency limit per org and app)."""

    def __init__(self, limit: int):
        self._semaphore = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._semaphore:
            yield

    def budget(self) -> CallBudget:
        return CallBudget()  # a cap on calls in flight says nothing of a budget


class PacerPool:
    """One pacer per key (an inventory organization id), shared by every client of that key."""

    def __init__(self, factory: Callable[[str], Pacer]):
        self._factory = factory
        self._pacers: dict[str, Pacer] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Pacer:
        with self._lock:
            if key not in self._pacers:
                self._pacers[key] = self._factory(key)
            return self._pacers[key]
