"""The `VendorDirectory` port on the Zoho clients: one pair of clients per integration per process,
so access tokens are reused across invocations of a warm execution environment, and (with
`shared_tokens`) across execution environments."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from crmsync.domain.models import Integration
from crmsync.ports.secrets import CredentialStore, IntegrationCredentials
from crmsync.ports.vendors import VendorClients

if TYPE_CHECKING:  # the HTTP stack loads with the first client, not at cold start
    from crmsync.adapters.http import RetryPolicy
    from crmsync.adapters.pacer import Pacer
    from crmsync.adapters.token_sharing import SharedTokens


class VendorClientPool:
    def __init__(
        self,
        credentials: CredentialStore,
        inventory_pacer: Callable[[str], Pacer],
        retry_policy: RetryPolicy | None = None,
        shared_tokens: SharedTokens | None = None,
        crm_pacer: Callable[[], Pacer | None] = lambda: None,
    ):
        self._credentials = credentials
        self._crm_pacer = crm_pacer
        self._shared_tokens = shared_tokens
        self._inventory_pacer = inventory_pacer
        self._retry_policy = retry_policy  # None: the clients' defaults
        self._clients: dict[str, tuple[datetime | None, VendorClients]] = {}  # with the grants' stamp
        self._lock = threading.Lock()

    def for_credentials(self, credentials: IntegrationCredentials, inventory_org_id: str) -> VendorClients:
        from crmsync.adapters.crm import ZohoCrmClient
        from crmsync.adapters.inventory import ZohoInventoryClient

        return VendorClients(
            crm=ZohoCrmClient.connect(
                credentials.crm,
                policy=self._retry_policy,
                pacer=self._crm_pacer(),
                shared_tokens=self._shared_tokens,
            ),
            inventory=ZohoInventoryClient.connect(
                credentials.inventory,
                inventory_org_id,
                pacer=self._inventory_pacer(inventory_org_id),
                policy=self._retry_policy,
                shared_tokens=self._shared_tokens,
            ),
        )

    def for_integration(self, integration: Integration) -> VendorClients:
        """The cached clients, unless the integration's grants were replaced since they were built
        (re-authorized in another process): then new ones from the grants as stored now."""
        stamp = integration.grants_replaced_at
        with self._lock:
            cached = self._clients.get(integration.integration_id)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            credentials = self._credentials.get(integration.integration_id, fresh=stamp is not None)
            clients = self.for_credentials(credentials, integration.inventory_org_id)
            self._clients[integration.integration_id] = (stamp, clients)
            return clients

    def forget(self, integration_id: str) -> None:
        with self._lock:
            self._clients.pop(integration_id, None)

    def consent_url(
        self, data_center: str, base_url: str | None, *, client_id: str, redirect_uri: str, state: str
    ) -> str:
        from crmsync.adapters.oauth import consent_url

        return consent_url(data_center, base_url, client_id=client_id, redirect_uri=redirect_uri, state=state)

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
        from crmsync.adapters.oauth import exchange_code

        return exchange_code(
            system,
            data_center=data_center,
            base_url=base_url,
            client_id=client_id,
            client_secret=client_secret,
            code=code,
            redirect_uri=redirect_uri,
        )
