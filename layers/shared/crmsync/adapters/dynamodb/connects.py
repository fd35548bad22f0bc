"""Connect attempts of the one-click connect: one item each, versioned, expired by TTL."""

from __future__ import annotations

from datetime import timedelta

from crmsync.adapters.dynamodb import keys
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.codec import decode, encode
from crmsync.adapters.dynamodb.table import ABSENT, Condition, ConditionFailed
from crmsync.domain.consent import ConnectAttempt
from crmsync.domain.errors import AlreadyExistsError, ConflictError

KEPT_AFTER_EXPIRY = timedelta(days=1)
TTL_ATTRIBUTE = "expires_at"


class ConnectArea(StoreBase):
    def create_connect_attempt(self, attempt: ConnectAttempt) -> ConnectAttempt:
        stored = attempt.model_copy(update={"version": 1})
        try:
            self._table.put(self._item(stored), ABSENT)
        except ConditionFailed:
            raise AlreadyExistsError("the connect attempt exists") from None
        return stored

    def get_connect_attempt(self, connect_id: str) -> ConnectAttempt | None:
        item = self._table.get(keys.connect_attempt(connect_id))
        return decode(item, ConnectAttempt) if item else None

    def save_connect_attempt(self, attempt: ConnectAttempt) -> ConnectAttempt:
        stored = attempt.model_copy(update={"version": attempt.version + 1})
        at_version = Condition("#version = :version", {"#version": "version"}, {":version": attempt.version})
        try:
            self._table.put(self._item(stored), at_version)
        except ConditionFailed as err:
            current = decode(err.item, ConnectAttempt) if err.item else None
            raise ConflictError("the connect attempt changed since it was read", current=current) from None
        return stored

    @staticmethod
    def _item(attempt: ConnectAttempt):
        ttl = int((attempt.state_expires_at + KEPT_AFTER_EXPIRY).timestamp())
        return encode(attempt, {**keys.connect_attempt(attempt.connect_id), TTL_ATTRIBUTE: ttl})
