"""The connect input (L1) that the connect service consumes: both sides' OAuth client and grant."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from crmsync.contracts.strict import Strict

DataCenterName = Literal["com", "eu", "in", "com.au", "jp", "ca", "sa", "com.cn"]
# A sandbox's base URL: scheme, an ASCII host (an IDN host in its xn-- form) and a port, no path.
BASE_URL = r"^https?://[A-Za-z0-9.-]+(:\d+)?/?$"


class OAuthGrantIn(Strict):
    """One side's OAuth client and grant: a refresh token, or a one-time authorization code."""

    data_center: DataCenterName = "com"
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: SecretStr = Field(min_length=1, max_length=500)
    refresh_token: SecretStr | None = Field(default=None, min_length=1, max_length=500)
    code: SecretStr | None = Field(default=None, min_length=1, max_length=500)
    redirect_uri: str | None = Field(default=None, max_length=500)
    base_url: str | None = Field(default=None, max_length=300, pattern=BASE_URL)

    @model_validator(mode="after")
    def _one_grant(self) -> OAuthGrantIn:
        if (self.refresh_token is None) == (self.code is None):
            raise ValueError("give exactly one of refresh_token or code")
        return self


ZohoId = Field(min_length=1, max_length=25, pattern=r"^[0-9]+$", description="A Zoho id: digits only")


class CrmConnectIn(OAuthGrantIn):
    org_id: str = ZohoId


class InventoryConnectIn(OAuthGrantIn):
    organization_id: str = ZohoId


class ConnectIn(Strict):
    role: Literal["primary", "secondary"] = "primary"
    crm: CrmConnectIn
    inventory: InventoryConnectIn


class ConnectStartIn(Strict):
    """Start a one-click connect: the data centre of the Zoho account and the role asked for.
    The base URLs point both sides at sandboxes (allowed only where custom endpoints are)."""

    role: Literal["primary", "secondary"] = "primary"
    data_center: DataCenterName = "com"
    crm_base_url: str | None = Field(default=None, max_length=300, pattern=BASE_URL)
    inventory_base_url: str | None = Field(default=None, max_length=300, pattern=BASE_URL)


class ReauthorizeIn(Strict):
    """New OAuth grants for an integration (issue 13, point 2): either side, or both."""

    crm: OAuthGrantIn | None = None
    inventory: OAuthGrantIn | None = None

    @model_validator(mode="after")
    def _a_side(self) -> ReauthorizeIn:
        if self.crm is None and self.inventory is None:
            raise ValueError("give a grant for crm, inventory or both")
        return self
