"""Store contract: module preferences and status, cursors."""

from __future__ import annotations

import pytest

from crmsync.domain.errors import ConflictError, NotFoundError
from crmsync.domain.models import (
    CrmSource,
    DuplicatePolicy,
    FieldPair,
    Module,
    ModulePreferences,
    ModuleSettings,
    ModuleStatus,
    RunCounts,
    Side,
)
from crmsync.domain.sync_state import Cursor

SETTINGS = ModuleSettings(
    crm_source=CrmSource.ACCOUNTS_AND_CONTACTS,
    include_unassociated_contacts=True,
    duplicates=DuplicatePolicy.OVERWRITE,
    field_map=[FieldPair(crm="Phone", inventory="phone")],
)


def first_save(store, integration_id: str = "int-1", module: Module = Module.CUSTOMERS) -> ModulePreferences:
    return store.save_module_settings(
        ModulePreferences(integration_id=integration_id, module=module, settings=SETTINGS)
    )


def test_save_module_settings_creates_version_one_when_never_saved(store, clock):
    saved = first_save(store)
    assert (saved.version, saved.settings, saved.status, saved.paused) == (
        1,
        SETTINGS,
        ModuleStatus.NEVER_SYNCED,
        False,
    )
    assert saved.updated_at == clock()
    assert store.get_module("int-1", Module.CUSTOMERS) == saved
    assert store.get_module("int-1", Module.ITEMS) is None


def test_save_module_settings_raises_conflict_when_version_is_stale(store):
    saved = first_save(store)
    store.save_module_settings(saved.model_copy(update={"settings": ModuleSettings()}))
    with pytest.raises(ConflictError) as raised:
        store.save_module_settings(saved.model_copy(update={"settings": SETTINGS}))
    assert raised.value.current == 2
    with pytest.raises(ConflictError):
        first_save(store)  # version 0 means "create", and it exists


def test_set_module_status_keeps_version_and_settings_when_a_run_reports(store):
    saved = first_save(store)
    counts = RunCounts(added=3, failed=1)
    store.set_module_status("int-1", Module.CUSTOMERS, ModuleStatus.DONE, run_id="run-1", counts=counts)
    current = store.get_module("int-1", Module.CUSTOMERS)
    assert (current.status, current.last_run_id, current.last_run_counts) == (
        ModuleStatus.DONE,
        "run-1",
        counts,
    )
    assert (current.version, current.settings) == (1, SETTINGS)
    assert store.save_module_settings(saved).version == 2  # a status change does not make a save conflict


def test_set_module_status_raises_not_found_when_module_never_saved(store):
    with pytest.raises(NotFoundError):
        store.set_module_status("int-1", Module.VENDORS, ModuleStatus.RUNNING)
    assert store.get_module("int-1", Module.VENDORS) is None


def test_set_module_paused_is_kept_when_settings_are_saved_again(store):
    saved = first_save(store)
    store.set_module_paused("int-1", Module.CUSTOMERS, True)
    store.save_module_settings(saved)
    assert store.get_module("int-1", Module.CUSTOMERS).paused is True


def test_list_modules_returns_every_saved_module_when_several(store):
    for module in (Module.ITEMS, Module.CUSTOMERS):
        first_save(store, module=module)
    first_save(store, integration_id="int-2", module=Module.VENDORS)
    assert {m.module for m in store.list_modules("int-1")} == {Module.CUSTOMERS, Module.ITEMS}


def cursor_at(clock, **delta) -> Cursor:
    moment = clock.advance(**delta)
    return Cursor(
        integration_id="int-1", module=Module.ITEMS, side=Side.CRM, position=moment, updated_at=moment
    )


def test_advance_cursor_moves_forward_when_position_is_later(store, clock):
    assert store.advance_cursor(cursor_at(clock))
    later = cursor_at(clock, seconds=0.5)
    assert store.advance_cursor(later)
    assert store.advance_cursor(later)  # same position again: accepted (idempotent)
    assert store.get_cursor("int-1", Module.ITEMS, Side.CRM) == later


def test_advance_cursor_refuses_when_position_is_earlier(store, clock):
    early = cursor_at(clock)
    late = cursor_at(clock, minutes=3)
    store.advance_cursor(late)
    assert store.advance_cursor(early) is False
    assert store.get_cursor("int-1", Module.ITEMS, Side.CRM) == late


def test_reset_cursor_forgets_position_when_asked(store, clock):
    store.advance_cursor(cursor_at(clock))
    store.reset_cursor("int-1", Module.ITEMS, Side.CRM)
    assert store.get_cursor("int-1", Module.ITEMS, Side.CRM) is None
    assert store.get_cursor("int-1", Module.ITEMS, Side.INVENTORY) is None
