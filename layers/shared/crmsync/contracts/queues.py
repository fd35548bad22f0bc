"""Messages on our SQS queues: the contract between producers and consumer functions.

One discriminated union per queue, on `kind`; a deal event is the automation queue's message
without a `kind` (its body is unchanged since the first release).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, TypeAdapter

from crmsync.contracts.strict import Strict

Module = Literal["customers", "vendors", "items"]
Trigger = Literal["schedule", "manual", "webhook", "resync", "retry", "preview"]


# ------------------------------------------------------------------ sync queue
class SyncMessage(Strict):
    """One bounded sync step of one module of one integration (sync queue)."""

    kind: Literal["sync"] = "sync"
    integration_id: str
    module: Module
    trigger: Trigger
    run_id: str | None = None  # None: start a run of the module unless one is going
    step: int = Field(default=0, ge=0)  # the run's step this message is for; another is stale


class DeleteIntegrationMessage(Strict):
    """Delete an integration in the background (L4), one bounded step per message (sync queue)."""

    kind: Literal["delete_integration"] = "delete_integration"
    integration_id: str
    keep: Literal["all", "with_transactions"]


SyncQueueMessage = TypeAdapter(Annotated[SyncMessage | DeleteIntegrationMessage, Field(discriminator="kind")])


# ------------------------------------------------------------------ automation queue
class DealEventMessage(Strict):
    """A CRM deal notification to act on (automation queue)."""

    integration_id: str
    deal_id: str
    operation: Literal["insert", "update", "delete"]
    server_time: int


class CrmTransactionEventMessage(Strict):
    """A quote, sales order or purchase order created in the CRM, to create in inventory (automation queue)."""

    kind: Literal["crm_transaction"] = "crm_transaction"
    integration_id: str
    crm_module: Literal["Quotes", "Sales_Orders", "Purchase_Orders"]
    record_id: str
    server_time: int


def _automation_kind(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind or "deal_event"


AutomationQueueMessage = TypeAdapter(
    Annotated[
        Annotated[DealEventMessage, Tag("deal_event")] | Annotated[CrmTransactionEventMessage, Tag("crm_transaction")],
        Discriminator(_automation_kind),
    ]
)
