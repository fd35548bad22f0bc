"""Store contract: the re-apply mark of edited module preferences (S7), on moto and DynamoDB Local."""

from __future__ import annotations

from crmsync.domain.models import (
    DuplicatePolicy,
    FieldPair,
    Module,
    ModulePreferences,
    ModuleSettings,
    ModuleStatus,
)

FIRST = ModuleSettings(duplicates=DuplicatePolicy.SKIP)
MAPPED = ModuleSettings(
    duplicates=DuplicatePolicy.SKIP, field_map=(FieldPair(crm="Region__c", inventory="cf_region"),)
)
OVERWRITE = MAPPED.model_copy(update={"duplicates": DuplicatePolicy.OVERWRITE})


def save(
    store, settings: ModuleSettings, version: int, *, reapply: bool = False, remapped=()
) -> ModulePreferences:
    preferences = ModulePreferences(
        integration_id="int-1",
        module=Module.CUSTOMERS,
        version=version,
        settings=settings,
        reapply_remapped=remapped,
    )
    return store.save_module_settings(preferences, reapply=reapply)


def test_s7_a_save_with_reapply_marks_the_new_version_and_a_plain_save_keeps_the_mark(store):
    assert save(store, FIRST, 0).reapply_version is None
    marked = save(store, MAPPED, 1, reapply=True, remapped=("cf_region",))
    assert (marked.version, marked.reapply_version, marked.reapply_remapped) == (2, 2, ("cf_region",))
    kept = save(store, MAPPED, 2, remapped=("ignored",))
    assert (kept.version, kept.reapply_version, kept.reapply_remapped) == (3, 2, ("cf_region",))
    again = save(store, OVERWRITE, 3, reapply=True, remapped=("cf_region", "notes"))
    assert (again.reapply_version, again.reapply_remapped) == (4, ("cf_region", "notes"))
    assert store.get_module("int-1", Module.CUSTOMERS) == again


def test_s7_clear_reapply_removes_the_mark_only_for_a_run_with_that_version_or_a_later_one(store):
    save(store, FIRST, 0)
    save(store, MAPPED, 1, reapply=True, remapped=("cf_region",))
    save(store, OVERWRITE, 2, reapply=True)  # saved while a run of version 2 went on
    assert store.clear_reapply("int-1", Module.CUSTOMERS, up_to_version=2) is False
    assert store.get_module("int-1", Module.CUSTOMERS).reapply_version == 3
    assert store.clear_reapply("int-1", Module.CUSTOMERS, up_to_version=3) is True
    cleared = store.get_module("int-1", Module.CUSTOMERS)
    assert (cleared.reapply_version, cleared.reapply_remapped, cleared.version, cleared.settings) == (
        None,
        (),
        3,
        OVERWRITE,
    )
    assert store.clear_reapply("int-1", Module.CUSTOMERS, up_to_version=3) is False  # nothing left to clear


def test_s7_clear_reapply_leaves_status_and_an_unsaved_module_alone(store):
    assert store.clear_reapply("int-1", Module.ITEMS, up_to_version=5) is False
    assert store.get_module("int-1", Module.ITEMS) is None
    save(store, FIRST, 0)
    save(store, MAPPED, 1, reapply=True)
    store.set_module_status("int-1", Module.CUSTOMERS, ModuleStatus.DONE, run_id="run-1")
    assert store.clear_reapply("int-1", Module.CUSTOMERS, up_to_version=2) is True
    module = store.get_module("int-1", Module.CUSTOMERS)
    assert (module.status, module.last_run_id, module.reapply_version) == (ModuleStatus.DONE, "run-1", None)
