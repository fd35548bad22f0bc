"""Property tests of the three-way merge with cleared fields (issue 14, point 3): random bases and
both sides' values, field by field, against the rules of `merge`'s docstring."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crmsync.domain.models import Side
from crmsync.domain.sync.merge import KEPT_WHEN_CLEARED, merge
from crmsync.domain.sync.values import stable

CLEARABLE = ("city", "phone", "cf_tier")
KEPT = ("contact_name", "rate")
FIELDS = CLEARABLE + KEPT
assert set(KEPT) <= KEPT_WHEN_CLEARED and not set(CLEARABLE) & KEPT_WHEN_CLEARED

values = st.sampled_from([None, "", "a", "b", 1, 1.0, 2.5])
records = st.fixed_dictionaries({field: values for field in FIELDS})
bases = st.dictionaries(st.sampled_from(FIELDS), values.filter(lambda v: stable(v) is not None))
winners = st.sampled_from(list(Side))
PROPERTY = settings(max_examples=400, deadline=None)


@PROPERTY
@given(base=bases, crm=records, inventory=records, winner=winners)
def test_writes_bring_both_sides_to_the_merged_values(base, crm, inventory, winner):
    result = merge(base, crm, inventory, winner)
    for side, writes in ((crm, result.to_crm), (inventory, result.to_inventory)):
        after = {field: stable(value) for field, value in {**side, **writes}.items()}
        assert after == result.merged
        assert all(stable(side[field]) != value for field, value in writes.items()), (
            "a write that changes nothing"
        )


@PROPERTY
@given(base=bases, crm=records, inventory=records, winner=winners)
def test_a_change_on_one_side_only_is_taken_a_clear_included_unless_the_field_is_kept(
    base, crm, inventory, winner
):
    result = merge(base, crm, inventory, winner)
    for field in FIELDS:
        was, on_crm, on_inventory = stable(base.get(field)), stable(crm[field]), stable(inventory[field])
        for changed, unchanged in ((on_crm, on_inventory), (on_inventory, on_crm)):
            if changed == was or unchanged != was:
                continue
            kept = field in KEPT_WHEN_CLEARED and changed is None
            assert result.merged[field] == (unchanged if kept else changed), field
            assert all(c.field != field for c in result.conflicts)


@PROPERTY
@given(base=bases, crm=records, inventory=records, winner=winners)
def test_the_same_field_changed_on_both_sides_goes_to_the_winner_and_is_recorded(
    base, crm, inventory, winner
):
    result = merge(base, crm, inventory, winner)
    conflicts = {c.field: c for c in result.conflicts}
    for field in FIELDS:
        was, on_crm, on_inventory = stable(base.get(field)), stable(crm[field]), stable(inventory[field])
        if not (on_crm != was and on_inventory != was and on_crm != on_inventory):
            assert field not in conflicts
            continue
        if field in KEPT_WHEN_CLEARED and None in (on_crm, on_inventory):
            assert result.merged[field] == (on_crm if on_inventory is None else on_inventory)
            assert field not in conflicts
            continue
        assert result.merged[field] == (on_crm if winner is Side.CRM else on_inventory)
        assert (conflicts[field].crm_value, conflicts[field].inventory_value) == (on_crm, on_inventory)
        assert conflicts[field].winner is winner


@PROPERTY
@given(base=bases, crm=records, inventory=records, winner=winners)
def test_nothing_is_emptied_unless_a_side_cleared_a_field_filled_at_the_last_sync(
    base, crm, inventory, winner
):
    result = merge(base, crm, inventory, winner)
    for field, value in result.merged.items():
        if value is None and (stable(crm[field]) is not None or stable(inventory[field]) is not None):
            assert stable(base.get(field)) is not None and field not in KEPT_WHEN_CLEARED, field


@PROPERTY
@given(crm=records, inventory=records)
def test_without_a_base_an_empty_value_never_wipes_a_filled_one(crm, inventory):
    """M4 links a duplicate with an empty base: an empty CRM value keeps the inventory's."""
    result = merge({}, crm, inventory, Side.CRM)
    for field, value in result.merged.items():
        assert (value is None) == (stable(crm[field]) is None and stable(inventory[field]) is None), field


@PROPERTY
@given(base=bases, crm=records, inventory=records, winner=winners)
def test_sides_swapped_give_the_mirrored_result(base, crm, inventory, winner):
    result, mirrored = merge(base, crm, inventory, winner), merge(base, inventory, crm, winner.other)
    assert mirrored.merged == result.merged
    assert (mirrored.to_crm, mirrored.to_inventory) == (result.to_inventory, result.to_crm)
    assert sorted(c.field for c in mirrored.conflicts) == sorted(c.field for c in result.conflicts)


@PROPERTY
@given(base=bases, crm=records, inventory=records, winner=winners)
def test_merging_again_after_the_writes_changes_nothing(base, crm, inventory, winner):
    result = merge(base, crm, inventory, winner)
    synced = {field: value for field, value in result.merged.items() if value is not None}
    again = merge(synced, {**crm, **result.to_crm}, {**inventory, **result.to_inventory}, winner)
    assert (again.to_crm, again.to_inventory, again.conflicts) == ({}, {}, ())
    assert again.merged == result.merged
