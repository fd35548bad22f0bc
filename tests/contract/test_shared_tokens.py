"""Shared access tokens (issue 13, point 2): one refresh per expiry across execution environments,
never more than the vendor's per-window limit, on both DynamoDB backends.

Each `SharedTokens` here stands for one container (its own lease holder id); racers run in threads
released together.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from crmsync.adapters.dynamodb.tokens import DynamoTokenRecords
from crmsync.adapters.token_sharing import (
    LEASE_S,
    MAX_REFRESHES,
    WINDOW_S,
    FreshToken,
    SharedTokens,
    TokenRecord,
    record_key,
)
from crmsync.ports.errors import AuthorizationExpired, RateLimited, Unavailable

KEY = record_key("https://accounts.test/oauth/v2/token", "client-1", "refresh-1")
SECRET = b"client-secret" + b"refresh-1"
CONTAINERS = 8


class Vendor:
    """The token endpoint: counts the tokens it hands out, each unique, each taking `delay` s."""

    def __init__(self, wall=time.time, delay: float = 0.0, lifetime: float = 3600.0):
        self.issued: list[str] = []
        self._lock = threading.Lock()
        self._wall, self._delay, self._lifetime = wall, delay, lifetime

    def fetch(self) -> FreshToken:
        time.sleep(self._delay)
        with self._lock:
            self.issued.append(f"token-{len(self.issued) + 1}")
            return FreshToken(self.issued[-1], "https://api.test", self._wall() + self._lifetime)


class Wall:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def records(store) -> DynamoTokenRecords:
    return DynamoTokenRecords(store.table)


def test_a_write_carries_the_version_it_read(records):
    assert records.read(KEY) is None
    assert records.write(KEY, TokenRecord(version=1, api_domain="https://a.test"))
    assert not records.write(KEY, TokenRecord(version=1))  # someone else created it first
    assert not records.write(KEY, TokenRecord(version=3))  # skipped a version: not what was read
    assert records.write(KEY, TokenRecord(version=2, window_refreshes=1, valid_until=12.5))
    assert records.read(KEY) == TokenRecord(version=2, window_refreshes=1, valid_until=12.5)


def test_cold_containers_racing_make_one_refresh_and_share_its_token(records):
    vendor = Vendor(delay=0.3)
    start = threading.Barrier(CONTAINERS)

    def cold_container(_: int) -> str:
        start.wait()
        return SharedTokens(records).obtain("crm", KEY, SECRET, vendor.fetch).value

    with ThreadPoolExecutor(CONTAINERS) as pool:
        tokens = list(pool.map(cold_container, range(CONTAINERS)))
    assert vendor.issued == ["token-1"]
    assert tokens == ["token-1"] * CONTAINERS


def test_a_rejected_token_is_replaced_once_for_every_container_that_saw_it_rejected(records):
    vendor = Vendor()
    first = SharedTokens(records).obtain("crm", KEY, SECRET, vendor.fetch)
    again = [
        SharedTokens(records).obtain("crm", KEY, SECRET, vendor.fetch, rejected=first.value) for _ in range(3)
    ]
    assert [token.value for token in again] == ["token-2"] * 3
    assert vendor.issued == ["token-1", "token-2"]


def test_the_token_is_sealed_with_the_integrations_secret(backend, records):
    vendor = Vendor()
    SharedTokens(records).obtain("crm", KEY, SECRET, vendor.fetch)
    raw = backend.raw_item(f"TOKEN#{KEY}", "TOKEN")
    assert "token-1" not in str(raw)
    # a process holding another secret (a reconnect's new refresh token) cannot open it: it refreshes
    assert SharedTokens(records).obtain("crm", KEY, b"other secret", vendor.fetch).value == "token-2"


def test_refreshes_stop_at_the_window_limit_and_resume_when_it_ends(records):
    wall = Wall()
    vendor = Vendor(wall=wall)
    tokens = SharedTokens(records, wall=wall, sleep=wall.sleep)
    token = tokens.obtain("inventory", KEY, SECRET, vendor.fetch)
    for _ in range(MAX_REFRESHES - 1):
        wall.now += 30
        token = tokens.obtain("inventory", KEY, SECRET, vendor.fetch, rejected=token.value)
    wall.now += 30
    with pytest.raises(RateLimited) as limited:
        tokens.obtain("inventory", KEY, SECRET, vendor.fetch, rejected=token.value)
    assert len(vendor.issued) == MAX_REFRESHES
    assert limited.value.retry_after == pytest.approx(WINDOW_S - 30 * MAX_REFRESHES)
    wall.now += limited.value.retry_after
    assert (
        tokens.obtain("inventory", KEY, SECRET, vendor.fetch, rejected=token.value).value == vendor.issued[-1]
    )
    assert len(vendor.issued) == MAX_REFRESHES + 1


def test_a_refused_refresh_token_is_not_tried_again_by_other_containers(records):
    def refused() -> FreshToken:
        raise AuthorizationExpired("crm", "refresh token refused: reconnect", code="invalid_code")

    with pytest.raises(AuthorizationExpired):
        SharedTokens(records).obtain("crm", KEY, SECRET, refused)
    vendor = Vendor()
    with pytest.raises(AuthorizationExpired) as again:
        SharedTokens(records).obtain("crm", KEY, SECRET, vendor.fetch)
    assert again.value.code == "invalid_code"
    assert vendor.issued == []


def test_a_lease_whose_holder_died_is_taken_over_after_it_lapses(records):
    wall = Wall()
    vendor = Vendor(wall=wall)
    records.write(KEY, TokenRecord(version=1, lease_holder="dead", lease_until=wall.now + LEASE_S))
    token = SharedTokens(records, wall=wall, sleep=wall.sleep).obtain("crm", KEY, SECRET, vendor.fetch)
    assert token.value == "token-1"
    assert wall.now >= 1_800_000_000.0 + LEASE_S  # it waited for the lease, then took it
    assert records.read(KEY).lease_holder is None


def test_a_failed_refresh_frees_the_lease_and_still_counts(records):
    def down() -> FreshToken:
        raise ConnectionError("accounts server unreachable")

    with pytest.raises(ConnectionError):
        SharedTokens(records).obtain("crm", KEY, SECRET, down)
    after = records.read(KEY)
    assert (after.lease_holder, after.window_refreshes, after.sealed) == (None, 1, None)


def test_a_waiter_gives_up_when_the_holder_keeps_renewing_its_lease(records):
    wall = Wall()

    def renewing_sleep(seconds: float) -> None:  # the other holder keeps its lease alive
        wall.sleep(seconds)
        held = records.read(KEY)
        records.write(KEY, replace(held, version=held.version + 1, lease_until=wall.now + LEASE_S))

    records.write(KEY, TokenRecord(version=1, lease_holder="busy", lease_until=wall.now + LEASE_S))
    with pytest.raises(Unavailable):
        SharedTokens(records, wall=wall, sleep=renewing_sleep).obtain("crm", KEY, SECRET, Vendor().fetch)
