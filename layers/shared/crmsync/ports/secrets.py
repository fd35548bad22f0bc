"""Port for the per-integration OAuth credentials (kept in a secret store, never in the database)."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, SecretStr


class OAuthCredentials(BaseModel):
    """One side's OAuth client and refresh token, and where that side's API lives."""

    model_config = ConfigDict(frozen=True)

    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr
    data_center: str = "com"
    base_url: str | None = None


class IntegrationCredentials(BaseModel):
    model_config = ConfigDict(frozen=True)

    crm: OAuthCredentials
    inventory: OAuthCredentials


class OAuthClient(BaseModel):
    """The deployment's own OAuth client at the vendor (a server-based app), and the key that signs
    the consent `state`."""

    model_config = ConfigDict(frozen=True)

    client_id: str
    client_secret: SecretStr
    state_key: SecretStr


class OAuthClientSource(Protocol):
    def get(self) -> OAuthClient:
        """The deployment's OAuth client; raises KeyError when it has not been set up."""
        ...


class CredentialStore(Protocol):
    def get(self, integration_id: str, *, fresh: bool = False) -> IntegrationCredentials:
        """The integration's credentials (`fresh`: as stored now, not as cached); KeyError when none."""
        ...

    def put(self, integration_id: str, credentials: IntegrationCredentials) -> None:
        """Create or replace the integration's credentials."""
        ...

    def delete(self, integration_id: str) -> None:
        """Remove the credentials for good (no recovery window); no error when absent."""
        ...
