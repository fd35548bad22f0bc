"""Reading and changing integrations: the tenancy rule (another tenant's integration does not exist,
404) and the one read-change-save loop of a versioned integration."""

from __future__ import annotations

from collections.abc import Callable

from crmsync.domain.errors import ConflictError, NotFoundError
from crmsync.domain.models import Integration
from crmsync.observability import bind
from crmsync.ports.store import Page, Store

SAVE_ATTEMPTS = 3


def get_integration(store: Store, tenant_id: str, integration_id: str) -> Integration:
    integration = store.get_integration(integration_id)
    if integration is None or integration.tenant_id != tenant_id:
        raise NotFoundError(f"No integration {integration_id}.")
    bind(tenant_id=integration.tenant_id, integration_id=integration_id)
    return integration


def list_integrations(store: Store, tenant_id: str, *, limit: int, cursor: str | None) -> Page[Integration]:
    return store.list_integrations(tenant_id, limit=limit, cursor=cursor)


def update_integration(
    store: Store, integration_id: str, change: Callable[[Integration], Integration | None]
) -> Integration | None:
    """Read, change, save from the version read; re-read and retry when another write came between.

    `change` returns None when there is nothing to save. Returns the integration as stored (None when
    it is gone); raises ConflictError when every attempt lost a race.
    """
    for attempt in range(SAVE_ATTEMPTS):
        current = store.get_integration(integration_id)
        if current is None:
            return None
        changed = change(current)
        if changed is None:
            return current
        try:
            return store.save_integration(changed)
        except ConflictError:
            if attempt == SAVE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
