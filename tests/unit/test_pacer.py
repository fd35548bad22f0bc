import threading
import time

import pytest

from crmsync.adapters.pacer import ConcurrencyCap, PacerPool, TokenBucket
from crmsync.ports.budget import CallBudget


class FakeTime:
    """A clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def starts_of(bucket: TokenBucket, fake: FakeTime, calls: int) -> list[float]:
    starts = []
    for _ in range(calls):
        bucket.acquire()
        starts.append(fake.now)
    return starts


def busiest_window(starts: list[float], window: float) -> int:
    """The most calls that started within any half-open interval of `window` seconds."""
    best, first = 0, 0
    for last, start in enumerate(starts):
        while start - starts[first] >= window - 1e-9:
            first += 1
        best = max(best, last - first + 1)
    return best


@pytest.mark.parametrize(
    ("limit", "window", "burst"), [(100, 60.0, None), (100, 1.0, None), (10, 5.0, 1), (7, 2.0, 6)]
)
def test_no_window_holds_more_than_the_limit_when_calling_flat_out(limit, window, burst):
    fake = FakeTime()
    bucket = TokenBucket(limit, window, burst=burst, clock=fake.clock, sleep=fake.sleep)

    starts = starts_of(bucket, fake, 10 * limit)

    assert busiest_window(starts, window) <= limit


def test_calls_flow_at_the_limit_when_calling_flat_out():
    fake = FakeTime()
    bucket = TokenBucket(100, 1.0, clock=fake.clock, sleep=fake.sleep)

    starts = starts_of(bucket, fake, 1000)

    # 10 burst tokens, then 90 per second: 990 more calls take 11 s.
    assert starts[-1] == pytest.approx(11.0)


def test_burst_passes_without_waiting_when_bucket_is_full():
    fake = FakeTime()
    bucket = TokenBucket(100, 60.0, clock=fake.clock, sleep=fake.sleep)

    assert starts_of(bucket, fake, 10) == [0.0] * 10
    assert starts_of(bucket, fake, 1) == [pytest.approx(60.0 / 90)]


def test_bucket_refills_when_idle():
    fake = FakeTime()
    bucket = TokenBucket(20, 1.0, burst=5, clock=fake.clock, sleep=fake.sleep)
    starts_of(bucket, fake, 5)

    fake.now += 10.0

    assert starts_of(bucket, fake, 5) == [10.0] * 5


def test_threads_share_one_budget_when_calling_concurrently():
    bucket = TokenBucket(20, 0.5, burst=2)  # 36 per second after the burst
    started = time.monotonic()

    threads = [threading.Thread(target=lambda: [bucket.acquire() for _ in range(10)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert time.monotonic() - started >= (40 - 2) / 36 - 0.01


@pytest.mark.parametrize(("limit", "burst"), [(1, None), (10, 10), (10, 0)])
def test_bucket_is_refused_when_burst_does_not_fit_the_limit(limit, burst):
    with pytest.raises(ValueError):
        TokenBucket(limit, 1.0, burst=burst)


def test_budget_is_the_limit_less_the_calls_of_the_last_window_and_the_pace_is_the_refill_rate():
    fake = FakeTime()
    bucket = TokenBucket(100, 60.0, clock=fake.clock, sleep=fake.sleep)
    assert bucket.budget() == CallBudget(left=100, per_second=1.5)  # 90 a minute after the burst of 10

    starts_of(bucket, fake, 30)  # 10 at once, then 20 paced: the last starts at 20 / 1.5 s
    assert fake.now == pytest.approx(40 / 3)
    assert bucket.budget().left == 70

    fake.now = 60.5  # the burst's calls left the window; the paced ones (started from 2/3 s on) not yet
    assert bucket.budget().left == 80
    fake.now += 60.0
    assert bucket.budget().left == 100


def test_a_concurrency_cap_knows_no_budget():
    assert ConcurrencyCap(2).budget() == CallBudget()


def test_concurrency_cap_holds_calls_in_flight_to_the_limit():
    cap = ConcurrencyCap(2)
    in_flight, peak, lock = 0, 0, threading.Lock()

    def call():
        nonlocal in_flight, peak
        with cap.slot():
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.02)
            with lock:
                in_flight -= 1

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert peak == 2


def test_pool_hands_out_one_pacer_per_key():
    pool = PacerPool(lambda _org: TokenBucket(100, 60.0))

    assert pool.get("org-1") is pool.get("org-1")
    assert pool.get("org-1") is not pool.get("org-2")
