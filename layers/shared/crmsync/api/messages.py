"""Messages on our SQS queues: the contract between producers and consumer functions."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Module = Literal["customers", "vendors", "items"]
Trigger = Literal["schedule", "manual", "webhook", "resync"]


class SyncMessage(BaseModel):
    """One bounded sync step of one module of one integration (sync queue)."""

    model_config = ConfigDict(extra="forbid")

    integration_id: str
    module: Module
    trigger: Trigger
    run_id: str | None = None


class DealEventMessage(BaseModel):
    """A CRM deal notification to act on (automation queue)."""

    model_config = ConfigDict(extra="forbid")

    integration_id: str
    deal_id: str
    operation: Literal["insert", "update", "delete"]
    server_time: int
