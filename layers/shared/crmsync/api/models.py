"""Request and response bodies of the public API (snake_case, spec/api.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from crmsync.domain.models import Integration, ModulePreferences, NativeTransactionModule


class ModuleSummary(BaseModel):
    module: str
    status: str
    paused: bool
    last_run_id: str | None = None
    reapply_pending: bool = False  # S7: changed preferences wait to be re-applied by the next run


class SharedOrgOut(BaseModel):
    """What the inventory organization shares with the CRM side (L1)."""

    name: str
    email: str | None = None
    country: str | None = None
    users: list[dict[str, str | None]] = []


class ChannelOut(BaseModel):
    expires_at: datetime
    error: str | None = None


class TransactionFieldPairOut(BaseModel):
    crm_module: NativeTransactionModule
    crm: str
    inventory: str


class IntegrationOut(BaseModel):
    integration_id: str
    state: str
    reauthorize_reason: str | None = Field(
        None, description="With state `reauthorize`: which vendor refused the refresh token; "
        "POST .../reauthorize with a new grant"
    )
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
    transaction_field_map: list[TransactionFieldPairOut] = Field(
        default_factory=list, description="T1: fields of CRM-native transactions and the inventory custom fields they go to"
    )
    created_at: datetime
    updated_at: datetime
    modules: list[ModuleSummary] = []

    @classmethod
    def of(cls, integration: Integration, modules: list[ModulePreferences] = ()) -> IntegrationOut:
        shared = integration.inventory_org
        return cls(
            integration_id=integration.integration_id,
            state=integration.state,
            reauthorize_reason=integration.reauthorize_reason,
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
            transaction_field_map=[
                TransactionFieldPairOut(crm_module=p.crm_module, crm=p.crm, inventory=p.inventory)
                for p in integration.transaction_field_map
            ],
            created_at=integration.created_at,
            updated_at=integration.updated_at,
            modules=[
                ModuleSummary(
                    module=m.module,
                    status=m.status,
                    paused=m.paused,
                    last_run_id=m.last_run_id,
                    reapply_pending=m.reapply_version is not None,
                )
                for m in modules
            ],
        )


class IntegrationList(BaseModel):
    integrations: list[IntegrationOut]
    next_cursor: str | None = None
