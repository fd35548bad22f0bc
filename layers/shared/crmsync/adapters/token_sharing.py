"""One access token per refresh token, shared by every execution environment (issue 13, point 2).

Zoho hands out at most 10 access tokens per refresh token in 10 minutes; a burst of cold
containers that each refreshed would lock the integration out. So the token lives in the table,
one record per refresh token (the key is a hash of the accounts server, the client id and the
refresh token: the unit the vendor counts, whichever integration or system uses it), and a
container that finds it missing or stale takes a short lease before it asks the vendor. The
others wait for the lease holder's token instead of asking themselves. Every lease counts against
a window of `MAX_REFRESHES` per `WINDOW_S`, kept on the record, so however containers crash or
race, no more refreshes than that are ever made; past it the caller gets `RateLimited` with the
time the window ends.

The token is sealed (AES-GCM) with a key derived from the integration's secret (client secret and
refresh token), on top of the table's own encryption at rest: reading it takes both table access
and the secret, so the table adds no new reader of a token. A reconnect brings a new refresh token
and so a new record; the old one expires (TTL). A refresh token the vendor refused is written on
the record, so other containers raise `AuthorizationExpired` without asking the vendor again.

Writes are optimistic: each carries the version read, and a write that lost a race re-reads.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from crmsync.ports.errors import AuthorizationExpired, RateLimited, Unavailable, VendorSystem

WINDOW_S = 600.0  # Zoho Accounts counts access tokens per refresh token in 10-minute windows
MAX_REFRESHES = 8  # of the vendor's 10: two left for a person's own tools and the connect checks
LEASE_S = 15.0  # a refresh is one HTTPS call; a holder that died frees the lease after this
POLL_S = 0.2  # how often a waiting container looks for the lease holder's token
_INFO = b"crmsync shared access token v1"


@dataclass(frozen=True)
class FreshToken:
    value: str
    api_domain: str | None
    valid_until: float  # epoch seconds: usable until then (the vendor's expiry less a margin)


@dataclass(frozen=True)
class TokenRecord:
    """The stored record of one refresh token; `version` grows by one on every write."""

    version: int = 0
    sealed: str | None = None
    api_domain: str | None = None
    valid_until: float = 0.0
    lease_holder: str | None = None
    lease_until: float = 0.0
    window_start: float = 0.0
    window_refreshes: int = 0
    refused: str | None = None  # the vendor's error code when it refused the refresh token


class TokenRecords(Protocol):
    def read(self, key: str) -> TokenRecord | None: ...

    def write(self, key: str, record: TokenRecord) -> bool:
        """Store `record` if the stored version is `record.version - 1` (absent for version 1);
        False when another writer got there first."""
        ...


def record_key(token_url: str, client_id: str, refresh_token: str) -> str:
    """The record's key: a hash, so neither the refresh token nor the client shows in the table."""
    return hashlib.sha256(f"{token_url}\n{client_id}\n{refresh_token}".encode()).hexdigest()


class SharedTokens:
    """The lease protocol over a `TokenRecords` store; one per process, thread-safe."""

    def __init__(
        self,
        records: TokenRecords,
        *,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        holder: str | None = None,
    ):
        self._records = records
        self._wall = wall
        self._sleep = sleep
        self._holder = holder or uuid.uuid4().hex  # this execution environment

    def obtain(
        self,
        system: VendorSystem,
        key: str,
        secret: bytes,
        fetch: Callable[[], FreshToken],
        *,
        rejected: str | None = None,
    ) -> FreshToken:
        """A usable token other than `rejected`: the shared one, the one another container is
        fetching, or one fetched here under the lease."""
        waited_until = self._wall() + 2 * LEASE_S
        while True:
            now = self._wall()
            record = self._records.read(key) or TokenRecord()
            if record.refused:
                raise AuthorizationExpired(system, "refresh token refused: reconnect", code=record.refused)
            shared = self._open(record, key, secret, now)
            if shared is not None and shared.value != rejected:
                return shared
            if record.lease_holder not in (None, self._holder) and record.lease_until > now:
                if now > waited_until:
                    raise Unavailable(
                        system, "another container's token refresh did not finish", code="TOKEN_LEASE"
                    )
                self._sleep(POLL_S)
                continue
            leased = self._lease(system, record, now)
            if self._records.write(key, leased):
                return self._refresh_under(leased, key, secret, fetch)

    def _lease(self, system: VendorSystem, record: TokenRecord, now: float) -> TokenRecord:
        start, count = record.window_start, record.window_refreshes
        if now - start >= WINDOW_S:
            start, count = now, 0
        if count >= MAX_REFRESHES:
            raise RateLimited(
                system,
                f"{MAX_REFRESHES} token refreshes in {WINDOW_S / 60:.0f} minutes: waiting for the window",
                code="TOKEN_WINDOW",
                retry_after=start + WINDOW_S - now,
            )
        return replace(
            record,
            version=record.version + 1,
            lease_holder=self._holder,
            lease_until=now + LEASE_S,
            window_start=start,
            window_refreshes=count + 1,
        )

    def _refresh_under(
        self, leased: TokenRecord, key: str, secret: bytes, fetch: Callable[[], FreshToken]
    ) -> FreshToken:
        done = replace(leased, version=leased.version + 1, lease_holder=None, lease_until=0.0)
        try:
            token = fetch()
        except AuthorizationExpired as refused:
            self._records.write(key, replace(done, refused=refused.code or "refused"))
            raise
        except BaseException:
            self._records.write(key, done)  # frees the lease; the refresh still counts in the window
            raise
        sealed = _seal(secret, key, token.value)
        self._records.write(
            key, replace(done, sealed=sealed, api_domain=token.api_domain, valid_until=token.valid_until)
        )  # lost only to a writer past our lease; the token is still good for this process
        return token

    @staticmethod
    def _open(record: TokenRecord, key: str, secret: bytes, valid_at: float) -> FreshToken | None:
        if record.sealed is None or record.valid_until <= valid_at:
            return None
        value = _unseal(secret, key, record.sealed)
        return None if value is None else FreshToken(value, record.api_domain, record.valid_until)


def _cipher(secret: bytes):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret))


def _seal(secret: bytes, key: str, token: str) -> str:
    nonce = os.urandom(12)
    return base64.b64encode(nonce + _cipher(secret).encrypt(nonce, token.encode(), key.encode())).decode()


def _unseal(secret: bytes, key: str, sealed: str) -> str | None:
    """The token, or None when it does not open with this secret (a record sealed with another)."""
    from cryptography.exceptions import InvalidTag

    raw = base64.b64decode(sealed)
    try:
        return _cipher(secret).decrypt(raw[:12], raw[12:], key.encode()).decode()
    except InvalidTag:
        return None
