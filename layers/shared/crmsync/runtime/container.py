"""The composition root: settings read once per cold start, adapters built lazily and cached."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

from crmsync.domain.models import Integration
from crmsync.ports.crm import CrmPort
from crmsync.ports.inventory import InventoryPort
from crmsync.ports.secrets import IntegrationCredentials
from crmsync.runtime.settings import Settings


@dataclass(frozen=True)
class VendorClients:
    crm: CrmPort
    inventory: InventoryPort


class Container:
    def __init__(self, settings: Settings, vendor_retry_policy=None):
        self.settings = settings
        self.vendor_retry_policy = vendor_retry_policy  # None: the clients' defaults
        self._clients: dict[str, VendorClients] = {}
        self._clients_lock = threading.Lock()

    @classmethod
    def from_env(cls) -> Container:
        return cls(Settings.from_env())

    @cached_property
    def store(self):
        from crmsync.adapters.dynamodb import DynamoStore

        return DynamoStore(self.settings.table_name)

    @cached_property
    def sync_queue(self):
        from crmsync.adapters.sqs_queue import SqsQueue

        return SqsQueue(self.settings.sync_queue_url)

    @cached_property
    def automation_queue(self):
        from crmsync.adapters.sqs_queue import SqsQueue

        return SqsQueue(self.settings.automation_queue_url)

    @cached_property
    def credentials(self):
        from crmsync.adapters.secrets import SecretsManagerCredentialStore

        return SecretsManagerCredentialStore(self.settings.secret_prefix)

    @cached_property
    def inventory_pacers(self):
        """One pacer per inventory organization, shared by every client in this process."""
        from crmsync.adapters.pacer import PacerPool, TokenBucket

        return PacerPool(lambda: TokenBucket(self.settings.inventory_calls_per_minute, 60.0))

    def clients_for_credentials(self, credentials: IntegrationCredentials, inventory_org_id: str) -> VendorClients:
        """Clients for credentials not stored yet (connect)."""
        from crmsync.adapters.crm import ZohoCrmClient
        from crmsync.adapters.inventory import ZohoInventoryClient

        return VendorClients(
            crm=ZohoCrmClient.connect(credentials.crm, policy=self.vendor_retry_policy),
            inventory=ZohoInventoryClient.connect(
                credentials.inventory,
                inventory_org_id,
                pacer=self.inventory_pacers.get(inventory_org_id),
                policy=self.vendor_retry_policy,
            ),
        )

    def exchange_code(self, system: str, grant) -> str:
        """A refresh token for a one-time authorization code (connect with a code grant)."""
        from crmsync.adapters.oauth import exchange_code

        return exchange_code(
            system,
            data_center=grant.data_center,
            base_url=grant.base_url,
            client_id=grant.client_id,
            client_secret=grant.client_secret.get_secret_value(),
            code=grant.code.get_secret_value(),
            redirect_uri=grant.redirect_uri,
        )

    def vendor_clients(self, integration: Integration) -> VendorClients:
        """The integration's clients, built once per process from its stored credentials.

        Kept for the life of the container, so access tokens are reused across invocations.
        """
        with self._clients_lock:
            clients = self._clients.get(integration.integration_id)
            if clients is None:
                credentials = self.credentials.get(integration.integration_id)
                clients = self.clients_for_credentials(credentials, integration.inventory_org_id)
                self._clients[integration.integration_id] = clients
            return clients

    def forget_clients(self, integration_id: str) -> None:
        """Drop cached clients (credentials replaced or deleted)."""
        with self._clients_lock:
            self._clients.pop(integration_id, None)

    @cached_property
    def tenants(self):
        from crmsync.services.tenants import TenantService

        return TenantService(self.store)


_container: Container | None = None


def get_container() -> Container:
    """The process's container, built on first use (a Lambda cold start)."""
    global _container
    if _container is None:
        _container = Container.from_env()
    return _container


def reset_container() -> None:
    """Forget the container so the next call re-reads the environment (tests, local stack)."""
    global _container
    _container = None
