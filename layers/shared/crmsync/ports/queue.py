"""The queue port: send one message (a contract model) to one of our queues."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel


class MessageQueue(Protocol):
    def send(self, message: BaseModel) -> str:
        """Queue the message; returns the queue's message id."""
        ...
