"""The queue port: send messages (contract models) to one of our queues."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel


class MessageQueue(Protocol):
    def send(self, message: BaseModel, *, delay_seconds: int = 0) -> str:
        """Queue the message, delivered after `delay_seconds` (at most 900); returns its id."""
        ...

    def send_batch(self, messages: Sequence[BaseModel]) -> None:
        """Queue all the messages (any number, in as few calls as the queue allows), retrying entries the
        queue failed; raises `UnavailableError` when some are still not queued (the caller sends the
        whole batch again: the consumers are idempotent)."""
        ...
