"""Bodies of the lifecycle routes: connect (L1), disable (L2), delete (L4), pause (S6),
notifications, automation (A1), CRM permissions (T2)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictBool

from crmsync.contracts.strict import Strict
from crmsync.domain.consent import ConnectAttempt
from crmsync.domain.journal import Notification
from crmsync.domain.models import (
    AutomationPreferences,
    CrmGrant,
    DealCreatedAction,
    DealLostAction,
    DealWonAction,
    Module,
    NativeTransactionModule,
    TransactionFieldPair,
)


class DisableIn(Strict):
    confirm: StrictBool = False


class EnableIn(Strict):
    """Body of `POST /integrations/{id}/enable` (L3), optional."""

    replay_disabled_period: StrictBool = Field(
        default=False,
        description="Also run the deal triggers (A1) for deals created, won or lost while the integration "
        "was disabled; off by default, so enabling never makes quotes or invoices for that period",
    )


class PauseIn(Strict):
    """Pause (or resume) the whole integration, or only the listed modules."""

    modules: list[Module] | None = Field(default=None, min_length=1)


class NotificationOut(BaseModel):
    notification_id: str
    at: datetime
    kind: str
    message: str
    details: dict = {}

    @classmethod
    def of(cls, note: Notification) -> NotificationOut:
        return cls(notification_id=note.notification_id, at=note.at, kind=note.kind, message=note.message,
                   details=note.details)


class NotificationList(BaseModel):
    notifications: list[NotificationOut]
    next_cursor: str | None = None


class AutomationIn(Strict):
    on_deal_created: DealCreatedAction = DealCreatedAction.NONE
    on_deal_won: DealWonAction = DealWonAction.NONE
    on_deal_lost: DealLostAction = DealLostAction.NONE

    def to_domain(self) -> AutomationPreferences:
        return AutomationPreferences(**self.model_dump())


class CrmPermissionsIn(Strict):
    grants: list[CrmGrant] = Field(max_length=500)


class TransactionFieldPairIn(Strict):
    """A field of CRM-native quotes, sales orders or purchase orders (`crm`, its API name) and the
    inventory custom field it travels to (`inventory`, e.g. `cf_sales_channel`)."""

    crm_module: NativeTransactionModule
    crm: str = Field(min_length=1, max_length=100)
    inventory: str = Field(min_length=1, max_length=100)

    def to_domain(self) -> TransactionFieldPair:
        return TransactionFieldPair(**self.model_dump())


class TransactionFieldMapIn(Strict):
    """Body of `PUT /integrations/{id}/transactions/field-map` (T1): the whole map, replacing the saved one."""

    field_map: list[TransactionFieldPairIn] = Field(max_length=100)


class DeleteAccepted(BaseModel):
    integration_id: str
    state: str
    keep: Literal["all", "with_transactions"]


class ConnectStarted(BaseModel):
    connect_id: str
    authorize_url: str
    expires_at: datetime


class OrgChoiceOut(BaseModel):
    id: str
    name: str


class ConnectAttemptOut(BaseModel):
    connect_id: str
    status: str
    role: str
    data_center: str
    crm_orgs: list[OrgChoiceOut]
    inventory_orgs: list[OrgChoiceOut]
    failure: str | None = None
    integration_id: str | None = None
    expires_at: datetime

    @classmethod
    def of(cls, attempt: ConnectAttempt) -> ConnectAttemptOut:
        return cls(
            connect_id=attempt.connect_id,
            status=attempt.status,
            role=attempt.role,
            data_center=attempt.data_center,
            crm_orgs=[OrgChoiceOut(id=c.id, name=c.name) for c in attempt.crm_orgs],
            inventory_orgs=[OrgChoiceOut(id=c.id, name=c.name) for c in attempt.inventory_orgs],
            failure=attempt.failure,
            integration_id=attempt.integration_id,
            expires_at=attempt.state_expires_at,
        )


class ConnectCompleteIn(Strict):
    """The organizations picked, one of each side, among those the consent reaches."""

    crm_org_id: str = Field(min_length=1, max_length=25, pattern=r"^[0-9]+$")
    inventory_organization_id: str = Field(min_length=1, max_length=25, pattern=r"^[0-9]+$")
