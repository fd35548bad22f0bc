"""The composition root: settings read once per cold start, adapters built lazily and cached, and the
`Deps` handed to every service.

Cold start: importing this module loads only the settings. Each adapter, boto3 with it, and the services
load on first use, so a function imports what its path needs (the authorizer: the store and the tenant
service, never the sync engine) and no client, credential or connection exists before the first
invocation (what a SnapStart snapshot must not hold).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from crmsync.ports.clock import Clock, utc_now
from crmsync.runtime.settings import Settings

if TYPE_CHECKING:
    from crmsync.services.deps import Deps
    from crmsync.services.stage_rules import StageRuleCache


class Container:
    def __init__(self, settings: Settings, vendor_retry_policy=None, clock: Clock = utc_now):
        self.settings = settings
        self.vendor_retry_policy = vendor_retry_policy  # None: the clients' defaults
        self.clock = clock

    @classmethod
    def from_env(cls) -> Container:
        settings = Settings.from_env()
        return cls(settings, vendor_retry_policy=fail_fast_policy(settings.vendor_wait_seconds))

    @cached_property
    def store(self):
        from crmsync.adapters.dynamodb import DynamoStore

        return DynamoStore(self.settings.table_name, clock=self.clock)

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
    def oauth_client(self):
        from crmsync.adapters.secrets import SecretsManagerOAuthClient

        return SecretsManagerOAuthClient(self.settings.oauth_client_secret_name)

    @cached_property
    def inventory_pacers(self):
        """One budget per inventory organization, shared by every client in this process and, through
        the table, by every execution environment (`adapters/shared_budget.py`)."""
        from crmsync.adapters.dynamodb.budgets import DynamoBudgetCounters
        from crmsync.adapters.pacer import PacerPool
        from crmsync.adapters.shared_budget import OrgBudget

        counters = DynamoBudgetCounters(self.store.table)
        settings = self.settings
        return PacerPool(
            lambda org_id: OrgBudget(
                counters,
                f"inventory#{org_id}",
                per_minute=settings.inventory_calls_per_minute,
                minute_s=settings.inventory_minute_seconds,
                reserved=settings.vendor_budget_share == "reserved",
            )
        )

    @cached_property
    def vendors(self):
        """The integrations' clients, kept for the life of the container (access tokens are reused)."""
        from crmsync.runtime.vendors import VendorClientPool

        return VendorClientPool(
            self.credentials,
            lambda org_id: self.inventory_pacers.get(org_id),
            self.vendor_retry_policy,
            shared_tokens=self.shared_tokens,
            crm_pacer=self._crm_pacer,
        )

    def _crm_pacer(self):
        """A sync keeps the CRM's last credits for automation; other callers are not held back."""
        if self.settings.vendor_budget_share != "sync":
            return None
        from crmsync.adapters.crm.errors import CREDITS_REMAINING
        from crmsync.adapters.shared_budget import CreditReserve

        return CreditReserve(CREDITS_REMAINING)

    @cached_property
    def shared_tokens(self):
        """Access tokens shared by every execution environment, one refresh per expiry (in the table)."""
        from crmsync.adapters.dynamodb.tokens import DynamoTokenRecords
        from crmsync.adapters.token_sharing import SharedTokens

        return SharedTokens(DynamoTokenRecords(self.store.table))

    @cached_property
    def stage_rules(self) -> StageRuleCache:
        """The CRM's deal-stage settings per integration, for the life of the container."""
        from crmsync.services.stage_rules import StageRuleCache

        return StageRuleCache()

    @property
    def deps(self) -> Deps:
        """What the services use; built from the adapters above (each built once, on first use)."""
        from crmsync.services.deps import Deps

        return Deps(
            store=self.store,
            sync_queue=self.sync_queue,
            automation_queue=self.automation_queue,
            credentials=self.credentials,
            oauth_client=self.oauth_client,
            vendors=self.vendors,
            clock=self.clock,
            stage_rules=self.stage_rules,
            allow_custom_endpoints=self.settings.allow_custom_endpoints,
        )

    @cached_property
    def tenants(self):
        from crmsync.services.tenants import TenantService

        return TenantService(self.store, self.clock)


def fail_fast_policy(wait_seconds: float | None):
    """Inside an API request: never sleep longer than `wait_seconds` in all for a vendor (a 429's
    Retry-After of 30-60 s is answered 429 at once) and give each call a short timeout, so the route
    answers inside API Gateway's 29 s. None: background work keeps the clients' patient defaults."""
    if wait_seconds is None:
        return None
    from crmsync.adapters.http import RetryPolicy

    return RetryPolicy(max_attempts=3, max_total_wait=wait_seconds, max_backoff=wait_seconds, timeout=8.0)


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
