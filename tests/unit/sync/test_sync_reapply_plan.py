"""S7 re-apply: when a save marks one, which runs re-apply, and how a linked pair is planned again
under new settings (the real planner; compares both sides' values, writes only what differs)."""

from __future__ import annotations

from datetime import UTC, datetime

from crmsync.domain.models import (
    CrmSource,
    DuplicatePolicy,
    FieldPair,
    Module,
    ModulePreferences,
    ModuleSettings,
    Side,
)
from crmsync.domain.sync.canonical import record_hash, to_canonical
from crmsync.domain.sync.model import Outcome, RecordKind
from crmsync.services.sync import reapply
from tests.unit.sync.test_sync_planner import ACME_CRM, ACME_INV, context, crm, inv, linked, plan

TIER = (FieldPair(crm="Tier", inventory="cf_tier"),)
SAVED = ModuleSettings(crm_source=CrmSource.ACCOUNTS)


def preferences(**fields) -> ModulePreferences:
    return ModulePreferences(
        integration_id="int-1", module=Module.CUSTOMERS, version=3, settings=SAVED, **fields
    )


def test_s7_a_save_marks_a_reapply_only_when_it_changes_settings_a_run_has_used():
    ran = preferences(last_run_id="run-1", updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert reapply.marks(ran, SAVED.model_copy(update={"field_map": TIER})) is True
    assert reapply.marks(ran, SAVED.model_copy(update={"duplicates": DuplicatePolicy.OVERWRITE})) is True
    assert reapply.marks(ran, SAVED) is False  # saved again as it was
    assert reapply.marks(preferences(), SAVED.model_copy(update={"field_map": TIER})) is False  # never ran
    assert reapply.marks(None, SAVED) is False  # the first save


def test_s7_only_a_module_sync_re_applies_not_a_retry_run_with_its_own_phases():
    marked = preferences(reapply_version=3, reapply_remapped=("notes",))
    assert reapply.asked(marked, None) == reapply.Reapply(version=3, remapped=frozenset({"notes"}))
    assert reapply.asked(marked, ("retry:crm", "match:crm")) is None
    assert reapply.asked(preferences(), None) is None


def test_s7_remapped_paths_are_those_another_crm_field_fills_now_with_those_still_pending():
    ran = preferences(last_run_id="run-1")
    assert (
        reapply.remapped_since(ran, SAVED.model_copy(update={"duplicates": DuplicatePolicy.OVERWRITE})) == ()
    )
    industry = (FieldPair(crm="Industry", inventory="notes"),)  # replaces the default Description -> notes
    assert reapply.remapped_since(ran, SAVED.model_copy(update={"field_map": industry + TIER})) == (
        "cf_tier",
        "notes",
    )
    pending = preferences(last_run_id="run-1", reapply_version=3, reapply_remapped=("cf_tier",))
    assert reapply.remapped_since(pending, SAVED.model_copy(update={"field_map": industry})) == (
        "cf_tier",
        "notes",
    )
    items = ModulePreferences(integration_id="int-1", module=Module.ITEMS, settings=ModuleSettings())
    with_type = ModuleSettings(product_type_field="Kind")
    assert reapply.remapped_since(items, with_type) == ("product_type",)


def test_s7_a_pair_already_planned_with_the_new_settings_is_planned_as_in_any_run():
    ctx = context(crm_source=CrmSource.ACCOUNTS)
    mapping = linked(
        ctx, crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV), settings_version=4
    )
    assert reapply.to_plan(reapply.Reapply(version=4), mapping, Side.CRM) is mapping
    assert reapply.to_plan(None, mapping.model_copy(update={"settings_version": None}), Side.CRM) is not None
    owed = reapply.to_plan(
        reapply.Reapply(version=5, remapped=frozenset({"website"})), mapping, Side.INVENTORY
    )
    assert owed.inventory_hash is None and owed.crm_hash == mapping.crm_hash
    assert "website" not in owed.base and owed.base["billing_address.city"] == "Oslo"


def test_s7_a_new_field_mapping_writes_a_pair_whose_values_differ_and_not_one_that_agrees():
    before = context(crm_source=CrmSource.ACCOUNTS)
    after = context(crm_source=CrmSource.ACCOUNTS, field_map=TIER, custom_kinds={"cf_tier": "picklist"})
    after = after.model_copy(update={"preferences_version": 2})
    gold = crm(RecordKind.ACCOUNT, {**ACME_CRM, "Tier": "Gold"})
    agrees = inv(
        RecordKind.ACCOUNT, {**ACME_INV, "custom_fields": [{"api_name": "cf_tier", "value": "Gold"}]}
    )
    lacks = inv(RecordKind.ACCOUNT, ACME_INV)

    order = reapply.Reapply(version=2, remapped=frozenset({"cf_tier"}))
    same = plan(after, gold, reapply.to_plan(order, linked(before, gold, agrees), Side.CRM), agrees)
    assert same.outcome is Outcome.SKIPPED and same.writes == ()
    assert (same.mapping.settings_version, same.mapping.crm_hash, same.mapping.inventory_hash) == (
        2,
        record_hash(to_canonical(after, gold)),
        record_hash(to_canonical(after, agrees)),
    )
    assert same.mapping.base["cf_tier"] == "Gold"

    differs = plan(after, gold, reapply.to_plan(order, linked(before, gold, lacks), Side.CRM), lacks)
    [write] = differs.writes
    assert differs.outcome is Outcome.UPDATED
    assert (write.side, write.record_id, write.changes) == (Side.INVENTORY, lacks.id, {"cf_tier": "Gold"})


def test_s7_switching_fetch_only_to_two_way_pushes_what_the_hash_alone_would_miss():
    fetch_only = context(crm_source=CrmSource.ACCOUNTS, two_way=False)
    crm0, inv0 = crm(RecordKind.ACCOUNT, ACME_CRM), inv(RecordKind.ACCOUNT, ACME_INV)
    edited = inv(RecordKind.ACCOUNT, {**ACME_INV, "website": "acme.com"})
    kept = plan(fetch_only, edited, linked(fetch_only, crm0, inv0), crm0).mapping  # fetch-only: stays local
    two_way = context(crm_source=CrmSource.ACCOUNTS).model_copy(update={"preferences_version": 2})
    assert plan(two_way, crm0, kept, edited).outcome is Outcome.SKIPPED  # the CRM side's hash is unchanged
    pushed = plan(two_way, crm0, reapply.to_plan(reapply.Reapply(version=2), kept, Side.CRM), edited)
    [write] = pushed.writes
    assert (write.side, write.changes) == (Side.CRM, {"website": "acme.com"})


def test_s7_a_crm_field_remapped_onto_a_path_does_not_clear_what_the_former_field_filled():
    before = context(crm_source=CrmSource.ACCOUNTS)  # Description -> notes, by default
    after = context(crm_source=CrmSource.ACCOUNTS, field_map=(FieldPair(crm="Industry", inventory="notes"),))
    after = after.model_copy(update={"preferences_version": 2})
    described = crm(RecordKind.ACCOUNT, {**ACME_CRM, "Description": "Key account"})
    noted = inv(RecordKind.ACCOUNT, {**ACME_INV, "notes": "Key account"})
    mapping = linked(before, described, noted)
    as_is = reapply.to_plan(reapply.Reapply(version=2), mapping, Side.CRM)  # the base still says notes
    cleared = plan(after, described, as_is, noted)  # Industry is empty: it reads as a clear of notes
    assert [w.changes for w in cleared.writes] == [{"notes": None}]
    order = reapply.Reapply(version=2, remapped=frozenset({"notes"}))
    kept = plan(after, described, reapply.to_plan(order, mapping, Side.CRM), noted)
    assert [(w.side, w.changes) for w in kept.writes] == [(Side.CRM, {"notes": "Key account"})]
