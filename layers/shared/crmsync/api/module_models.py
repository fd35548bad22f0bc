"""Bodies of the module routes (M1-M9, S7): preferences in and out, status, fields for mapping, views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool

from crmsync.contracts.strict import Strict
from crmsync.domain.field_catalog import DefaultPair, FieldKind
from crmsync.domain.models import (
    CrmSource,
    Direction,
    DuplicatePolicy,
    FieldPair,
    Module,
    ModulePreferences,
    ModuleSettings,
    ModuleStatus,
    ModuleViews,
    RunCounts,
)
from crmsync.domain.sync_state import RunProgress
from crmsync.ports.crm import CrmCustomView
from crmsync.services.modules import CrmFieldEntry, InventoryFieldEntry, ModuleFields

FieldName = Annotated[str, Field(min_length=1, max_length=100)]
ViewId = Annotated[str, Field(min_length=1, max_length=40)]


class CustomViews(Strict):
    """A CRM custom view id per CRM module that restricts which records sync (M5); null: all."""

    accounts: ViewId | None = None
    contacts: ViewId | None = None
    vendors: ViewId | None = None
    products: ViewId | None = None


class FieldMapping(Strict):
    """`inventory` is a standard field path (`billing_address.city`) or a custom field (`cf_region`)."""

    crm: FieldName
    inventory: FieldName


class _Preferences(Strict):
    crm_source: CrmSource | None = None
    include_unassociated_contacts: StrictBool = False
    duplicates: DuplicatePolicy = DuplicatePolicy.SKIP
    views: CustomViews = CustomViews()
    field_map: list[FieldMapping] = Field(default_factory=list, max_length=100)
    product_type_field: FieldName | None = None


class PreferencesIn(_Preferences):
    """Body of `PUT .../modules/{module}`. `direction` defaults to the integration's (two_way for a
    primary); `version` is the version the admin edited, refused with 409 when stale."""

    direction: Direction | None = None
    version: int | None = Field(default=None, ge=0)

    def to_settings(self, default_direction: Direction) -> ModuleSettings:
        return ModuleSettings(
            crm_source=self.crm_source,
            include_unassociated_contacts=self.include_unassociated_contacts,
            direction=self.direction or default_direction,
            duplicates=self.duplicates,
            views=ModuleViews(**self.views.model_dump()),
            field_map=tuple(FieldPair(crm=pair.crm, inventory=pair.inventory) for pair in self.field_map),
            product_type_field=self.product_type_field,
        )


class PreferencesOut(_Preferences):
    direction: Direction

    @classmethod
    def of(cls, settings: ModuleSettings) -> PreferencesOut:
        return cls(
            crm_source=settings.crm_source,
            include_unassociated_contacts=settings.include_unassociated_contacts,
            direction=settings.direction,
            duplicates=settings.duplicates,
            views=CustomViews(**settings.views.model_dump()),
            field_map=[FieldMapping(crm=pair.crm, inventory=pair.inventory) for pair in settings.field_map],
            product_type_field=settings.product_type_field,
        )


class RunCountsOut(BaseModel):
    """What a run did (S5). Deletes are never carried over (S8): `deleted_in_crm_kept` counts records
    deleted in the CRM whose inventory record was kept; nothing is deleted in inventory."""

    added: int
    updated: int
    deleted_in_crm_kept: int = Field(description="Deleted in the CRM, kept in inventory (S8)")
    deleted: int = Field(
        deprecated=True,
        description="The same number as deleted_in_crm_kept, under its former name; nothing is deleted in inventory",
    )
    skipped: int
    conflicts: int
    failed: int

    @classmethod
    def of(cls, counts: RunCounts) -> RunCountsOut:
        return cls(**counts.model_dump(), deleted=counts.deleted_in_crm_kept)


class CallsLeftOut(BaseModel):
    """Calls left in each vendor's budget as the syncing process last knew them; null: unknown."""

    crm: int | None
    inventory: int | None


class ProgressOut(BaseModel):
    """Where a run is: its phase (`done` when finished), records read and written so far, the total
    it reads once the vendors have told it, the vendors' budgets, and an estimate of the seconds left.
    A run whose vendor budget is spent waits, and says for whose budget and until when."""

    phase: str
    read: int
    written: int
    total: int | None
    budget: CallsLeftOut
    eta_seconds: int | None
    updated_at: datetime
    waiting_until: datetime | None = Field(
        None, description="The run waits for a vendor's call budget until then; nothing has failed."
    )
    waiting_for: str | None = Field(None, description="Whose budget it waits for, in words.")

    @classmethod
    def of(cls, progress: RunProgress | None) -> ProgressOut | None:
        return None if progress is None else cls(**progress.model_dump())


class ModuleOut(BaseModel):
    """A module's preferences (version 0: never saved, the defaults) and its status (M8), with the
    progress of its current or last run."""

    integration_id: str
    module: Module
    version: int
    preferences: PreferencesOut
    paused: bool
    status: ModuleStatus
    last_run_id: str | None = None
    last_run_counts: RunCountsOut | None = None
    progress: ProgressOut | None = None
    reapply_pending: bool = Field(
        description="Changed preferences still wait to be re-applied to the records synced before the "
        "change: the next run reads both sides in full once and writes only records whose values differ (S7)"
    )
    updated_at: datetime | None = None

    @classmethod
    def of(cls, preferences: ModulePreferences, progress: RunProgress | None = None) -> ModuleOut:
        return cls(
            integration_id=preferences.integration_id,
            module=preferences.module,
            version=preferences.version,
            preferences=PreferencesOut.of(preferences.settings),
            paused=preferences.paused,
            status=preferences.status,
            last_run_id=preferences.last_run_id,
            last_run_counts=RunCountsOut.of(preferences.last_run_counts) if preferences.last_run_counts else None,
            progress=ProgressOut.of(progress),
            reapply_pending=preferences.reapply_version is not None,
            updated_at=preferences.updated_at,
        )


class CrmFieldOut(BaseModel):
    module: str
    api_name: str
    label: str
    data_type: str
    custom: bool
    mappable: bool

    @classmethod
    def of(cls, entry: CrmFieldEntry) -> CrmFieldOut:
        return cls(
            module=entry.module,
            api_name=entry.api_name,
            label=entry.label,
            data_type=entry.data_type,
            custom=entry.custom,
            mappable=entry.kind is not None,
        )


class InventoryFieldOut(BaseModel):
    """`name` is what a field map's `inventory` takes."""

    name: str
    label: str
    data_type: str
    custom: bool
    mappable: bool

    @classmethod
    def of(cls, entry: InventoryFieldEntry) -> InventoryFieldOut:
        return cls(
            name=entry.name,
            label=entry.label,
            data_type=entry.data_type,
            custom=entry.custom,
            mappable=entry.kind is not None,
        )


class DefaultPairOut(BaseModel):
    crm_module: str
    crm: str
    crm_type: str
    inventory: str
    inventory_type: FieldKind

    @classmethod
    def of(cls, pair: DefaultPair) -> DefaultPairOut:
        return cls(
            crm_module=pair.crm_module,
            crm=pair.crm,
            crm_type=pair.crm_type,
            inventory=pair.inventory,
            inventory_type=pair.inventory_type,
        )


class ModuleFieldsOut(BaseModel):
    """Both sides' fields and the default mapping of a module, for building a field map (M6)."""

    module: Module
    crm_source: CrmSource | None
    crm_fields: list[CrmFieldOut]
    inventory_fields: list[InventoryFieldOut]
    default_map: list[DefaultPairOut]

    @classmethod
    def of(cls, listing: ModuleFields) -> ModuleFieldsOut:
        return cls(
            module=listing.module,
            crm_source=listing.crm_source,
            crm_fields=[CrmFieldOut.of(entry) for entry in listing.crm_fields],
            inventory_fields=[InventoryFieldOut.of(entry) for entry in listing.inventory_fields],
            default_map=[DefaultPairOut.of(pair) for pair in listing.default_map],
        )


class ViewOut(BaseModel):
    id: str
    name: str
    system: bool  # the CRM's own view ("All Accounts"), not one a user made

    @classmethod
    def of(cls, view: CrmCustomView) -> ViewOut:
        return cls(id=view.id, name=view.display_value or view.name or view.id, system=view.system_defined)


class ModuleViewsOut(BaseModel):
    """The CRM's custom views of each CRM module a module may read, by `views` key (M5): an id is
    what the preferences' `views` take."""

    views: dict[str, list[ViewOut]]
