"""Reading integrations with the tenancy rule: another tenant's integration does not exist (404)."""

from __future__ import annotations

from crmsync.domain.errors import NotFoundError
from crmsync.domain.models import Integration
from crmsync.observability import bind


def get_integration(store, tenant_id: str, integration_id: str) -> Integration:
    integration = store.get_integration(integration_id)
    if integration is None or integration.tenant_id != tenant_id:
        raise NotFoundError(f"No integration {integration_id}.")
    bind(integration_id=integration_id)
    return integration


def list_integrations(store, tenant_id: str, *, limit: int, cursor: str | None):
    return store.list_integrations(tenant_id, limit=limit, cursor=cursor)
