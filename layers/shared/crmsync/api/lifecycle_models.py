"""Bodies of the lifecycle routes: connect (L1), disable (L2), delete (L4), pause (S6),
notifications, automation (A1), CRM permissions (T2)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from crmsync.domain.models import (
    AutomationPreferences,
    CrmGrant,
    DealCreatedAction,
    DealLostAction,
    DealWonAction,
    Module,
    Notification,
)

DataCenterName = Literal["com", "eu", "in", "com.au", "jp", "ca", "sa", "com.cn"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OAuthGrantIn(Strict):
    """One side's OAuth client and grant: a refresh token, or a one-time authorization code."""

    data_center: DataCenterName = "com"
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: SecretStr = Field(min_length=1, max_length=500)
    refresh_token: SecretStr | None = Field(default=None, min_length=1, max_length=500)
    code: SecretStr | None = Field(default=None, min_length=1, max_length=500)
    redirect_uri: str | None = Field(default=None, max_length=500)
    base_url: str | None = Field(default=None, max_length=300, pattern=r"^https?://[^\s/]+(:\d+)?/?$")

    @model_validator(mode="after")
    def _one_grant(self) -> OAuthGrantIn:
        if (self.refresh_token is None) == (self.code is None):
            raise ValueError("give exactly one of refresh_token or code")
        return self


class CrmConnectIn(OAuthGrantIn):
    org_id: str = Field(min_length=1, max_length=40)


class InventoryConnectIn(OAuthGrantIn):
    organization_id: str = Field(min_length=1, max_length=40)


class ConnectIn(Strict):
    role: Literal["primary", "secondary"] = "primary"
    crm: CrmConnectIn
    inventory: InventoryConnectIn


class DisableIn(Strict):
    confirm: bool = False


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


class DeleteAccepted(BaseModel):
    integration_id: str
    state: str
    keep: Literal["all", "with_transactions"]
