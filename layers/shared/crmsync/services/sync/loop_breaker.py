"""The loop breaker's side effects (B9; the rule is `domain.sync.loops`): parking a pair, and
releasing it when an admin retries its failure.

Parking stores the mapping with `loop_parked_at` (its hashes and base stay as last synced, so the
next look at either record still sees the change), and the first time emits `UpdateLoopsSuspected`
(alarm `update-loops-suspected`); the applier records the record's failure. Retrying the failure
(`failed_records`) releases the pair first, with an empty window, then syncs it as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from crmsync.domain.errors import ConflictError, NotFoundError
from crmsync.domain.models import Module, Side
from crmsync.domain.sync import loops
from crmsync.domain.sync_state import Mapping
from crmsync.observability import logger, metrics
from crmsync.ports.store import Store


def park(store: Store, current: Mapping, since: datetime) -> Mapping:
    """Stores `current` parked since `since`; returns it as stored (one parked already: as it is)."""
    if current.loop_parked_at is not None:
        return current
    metrics.add_metric(name="UpdateLoopsSuspected", unit="Count", value=1)
    logger.warning(
        "update loop suspected: record pair parked",
        extra={
            "crm_id": current.crm_id,
            "inventory_id": current.inventory_id,
            "sync_module": current.module.value,
        },
    )
    parked = current.model_copy(update={"loop_parked_at": since})
    try:
        return store.update_mapping(parked)
    except (ConflictError, NotFoundError):
        logger.info(
            "mapping changed meanwhile; the next run parks it again", extra={"crm_id": current.crm_id}
        )
        return parked


def release(store: Store, integration_id: str, module: Module, side: Side, record_ids: Sequence[str]) -> None:
    """Releases the parked pairs among these records of `side`, each with an empty window."""
    for mapping in store.get_mappings(integration_id, module, side, record_ids).values():
        if mapping.loop_parked_at is None:
            continue
        try:
            store.update_mapping(loops.released(mapping))
        except NotFoundError:
            continue  # unlinked meanwhile: nothing left to release
        logger.info(
            "parked record pair released",
            extra={"crm_id": mapping.crm_id, "inventory_id": mapping.inventory_id},
        )
