"""Request and response bodies of the public API (snake_case, spec/api.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from crmsync.domain.models import Integration


class ModuleSummary(BaseModel):
    module: str
    status: str
    paused: bool
    last_run_id: str | None = None


class IntegrationOut(BaseModel):
    integration_id: str
    state: str
    role: str
    crm_org_id: str
    inventory_org_id: str
    created_at: datetime
    modules: list[ModuleSummary] = []

    @classmethod
    def of(cls, integration: Integration, modules: list[ModuleSummary] | None = None) -> IntegrationOut:
        return cls(
            integration_id=integration.integration_id,
            state=integration.state,
            role=integration.role,
            crm_org_id=integration.crm_org_id,
            inventory_org_id=integration.inventory_org_id,
            created_at=integration.created_at,
            modules=modules or [],
        )


class IntegrationList(BaseModel):
    integrations: list[IntegrationOut]
    next_cursor: str | None = None
