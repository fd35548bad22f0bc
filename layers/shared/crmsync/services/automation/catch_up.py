"""The scheduled catch-up (A1): re-read the deals changed since the last check and queue them like
notifications, so a lost notification is caught within one schedule period.

The first run reads from when the integration was last saved, at most `FIRST_LOOKBACK` ago; deals
created since the watermark count as created. Re-enabling an integration (L3) or turning automation
back on moves the watermark to that moment (`skip_to`), so deals changed while nothing was watched
are not replayed into quotes and invoices unless the admin asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from crmsync.contracts.queues import DealEventMessage
from crmsync.domain.automation import DealWatermark, automation_wanted
from crmsync.domain.errors import CrmsyncError
from crmsync.domain.models import Integration, Role
from crmsync.observability import bind, logger
from crmsync.ports.errors import VendorError
from crmsync.ports.store import Store
from crmsync.services.deps import Deps
from crmsync.services.scheduling import active_integration_ids

FIRST_LOOKBACK = timedelta(hours=3)
WATERMARK_OVERLAP = timedelta(seconds=1)


def automation_on(integration: Integration) -> bool:
    return integration.role is Role.PRIMARY and automation_wanted(integration.automation)


def catch_up(deps: Deps) -> int:
    """Queue every deal modified since the last check; returns how many were queued."""
    queued = 0
    for integration in _active_integrations(deps.store):
        if not automation_on(integration):
            continue
        bind(tenant_id=integration.tenant_id, integration_id=integration.integration_id)
        try:
            queued += catch_up_integration(deps, integration)
        except (CrmsyncError, VendorError):
            logger.exception("deal catch-up failed", extra={"integration_id": integration.integration_id})
    logger.info("deal catch-up queued", extra={"queued": queued})
    return queued


def catch_up_integration(deps: Deps, integration: Integration) -> int:
    store, now = deps.store, deps.clock()
    watermark = store.get_deal_watermark(integration.integration_id) or DealWatermark(
        integration_id=integration.integration_id, position=max(integration.updated_at, now - FIRST_LOOKBACK)
    )
    newest, seen, queued = watermark.position, set(watermark.seen_ids), 0
    crm = deps.vendors.for_integration(integration).crm
    for changes in crm.iter_deal_changes(watermark.position - WATERMARK_OVERLAP):
        for change in changes:
            modified = change.modified
            if (
                modified is None
                or modified < watermark.position
                or (modified == watermark.position and change.id in watermark.seen_ids)
            ):
                continue
            created = change.created is not None and change.created >= watermark.position
            deps.automation_queue.send(
                DealEventMessage(
                    integration_id=integration.integration_id,
                    deal_id=change.id,
                    operation="insert" if created else "update",
                    server_time=int(modified.timestamp() * 1000),
                )
            )
            queued += 1
            if modified > newest:
                newest, seen = modified, {change.id}
            elif modified == newest:
                seen.add(change.id)
    store.save_deal_watermark(
        DealWatermark(
            integration_id=integration.integration_id, position=newest, seen_ids=tuple(sorted(seen))
        )
    )
    return queued


def skip_to(deps: Deps, integration_id: str, moment: datetime) -> None:
    """Move the watermark to `moment`: the catch-up never replays a deal changed before it.

    Floored to the second, as the CRM stamps `Modified_Time`: a change made after `moment` within
    the same second is still caught (one made before it, in that second, may be replayed)."""
    position = moment.replace(microsecond=0)
    deps.store.save_deal_watermark(DealWatermark(integration_id=integration_id, position=position))


def _active_integrations(store: Store) -> Iterator[Integration]:
    """Active integrations by the state index (one GetItem each: the scheduled function reads no batches)."""
    for integration_id in active_integration_ids(store):
        if (integration := store.get_integration(integration_id)) is not None:
            yield integration
