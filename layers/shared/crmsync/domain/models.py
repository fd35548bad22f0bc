"""Domain records the store persists: pure pydantic models, no I/O.

Timestamps are timezone-aware datetimes, normalised to UTC. In JSON they are
written with a fixed width (`2025-01-31T09:05:00.000000Z`) so that their text
order is their time order, which sort keys and conditional writes rely on.
Models are frozen: change one with `model.model_copy(update={...})`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)


def format_timestamp(value: datetime) -> str:
    """Fixed-width UTC ISO 8601 text, ordered like the instants it names."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


Timestamp = Annotated[
    AwareDatetime,
    AfterValidator(lambda value: value.astimezone(UTC)),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]


def time_sortable_id(at: datetime) -> str:
    """An id that sorts by `at` (to the microsecond), with a random suffix against ties."""
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(5)}"


def hash_api_key(raw_key: str) -> str:
    """The only form in which an API key is stored: its SHA-256, hex."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


class DomainModel(BaseModel):
    model_config = ConfigDict(frozen=True)


# ------------------------------------------------------------------ vocabularies
class Module(StrEnum):
    CUSTOMERS = "customers"
    VENDORS = "vendors"
    ITEMS = "items"


class Side(StrEnum):
    CRM = "crm"
    INVENTORY = "inventory"

    @property
    def other(self) -> Side:
        return Side.INVENTORY if self is Side.CRM else Side.CRM


class Role(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


class IntegrationState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    REAUTHORIZE = "reauthorize"  # a vendor refused the refresh token: nothing runs until it is replaced
    DISABLED = "disabled"
    DELETING = "deleting"
    DELETED = "deleted"


STOPPED_STATES = frozenset({IntegrationState.DISABLED, IntegrationState.DELETING, IntegrationState.DELETED})
"""States in which an integration does no work: notifications, queued steps and triggers are dropped."""


class ModuleStatus(StrEnum):
    NEVER_SYNCED = "never_synced"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    WEBHOOK = "webhook"
    RESYNC = "resync"
    RETRY = "retry"
    PREVIEW = "preview"  # B2: plans like a run and writes nothing (crmsync.domain.preview)


class CrmSource(StrEnum):
    ACCOUNTS = "accounts"
    CONTACTS = "contacts"
    ACCOUNTS_AND_CONTACTS = "accounts_and_contacts"


class Direction(StrEnum):
    TWO_WAY = "two_way"
    FETCH_FROM_CRM = "fetch_from_crm"


class DuplicatePolicy(StrEnum):
    CLONE = "clone"
    OVERWRITE = "overwrite"
    SKIP = "skip"


class MappingStatus(StrEnum):
    LINKED = "linked"
    PENDING = "pending"


# ------------------------------------------------------------------ tenants
class Tenant(DomainModel):
    tenant_id: str
    name: str
    created_at: Timestamp


class ApiKeyRecord(DomainModel):
    """A tenant's API key as stored: the hash, never the key itself."""

    key_id: str
    tenant_id: str
    key_hash: str
    created_at: Timestamp


# ------------------------------------------------------------------ integrations
class OrgUser(DomainModel):
    user_id: str
    name: str
    email: str | None = None


class SharedOrgInfo(DomainModel):
    """What the inventory organization shares with the CRM side on connect (L1)."""

    name: str
    email: str | None = None
    country: str | None = None
    users: tuple[OrgUser, ...] = ()


class NotificationChannel(DomainModel):
    """The CRM notification channels watched for this integration (S2, A1)."""

    channel_ids: tuple[str, ...]
    token_hash: str
    expires_at: Timestamp


class DealCreatedAction(StrEnum):
    NONE = "none"
    CREATE_QUOTE = "create_quote"


class DealWonAction(StrEnum):
    NONE = "none"
    CREATE_INVOICE = "create_invoice"


class DealLostAction(StrEnum):
    NONE = "none"
    VOID_INVOICE = "void_invoice"


class AutomationPreferences(DomainModel):
    """Deal-stage automation (A1); all off until an admin turns them on."""

    on_deal_created: DealCreatedAction = DealCreatedAction.NONE
    on_deal_won: DealWonAction = DealWonAction.NONE
    on_deal_lost: DealLostAction = DealLostAction.NONE


class CrmPermission(StrEnum):
    CREATE_QUOTES = "create_quotes"
    CREATE_SALES_ORDERS = "create_sales_orders"
    VIEW_INVOICES = "view_invoices"
    VIEW_PURCHASE_ORDERS = "view_purchase_orders"


class CrmGrant(DomainModel):
    """What one CRM user, or every user of one CRM role, may do from the CRM side (T2)."""

    user_id: str | None = None
    role_id: str | None = None
    permissions: tuple[CrmPermission, ...]

    @model_validator(mode="after")
    def _one_principal(self) -> CrmGrant:
        if (self.user_id is None) == (self.role_id is None):
            raise ValueError("a grant names exactly one of user_id or role_id")
        return self


class NativeTransactionModule(StrEnum):
    """The CRM modules whose records, created in the CRM, are created in inventory (T1)."""

    QUOTES = "Quotes"
    SALES_ORDERS = "Sales_Orders"
    PURCHASE_ORDERS = "Purchase_Orders"


class TransactionFieldPair(DomainModel):
    """T1: a field of CRM-native quotes, sales orders or purchase orders (`crm`, its API name) that
    travels to an inventory custom field of the document (`inventory`, e.g. `cf_sales_channel`)."""

    crm_module: NativeTransactionModule
    crm: str
    inventory: str


class Integration(DomainModel):
    """One inventory organization connected to one CRM organization.

    `version` counts the stored writes; a save is accepted only from the version it read.
    """

    integration_id: str
    tenant_id: str
    role: Role
    state: IntegrationState = IntegrationState.ACTIVE
    crm_org_id: str
    inventory_org_id: str
    crm_data_center: str
    inventory_data_center: str
    crm_base_url: str | None = None
    inventory_base_url: str | None = None
    two_way: bool
    transactions_enabled: bool = False
    inventory_org: SharedOrgInfo | None = None
    channel: NotificationChannel | None = None
    channel_error: str | None = None
    crm_edition: str | None = None
    crm_base_currency: str | None = None
    crm_multi_currency: bool = False
    inventory_base_currency: str | None = None
    fetch_from_crm_first: bool = False
    automation: AutomationPreferences = AutomationPreferences()
    crm_grants: tuple[CrmGrant, ...] = ()
    transaction_field_map: tuple[TransactionFieldPair, ...] = ()
    reauthorize_reason: str | None = None  # why the state is `reauthorize`: which vendor refused, and its code
    # when a re-authorization last stored new grants: every process's clients built before then are
    # rebuilt from the stored grants (they may hold a revoked refresh token)
    grants_replaced_at: Timestamp | None = None
    created_at: Timestamp
    updated_at: Timestamp
    version: int = 0

    @model_validator(mode="after")
    def _secondary_only_fetches(self) -> Integration:
        if self.role is Role.SECONDARY and (self.two_way or self.transactions_enabled):
            raise ValueError("a secondary integration is fetch-from-CRM only, without transaction sync")
        return self


# ------------------------------------------------------------------ modules
class FieldPair(DomainModel):
    crm: str
    inventory: str


class ModuleViews(DomainModel):
    accounts: str | None = None
    contacts: str | None = None
    vendors: str | None = None
    products: str | None = None


class ModuleSettings(DomainModel):
    """The module preferences body of `PUT /integrations/{id}/modules/{module}`."""

    crm_source: CrmSource | None = None
    include_unassociated_contacts: bool = False
    direction: Direction = Direction.TWO_WAY
    duplicates: DuplicatePolicy = DuplicatePolicy.SKIP
    views: ModuleViews = ModuleViews()
    field_map: tuple[FieldPair, ...] = ()
    product_type_field: str | None = None


class RunCounts(DomainModel):
    """What a run did, record by record. `deleted_in_crm_kept`: records deleted in the CRM whose
    inventory record was kept (S8: only the link is marked; nothing is deleted in inventory). Runs
    stored before it was named so carry it as `deleted`."""

    added: int = 0
    updated: int = 0
    deleted_in_crm_kept: int = Field(default=0, validation_alias=AliasChoices("deleted_in_crm_kept", "deleted"))
    skipped: int = 0
    conflicts: int = 0
    failed: int = 0


class ModulePreferences(DomainModel):
    """A module's saved settings (versioned, optimistic lock) and its status.

    `version` 0 means never saved. Status changes do not move the version, so a
    running sync never makes an admin's save fail. `reapply_version` is set by a save that
    changed the settings after a run (S7): the version whose settings the records synced before
    it still wait for; the next run that finishes with that version or a later one clears it.
    `reapply_remapped` lists the inventory paths a different CRM field fills since those records
    were synced (their last synced values belong to the former field).
    """

    integration_id: str
    module: Module
    version: int = 0
    settings: ModuleSettings = ModuleSettings()
    paused: bool = False
    status: ModuleStatus = ModuleStatus.NEVER_SYNCED
    last_run_id: str | None = None
    last_run_counts: RunCounts | None = None
    reapply_version: int | None = None
    reapply_remapped: tuple[str, ...] = ()
    updated_at: Timestamp | None = None
