"""Request and response bodies of the public API (snake_case, spec/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from crmsync.domain.models import Integration, ModulePreferences


class ModuleSummary(BaseModel):
    module: str
    status: str
    paused: bool
    last_run_id: str | None = None


class SharedOrgOut(BaseModel):
    """What the inventory organization shares with the CRM side (L1)."""

    name: str
    email: str | None = None
    country: str | None = None
    users: list[dict[str, str | None]] = []


class ChannelOut(BaseModel):
    expires_at: datetime
    error: str | None = None


class IntegrationOut(BaseModel):
    integration_id: str
    state: str
    role: str
    two_way: bool
    transactions_enabled: bool
    crm_org_id: str
    inventory_org_id: str
    crm_base_currency: str | None = None
    inventory_base_currency: str | None = None
    inventory_org: SharedOrgOut | None = None
    notification_channel: ChannelOut | None = None
    automation: dict[str, str]
    created_at: datetime
    updated_at: datetime
    modules: list[ModuleSummary] = []

    @classmethod
    def of(cls, integration: Integration, modules: list[ModulePreferences] = ()) -> IntegrationOut:
        shared = integration.inventory_org
        return cls(
            integration_id=integration.integration_id,
            state=integration.state,
            role=integration.role,
            two_way=integration.two_way,
            transactions_enabled=integration.transactions_enabled,
            crm_org_id=integration.crm_org_id,
            inventory_org_id=integration.inventory_org_id,
            crm_base_currency=integration.crm_base_currency,
            inventory_base_currency=integration.inventory_base_currency,
            inventory_org=SharedOrgOut(
                name=shared.name, email=shared.email, country=shared.country,
                users=[u.model_dump() for u in shared.users],
            ) if shared else None,
            notification_channel=ChannelOut(
                expires_at=integration.channel.expires_at, error=integration.channel_error
            ) if integration.channel else None,
            automation=integration.automation.model_dump(mode="json"),
            created_at=integration.created_at,
            updated_at=integration.updated_at,
            modules=[
                ModuleSummary(module=m.module, status=m.status, paused=m.paused, last_run_id=m.last_run_id)
                for m in modules
            ],
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
