"""What happened, as the admin reads it: activity entries, notifications, and the progress of each
CRM webhook delivery. Pure pydantic models (see `models` for the conventions), no I/O."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import Field

from crmsync.domain.models import (
    DomainModel,
    Timestamp,
)


class ActivityEntry(DomainModel):
    """A line of the activity log and audit trail (A4): what ran, on what, and how it ended."""

    integration_id: str
    entry_id: str
    at: Timestamp
    kind: str
    result: str
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class Notification(DomainModel):
    integration_id: str
    notification_id: str
    at: Timestamp
    kind: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class WebhookDelivery(DomainModel):
    """The identity of one CRM notification callback, for at-most-once handling."""

    channel_id: str
    ids: tuple[str, ...]
    operation: str
    server_time: int

    def dedupe_key(self) -> str:
        canonical = json.dumps([self.channel_id, sorted(self.ids), self.operation, self.server_time])
        return hashlib.sha256(canonical.encode()).hexdigest()


class DeliveryProgress(DomainModel):
    """How far the queueing of one CRM notification got: `queued` of its messages, in their order."""

    queued: int = 0
    done: bool = False
