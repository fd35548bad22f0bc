"""The non-HTTP entry points: queue messages and the schedule, parsed here and handed to services.

The sync worker's and the automation consumer's services load only with the first message of their
kind, so each function's cold start imports only its own path.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from crmsync.contracts.queues import (
    AutomationQueueMessage,
    CrmTransactionEventMessage,
    DeleteIntegrationMessage,
    SyncQueueMessage,
)

if TYPE_CHECKING:
    from crmsync.services.deps import Deps


def on_sync_queue_message(deps: Deps, body: str, deadline: datetime | None = None) -> None:
    """One bounded step: of a sync run, or of an integration's background deletion (L4); `deadline`
    is when the invocation ends (a sync step's lease lasts until then)."""
    message = SyncQueueMessage.validate_json(body)
    if isinstance(message, DeleteIntegrationMessage):
        from crmsync.services.deletion import run_deletion_step

        run_deletion_step(deps, message)
    else:
        from crmsync.services.sync.engine import run_sync_step

        run_sync_step(deps, message, deadline)


def on_automation_queue_message(deps: Deps, body: str) -> None:
    """A deal event (A1-A5) or a transaction created in the CRM (T1)."""
    message = AutomationQueueMessage.validate_json(body)
    if isinstance(message, CrmTransactionEventMessage):
        from crmsync.services.crm_native import handle_crm_transaction_event

        handle_crm_transaction_event(deps, message)
    else:
        from crmsync.services.automation.triggers import handle_deal_event

        handle_deal_event(deps, message)


def on_schedule(deps: Deps) -> dict:
    """S1 due syncs, S2 channel renewals, A1 deal catch-up."""
    from crmsync.services import channels
    from crmsync.services.automation.catch_up import catch_up
    from crmsync.services.scheduling import queue_due_syncs

    queued = queue_due_syncs(deps)
    channels.renew_due_channels(deps)
    catch_up(deps)
    return {"queued": queued}
