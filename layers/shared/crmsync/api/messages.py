"""Messages on our SQS queues: the contract between producers and consumer functions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

Module = Literal["customers", "vendors", "items"]
Trigger = Literal["schedule", "manual", "webhook", "resync"]


class SyncMessage(BaseModel):
    """One bounded sync step of one module of one integration (sync queue)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["sync"] = "sync"
    integration_id: str
    module: Module
    trigger: Trigger
    run_id: str | None = None  # None: start a run of the module unless one is going
    step: int = Field(default=0, ge=0)  # the run's step this message is for; another is stale


class DeleteIntegrationMessage(BaseModel):
    """Delete an integration in the background (L4), one bounded step per message (sync queue)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["delete_integration"] = "delete_integration"
    integration_id: str
    keep: Literal["all", "with_transactions"]


SyncQueueMessage = TypeAdapter(Annotated[SyncMessage | DeleteIntegrationMessage, Field(discriminator="kind")])


class DealEventMessage(BaseModel):
    """A CRM deal notification to act on (automation queue)."""

    model_config = ConfigDict(extra="forbid")

    integration_id: str
    deal_id: str
    operation: Literal["insert", "update", "delete"]
    server_time: int
