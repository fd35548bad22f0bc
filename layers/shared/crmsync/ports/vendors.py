"""The vendor-clients port: an integration's CRM and inventory clients, built and cached by the
composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from crmsync.domain.models import Integration
from crmsync.ports.crm import CrmPort
from crmsync.ports.inventory import InventoryPort
from crmsync.ports.secrets import IntegrationCredentials


@dataclass(frozen=True)
class VendorClients:
    """An integration's clients of both systems."""

    crm: CrmPort
    inventory: InventoryPort


class VendorDirectory(Protocol):
    def for_integration(self, integration: Integration) -> VendorClients:
        """The integration's clients from its stored credentials (cached; access tokens are reused)."""
        ...

    def for_credentials(self, credentials: IntegrationCredentials, inventory_org_id: str) -> VendorClients:
        """Clients for credentials not stored yet (connect)."""
        ...

    def forget(self, integration_id: str) -> None:
        """Drop cached clients (credentials replaced or deleted)."""
        ...

    def consent_url(
        self, data_center: str, base_url: str | None, *, client_id: str, redirect_uri: str, state: str
    ) -> str:
        """The vendor's consent page for one grant covering both systems, offline access."""
        ...

    def exchange_code(
        self,
        system: Literal["crm", "inventory"],
        *,
        data_center: str,
        base_url: str | None,
        client_id: str,
        client_secret: str,
        code: str,
        redirect_uri: str | None,
    ) -> str:
        """A refresh token for a one-time authorization code."""
        ...
