"""Port for the CRM (Zoho CRM v8): what the product reads from and writes to it.

Ids are strings throughout. Record values are the CRM's own field API names and values, untouched
except that ids (`id`, `*_id`) are strings. Failures raise the errors of `crmsync.ports.errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from crmsync.domain.automation import Deal, DealChange, StageRule
from crmsync.ports.budget import CallBudget

SortBy = Literal["id", "Created_Time", "Modified_Time"]
SortOrder = Literal["asc", "desc"]
DeletedType = Literal["all", "recycle", "permanent"]
SearchOperator = Literal[
    "equals",
    "not_equal",
    "starts_with",
    "in",
    "greater_equal",
    "greater_than",
    "less_equal",
    "less_than",
    "between",
]
UserType = Literal[
    "AllUsers",
    "ActiveUsers",
    "CurrentUser",
    "ActiveConfirmedUsers",
    "DeactiveUsers",
    "NotConfirmedUsers",
    "ConfirmedUsers",
    "AdminUsers",
]

MAX_FIELDS_PER_LIST = 50
MAX_RECORDS_PER_WRITE = 100


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class CrmRef(_Wire):
    id: str
    name: str | None = None


class CrmLicense(_Wire):
    paid: bool | None = None
    paid_type: str | None = None
    trial_type: str | None = None
    users_license_purchased: int | None = None


class CrmOrg(_Wire):
    id: str
    company_name: str | None = None
    primary_email: str | None = None
    country: str | None = None
    country_code: str | None = None
    currency: str | None = None
    iso_code: str | None = None
    mc_status: bool | None = None
    time_zone: str | None = None
    type: str | None = None
    license_details: CrmLicense | None = None

    @property
    def edition(self) -> str | None:
        """The paid edition (e.g. "enterprise"), from `license_details.paid_type`."""
        return self.license_details.paid_type if self.license_details else None


class CrmCurrency(_Wire):
    id: str
    name: str | None = None
    iso_code: str
    symbol: str | None = None
    exchange_rate: str | None = None
    is_base: bool = False
    is_active: bool = True


class CrmUser(_Wire):
    id: str
    full_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    status: str | None = None
    role: CrmRef | None = None
    profile: CrmRef | None = None


class CrmPicklistValue(_Wire):
    actual_value: str
    display_value: str | None = None
    sequence_number: int | None = None
    probability: float | None = None
    deal_category: str | None = None
    forecast_type: str | None = None


class CrmField(_Wire):
    id: str
    api_name: str
    data_type: str
    field_label: str | None = None
    system_mandatory: bool = False
    custom_field: bool = False
    read_only: bool = False
    length: int | None = None
    lookup_module: str | None = None
    pick_list_values: list[CrmPicklistValue] = Field(default_factory=list)


class CrmCustomView(_Wire):
    id: str
    name: str | None = None
    display_value: str | None = None
    system_name: str | None = None
    system_defined: bool = False  # the CRM's own views ("All Accounts"), not made by a user
    default: bool = False


class CrmRecord(_Wire):
    id: str
    modified_time: datetime | None = None
    values: dict[str, Any]


class RecordPage(_Wire):
    """One page of a listing; `next_cursor` resumes the listing after this page (None at the end)."""

    records: list[CrmRecord]
    next_cursor: str | None = None


class DeletedRecord(_Wire):
    id: str
    deleted_time: datetime | None = None
    type: str | None = None
    display_name: str | None = None


class DeletedPage(_Wire):
    records: list[DeletedRecord]
    next_cursor: str | None = None


class WriteOutcome(_Wire):
    """The CRM's answer for one record of a batch write, in the order the records were sent."""

    ok: bool
    code: str
    message: str | None = None
    id: str | None = None
    field: str | None = None
    action: Literal["insert", "update"] | None = None
    duplicate_field: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class Criterion(_Wire):
    """One search condition; the adapter escapes the value."""

    field: str
    operator: SearchOperator = "equals"
    value: str | int | float | bool | list[str]


class WatchChannel(_Wire):
    """A notification channel to enable or update (Notifications API)."""

    channel_id: str
    events: list[str]
    notify_url: str
    token: str | None = None
    channel_expiry: datetime | None = None
    return_affected_field_values: bool = False
    notify_on_related_action: bool | None = None
    notification_condition: list[dict[str, Any]] | None = None


class WatchSubscription(_Wire):
    """A channel as the CRM lists it."""

    channel_id: str
    events: list[str] = Field(default_factory=list)
    notify_url: str | None = None
    channel_expiry: datetime | None = None
    token: str | None = None


class WatchOutcome(_Wire):
    ok: bool
    code: str
    message: str | None = None
    channel_id: str | None = None
    channel_expiry: datetime | None = None


class CrmPort(Protocol):
    def get_org(self) -> CrmOrg: ...

    def list_currencies(self) -> list[CrmCurrency]: ...

    def list_users(self, user_type: UserType = "ActiveUsers") -> list[CrmUser]: ...

    def list_fields(self, module: str) -> list[CrmField]:
        """Field settings of a module (`settings/fields?module=`)."""
        ...

    def list_custom_views(self, module: str) -> list[CrmCustomView]:
        """The module's custom views, every page (`settings/custom_views?module=`); an id is what `cvid` takes."""
        ...

    def iter_record_pages(
        self,
        module: str,
        fields: Sequence[str],
        *,
        modified_since: datetime | None = None,
        cvid: str | None = None,
        sort_by: SortBy | None = None,
        sort_order: SortOrder | None = None,
        cursor: str | None = None,
    ) -> Iterator[RecordPage]:
        """Pages of records (≤50 fields); from `cursor` (a page's `next_cursor`) when given.

        `modified_since` (timezone-aware) keeps records modified after it; nothing matching is no
        page at all. `cvid` and `sort_by` cannot be combined.
        """
        ...

    def get_record(self, module: str, record_id: str, fields: Sequence[str] | None = None) -> CrmRecord:
        """One record with its subforms; raises NotFound."""
        ...

    def insert_records(
        self, module: str, records: Sequence[Mapping[str, Any]], *, trigger: Sequence[str] | None = None
    ) -> list[WriteOutcome]: ...

    def update_records(
        self, module: str, records: Sequence[Mapping[str, Any]], *, trigger: Sequence[str] | None = None
    ) -> list[WriteOutcome]:
        """Each record carries its `id`."""
        ...

    def upsert_records(
        self,
        module: str,
        records: Sequence[Mapping[str, Any]],
        *,
        duplicate_check_fields: Sequence[str] | None = None,
        trigger: Sequence[str] | None = None,
    ) -> list[WriteOutcome]: ...

    def delete_records(
        self, module: str, ids: Sequence[str], *, wf_trigger: bool = False
    ) -> list[WriteOutcome]: ...

    def iter_deleted_pages(
        self,
        module: str,
        *,
        deleted_type: DeletedType = "all",
        modified_since: datetime | None = None,
        cursor: str | None = None,
    ) -> Iterator[DeletedPage]: ...

    def search_records(
        self,
        module: str,
        *,
        criteria: Sequence[Criterion] = (),
        match: Literal["and", "or"] = "and",
        word: str | None = None,
        fields: Sequence[str] | None = None,
    ) -> list[CrmRecord]:
        """Records matching all (or any) criteria, or the word; at most 2,000 (the CRM's cap)."""
        ...

    def enable_watch(self, channels: Sequence[WatchChannel]) -> list[WatchOutcome]: ...

    def list_watches(self) -> list[WatchSubscription]: ...

    def update_watch(self, channels: Sequence[WatchChannel]) -> list[WatchOutcome]: ...

    def disable_watch(self, channel_ids: Sequence[str]) -> list[WatchOutcome]: ...

    # deals, as the deal-stage automation reads them

    def get_deal(self, deal_id: str) -> Deal:
        """One deal, typed; raises NotFound."""
        ...

    def list_deal_stages(self) -> list[StageRule]:
        """The Deals `Stage` picklist: probability and deal category of every value."""
        ...

    def iter_deal_changes(self, modified_since: datetime) -> Iterator[list[DealChange]]:
        """Deals modified after `modified_since`, oldest change first, a page at a time."""
        ...

    def call_budget(self) -> CallBudget:
        """Credits left today as the CRM's last answer told them (`X-API-CREDITS-REMAINING`, sent
        once half of the day's credits are spent; unknown before); not paced."""
        ...
