"""L4 delete, the background part: one bounded, repeatable step per queue message.

Order: (with keep=with_transactions) delete from inventory the records that came from the
CRM and have no transactions; stop the CRM notification channel; delete the integration's
secret; purge every mapping, cursor, run and activity entry; free both organizations; mark
the integration deleted and leave a notification. Each step is idempotent, so a retried or
repeated message finishes the job without harm. A step that runs out of its budget queues
the next message and returns.

Only records first created from the CRM (`mapping.origin == crm`) are candidates for deletion;
an inventory record that was linked to a CRM duplicate, or pushed to the CRM, existed in
inventory on its own and is kept. A contact with transactions is kept (`has_transaction`);
an item the inventory system refuses to delete (it is used in transactions) is kept.
"""

from __future__ import annotations

from crmsync.contracts.queues import DeleteIntegrationMessage
from crmsync.domain.journal import Notification
from crmsync.domain.models import IntegrationState, Module, Side, time_sortable_id
from crmsync.observability import bind, logger
from crmsync.ports.clock import Clock
from crmsync.ports.errors import NotFound, VendorError
from crmsync.ports.inventory import InventoryPort
from crmsync.ports.store import Store
from crmsync.services.deps import Deps

PURGE_BUDGET = 2_000
MAPPINGS_PER_STEP = 200


def run_deletion_step(deps: Deps, message: DeleteIntegrationMessage) -> None:
    bind(integration_id=message.integration_id)
    store = deps.store
    integration = store.get_integration(message.integration_id)
    if integration is None or integration.state is not IntegrationState.DELETING:
        logger.info("delete message dropped", extra={"state": integration.state if integration else None})
        return
    bind(tenant_id=integration.tenant_id)
    clients = _clients(deps, integration)
    if message.keep == "with_transactions" and clients is not None:
        if not _delete_unused_records(store, deps.clock, clients.inventory, message.integration_id):
            deps.sync_queue.send(message)
            return
    if clients is not None and integration.channel is not None:
        try:
            clients.crm.disable_watch(list(integration.channel.channel_ids))
        except VendorError:
            logger.warning("could not stop the CRM notification channel; it expires on its own")
    deps.credentials.delete(message.integration_id)
    deps.vendors.forget(message.integration_id)
    if not store.purge_integration(message.integration_id, max_items=PURGE_BUDGET).done:
        deps.sync_queue.send(message)
        return
    store.release_org_claims(integration)
    store.transition_integration(
        message.integration_id, allowed_from={IntegrationState.DELETING}, to=IntegrationState.DELETED
    )
    now = deps.clock()
    store.add_notification(
        Notification(
            integration_id=message.integration_id,
            notification_id=time_sortable_id(now),
            at=now,
            kind="integration_deleted",
            message="The integration was deleted; its record mappings are gone for good.",
            details={"keep": message.keep},
        )
    )
    logger.info("integration deleted", extra={"keep": message.keep})


def _clients(deps: Deps, integration):
    try:
        return deps.vendors.for_integration(integration)
    except KeyError:  # the secret is already gone: an earlier step got past it
        return None


def _delete_unused_records(store: Store, clock: Clock, inventory: InventoryPort, integration_id: str) -> bool:
    """Delete up to MAPPINGS_PER_STEP records; True when every candidate has been handled."""
    handled = 0
    for module in Module:
        cursor = None
        while True:
            page = store.list_mappings(integration_id, module, Side.INVENTORY, limit=100, cursor=cursor)
            for mapping in page.items:
                if mapping.origin is Side.CRM and mapping.inventory_id and not mapping.tombstone_side:
                    _delete_if_unused(inventory, module, mapping.inventory_id)
                    store.update_mapping(
                        mapping.model_copy(update={"tombstone_side": Side.INVENTORY, "tombstone_at": clock()})
                    )
                    handled += 1
                    if handled >= MAPPINGS_PER_STEP:
                        return False
            if not (cursor := page.next_cursor):
                break
    return True


def _delete_if_unused(inventory: InventoryPort, module: Module, record_id: str) -> None:
    try:
        if module is Module.ITEMS:
            inventory.delete_item(record_id)
            return
        if inventory.get_contact(record_id).values.get("has_transaction"):
            return
        inventory.delete_contact(record_id)
    except NotFound:
        pass
    except VendorError as exc:
        if exc.retryable:
            raise
        logger.info("inventory kept a record it would not delete", extra={"record_id": record_id, "code": exc.code})
