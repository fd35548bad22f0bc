"""The store port: everything the product persists, split by area.

Conventions shared by every implementation:
- `get_*` returns None when absent; listings return a `Page` whose `next_cursor`
  is an opaque string to pass back (None: no more); a cursor not issued for that
  listing raises `InvalidCursorError`.
- Versioned records (Integration, ModulePreferences settings, Mapping) are saved
  from the version they were read at; the store writes `version + 1` and returns
  the record as stored, or raises `ConflictError(current=<stored version>)`.
- Creates and claims raise `AlreadyExistsError(current=<holder>)` when the key is taken.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from crmsync.domain.automation import DealLink, DealWatermark, TriggerClaim
from crmsync.domain.consent import ConnectAttempt
from crmsync.domain.journal import ActivityEntry, DeliveryProgress, Notification, WebhookDelivery
from crmsync.domain.models import (
    ApiKeyRecord,
    Integration,
    IntegrationState,
    Module,
    ModulePreferences,
    ModuleStatus,
    RunCounts,
    RunStatus,
    Side,
    Tenant,
)
from crmsync.domain.sync_state import Cursor, Failure, Mapping, SyncRun
from crmsync.ports.previews import PreviewStore
from crmsync.ports.sync_state_store import SyncStateStore


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class PurgeProgress:
    deleted: int
    done: bool


class TenantStore(Protocol):
    def create_tenant(self, tenant: Tenant) -> None: ...
    def get_tenant(self, tenant_id: str) -> Tenant | None: ...
    def list_tenants(self, *, limit: int = 50, cursor: str | None = None) -> Page[Tenant]:
        """Oldest first."""
        ...


class ApiKeyStore(Protocol):
    def add_api_key(self, key: ApiKeyRecord) -> None:
        """NotFoundError when the tenant does not exist."""
        ...

    def find_api_key(self, key_hash: str) -> ApiKeyRecord | None:
        """The authorizer's lookup: one GetItem by hash."""
        ...

    def list_api_keys(self, tenant_id: str) -> list[ApiKeyRecord]: ...
    def revoke_api_key(self, tenant_id: str, key_id: str) -> None:
        """Deletes the key for good; NotFoundError when the tenant has no such key."""
        ...


class IntegrationStore(Protocol):
    def create_integration(self, integration: Integration) -> Integration:
        """Creates it and, in the same transaction, claims its inventory organization and,
        for a primary, the CRM organization's primary slot. AlreadyExistsError(current=
        holding integration id) when either is taken."""
        ...

    def get_integration(self, integration_id: str) -> Integration | None: ...
    def get_integrations(self, integration_ids: Sequence[str]) -> list[Integration]:
        """In the order asked; missing ids are left out."""
        ...

    def list_integrations(
        self, tenant_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Integration]:
        """Newest first."""
        ...

    def list_integration_ids(
        self, state: IntegrationState, *, limit: int = 100, cursor: str | None = None
    ) -> Page[str]: ...

    def transition_integration(
        self, integration_id: str, *, allowed_from: Collection[IntegrationState], to: IntegrationState
    ) -> Integration:
        """ConflictError(current=state) unless the stored state is in `allowed_from`."""
        ...

    def save_integration(self, integration: Integration) -> Integration: ...
    def primary_integration_id(self, crm_org_id: str) -> str | None: ...
    def inventory_org_integration_id(self, inventory_org_id: str) -> str | None: ...
    def release_org_claims(self, integration: Integration) -> None:
        """Frees the organizations this integration holds; idempotent."""
        ...

    def purge_integration(self, integration_id: str, *, max_items: int | None = None) -> PurgeProgress:
        """Deletes the integration's mappings, modules, cursors, runs, failures and activity,
        and its deal links, trigger claims and deal watermark.

        Keeps the integration record and its notifications. Idempotent; call again
        while `done` is False (a call stops at the first 25-item batch boundary at
        or past `max_items` deletions).
        """
        ...


class ModuleStore(Protocol):
    def get_module(self, integration_id: str, module: Module) -> ModulePreferences | None: ...
    def list_modules(self, integration_id: str) -> list[ModulePreferences]: ...
    def save_module_settings(
        self, preferences: ModulePreferences, *, reapply: bool = False
    ) -> ModulePreferences:
        """Stores `preferences.settings` only (status fields are left as they are); with `reapply`,
        also marks the new version as waiting to be re-applied to synced records (S7), with
        `preferences.reapply_remapped`. A pending mark is never removed by a save."""
        ...

    def clear_reapply(self, integration_id: str, module: Module, *, up_to_version: int) -> bool:
        """Removes the re-apply mark when it asks for `up_to_version` or an earlier version (a run
        with those settings finished); False (and nothing written) when there is none or it is later."""
        ...

    def set_module_status(
        self,
        integration_id: str,
        module: Module,
        status: ModuleStatus,
        *,
        run_id: str | None = None,
        counts: RunCounts | None = None,
    ) -> None:
        """NotFoundError when the module was never saved."""
        ...

    def set_module_paused(self, integration_id: str, module: Module, paused: bool) -> None: ...


class CursorStore(Protocol):
    def get_cursor(self, integration_id: str, module: Module, side: Side) -> Cursor | None: ...
    def advance_cursor(self, cursor: Cursor) -> bool:
        """False (and nothing written) when the stored position is later."""
        ...

    def reset_cursor(self, integration_id: str, module: Module, side: Side) -> None: ...


class MappingStore(Protocol):
    def get_mapping(self, integration_id: str, module: Module, side: Side, record_id: str) -> Mapping | None:
        """By the record's id on `side`."""
        ...

    def get_mappings(
        self, integration_id: str, module: Module, side: Side, record_ids: Sequence[str]
    ) -> dict[str, Mapping]:
        """Record id on `side` -> mapping, for the ids that have one."""
        ...

    def list_mappings(
        self, integration_id: str, module: Module, side: Side, *, limit: int = 100, cursor: str | None = None
    ) -> Page[Mapping]:
        """Every mapping that has a record on `side`, in id order."""
        ...

    def claim_mapping(self, mapping: Mapping) -> Mapping:
        """Writes a pending mapping for the record on its claim side, unless one exists."""
        ...

    def complete_claim(self, mapping: Mapping) -> Mapping:
        """Turns the pending claim (at `mapping.version`) into a linked pair."""
        ...

    def link_mapping(self, mapping: Mapping) -> Mapping:
        """Writes a new linked pair; AlreadyExistsError when either record is mapped."""
        ...

    def update_mapping(self, mapping: Mapping) -> Mapping: ...
    def abandon_claim(self, claim: Mapping) -> None:
        """Marks a pending claim (at `claim.version`) as left by an attempt that has ended, so the next
        attempt takes it as abandoned at once (searches for the record, creates it only if absent)
        instead of waiting for it to go stale; a claim no longer pending at that version is left."""
        ...

    def delete_mapping(self, mapping: Mapping) -> None:
        """Removes both sides (a released claim, an unlink); idempotent."""
        ...


class RunStore(Protocol):
    def create_run(self, run: SyncRun) -> None: ...
    def get_run(self, integration_id: str, run_id: str) -> SyncRun | None: ...
    def list_runs(self, integration_id: str, *, limit: int = 20, cursor: str | None = None) -> Page[SyncRun]:
        """Newest first."""
        ...

    def update_run(self, run: SyncRun, *, expected_status: RunStatus) -> None:
        """ConflictError(current=status) unless the stored run is in `expected_status`."""
        ...

    def record_failures(self, failures: Sequence[Failure], *, step: int = 0) -> int:
        """Adds them to their runs and to the open failures (keeping each one's first_seen).

        Returns how many records are new among their run's failures: not recorded before, or first
        recorded by this same `step` of the run (an earlier attempt whose step was not saved).
        """
        ...

    def list_run_failures(self, run_id: str, *, limit: int = 100, cursor: str | None = None) -> Page[Failure]:
        """By side and record id."""
        ...

    def list_open_failures(
        self,
        integration_id: str,
        *,
        module: Module | None = None,
        side: Side | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[Failure]:
        """By module, side and record id; `side` needs `module`."""
        ...

    def get_open_failures(
        self, integration_id: str, module: Module, side: Side, record_ids: Sequence[str]
    ) -> dict[str, Failure]:
        """Record id -> its open failure, for the ids that have one."""
        ...

    def close_failures(
        self, integration_id: str, module: Module, side: Side, record_ids: Sequence[str]
    ) -> None: ...


class JournalStore(Protocol):
    def add_activity(self, entry: ActivityEntry) -> None: ...
    def list_activity(
        self, integration_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[ActivityEntry]:
        """Newest first."""
        ...

    def add_notification(self, notification: Notification) -> None: ...
    def list_notifications(
        self, integration_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Notification]:
        """Newest first."""
        ...


class DeliveryStore(Protocol):
    def begin_delivery(self, delivery: WebhookDelivery, lease: timedelta) -> DeliveryProgress | None:
        """Take the delivery for queueing, for `lease`: its progress (what earlier attempts queued)
        when this call may queue the rest, done when it is fully queued already (a duplicate), None
        while another call holds it. A record older than the dedupe window counts as absent."""
        ...

    def advance_delivery(self, delivery: WebhookDelivery, queued: int, *, done: bool = False) -> None:
        """Record how many of the delivery's messages are queued (and whether that is all of them)."""
        ...


class ConnectStore(Protocol):
    """Connect attempts of the one-click connect (expired by TTL a day after they end)."""

    def create_connect_attempt(self, attempt: ConnectAttempt) -> ConnectAttempt: ...
    def get_connect_attempt(self, connect_id: str) -> ConnectAttempt | None: ...
    def save_connect_attempt(self, attempt: ConnectAttempt) -> ConnectAttempt:
        """From the version read; ConflictError(current=<stored>) when another save came between."""
        ...


class AutomationStore(Protocol):
    """Deal links (W3, A5), trigger claims (A1-A5 exactly once) and the deal catch-up watermark."""

    def save_deal_link(self, link: DealLink) -> DealLink:
        """Associates the transaction with `link.deal_id` (replacing a hand-made link);
        ConflictError(current=stored link) when the stored link is trigger-made."""
        ...

    def get_deal_link(
        self, integration_id: str, transaction_kind: str, transaction_id: str
    ) -> DealLink | None: ...
    def list_deal_links(self, integration_id: str, deal_id: str) -> list[DealLink]:
        """The deal's links (eventually consistent: read from an index)."""
        ...

    def delete_deal_link(self, integration_id: str, transaction_kind: str, transaction_id: str) -> None:
        """NotFoundError when there is no link; ConflictError(current=link) when it is trigger-made."""
        ...

    def remove_deal_links(self, integration_id: str) -> int:
        """Deletes every deal link of the integration, trigger-made ones too (L2); returns the count."""
        ...

    def claim_trigger(self, claim: TriggerClaim) -> TriggerClaim:
        """Writes the claim at version 1 unless its key is taken: AlreadyExistsError(current=stored claim)."""
        ...

    def save_trigger_claim(self, claim: TriggerClaim) -> TriggerClaim:
        """Stores the claim from the version it was read at; ConflictError(current=stored claim) otherwise."""
        ...

    def list_trigger_claims(self, integration_id: str, source_id: str) -> list[TriggerClaim]:
        """Every claim of one source record, by action then generation (strongly consistent)."""
        ...

    def get_deal_watermark(self, integration_id: str) -> DealWatermark | None: ...
    def save_deal_watermark(self, watermark: DealWatermark) -> bool:
        """False (and nothing written) when the stored position is later."""
        ...


class Store(
    TenantStore,
    ApiKeyStore,
    IntegrationStore,
    ModuleStore,
    CursorStore,
    MappingStore,
    RunStore,
    JournalStore,
    DeliveryStore,
    AutomationStore,
    SyncStateStore,
    ConnectStore,
    PreviewStore,
    Protocol,
):
    """Everything the product persists."""
