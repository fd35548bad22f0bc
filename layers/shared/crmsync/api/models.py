"""Request and response bodies of the public API (snake_case, spec/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

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


class CrmNotification(BaseModel):
    """The CRM's notification callback body (zoho-api.md §1.9); unknown keys are ignored."""

    server_time: int
    module: str = Field(min_length=1, max_length=100)
    ids: list[str] = Field(min_length=1, max_length=1000)
    operation: Literal["insert", "update", "delete"]
    channel_id: str = Field(min_length=1, max_length=40)
    token: str | None = Field(default=None, max_length=50)
    resource_uri: str | None = None
    query_params: dict[str, Any] = {}
    affected_fields: list[dict[str, Any]] | None = None

    @field_validator("ids", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list) else value

    @field_validator("channel_id", mode="before")
    @classmethod
    def _channel_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class NotificationAccepted(BaseModel):
    status: Literal["queued", "duplicate", "ignored"]
    queued: int = 0
