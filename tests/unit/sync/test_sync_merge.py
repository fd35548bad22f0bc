"""Three-way merge against the last synced base, with cleared fields (issue 14, point 3)."""

from __future__ import annotations

import pytest

from crmsync.domain.field_catalog import INVENTORY_STANDARD_FIELDS, FieldKind
from crmsync.domain.models import Side
from crmsync.domain.sync.merge import KEPT_WHEN_CLEARED, merge
from crmsync.domain.sync.model import FieldConflict


def test_different_fields_changed_on_each_side_both_merge():
    base = {"city": "Oslo", "phone": "1"}
    result = merge(base, {"city": "Bergen", "phone": "1"}, {"city": "Oslo", "phone": "2"}, Side.CRM)
    assert result.merged == {"city": "Bergen", "phone": "2"}
    assert result.to_crm == {"phone": "2"}
    assert result.to_inventory == {"city": "Bergen"}
    assert result.conflicts == ()


@pytest.mark.parametrize(("winner", "value"), [(Side.CRM, "Bergen"), (Side.INVENTORY, "Tromsø")])
def test_same_field_changed_on_both_takes_winner_and_records_conflict(winner, value):
    result = merge({"city": "Oslo"}, {"city": "Bergen"}, {"city": "Tromsø"}, winner)
    assert result.merged == {"city": value}
    assert result.conflicts == (
        FieldConflict(field="city", crm_value="Bergen", inventory_value="Tromsø", winner=winner),
    )


def test_same_change_on_both_sides_is_no_conflict():
    result = merge({"city": "Oslo"}, {"city": "Bergen"}, {"city": "Bergen"}, Side.CRM)
    assert result.merged == {"city": "Bergen"} and result.to_crm == result.to_inventory == {}
    assert result.conflicts == ()


@pytest.mark.parametrize("empty", [None, ""])
def test_field_cleared_on_one_side_and_unchanged_on_the_other_is_cleared_there(empty):
    result = merge({"city": "Oslo"}, {"city": empty}, {"city": "Oslo"}, Side.CRM)
    assert result.merged == {"city": None} and result.conflicts == ()
    assert result.to_inventory == {"city": None} and result.to_crm == {}


@pytest.mark.parametrize("winner", list(Side))
def test_field_cleared_on_one_side_and_edited_on_the_other_is_a_conflict_the_winner_takes(winner):
    result = merge({"city": "Oslo"}, {"city": None}, {"city": "Bergen"}, winner)
    assert result.merged == {"city": None if winner is Side.CRM else "Bergen"}
    assert result.conflicts == (
        FieldConflict(field="city", crm_value=None, inventory_value="Bergen", winner=winner),
    )


@pytest.mark.parametrize(("field", "filled"), [("contact_name", "Acme"), ("rate", 5), ("status", True)])
def test_field_a_vendor_cannot_empty_keeps_the_other_sides_value(field, filled):
    cleared = merge({field: filled}, {field: None}, {field: filled}, Side.CRM)
    assert (
        cleared.merged == {field: filled} and cleared.to_crm == {field: filled} and cleared.to_inventory == {}
    )
    against_edit = merge({field: "old"}, {field: filled}, {field: None}, Side.INVENTORY)
    assert against_edit.merged == {field: filled} and against_edit.conflicts == ()


def test_every_standard_inventory_field_that_is_not_text_is_kept_when_cleared():
    """The inventory has no empty value for its numbers, booleans and picklists (M6 standard fields)."""
    not_text = {
        f.name
        for fields in INVENTORY_STANDARD_FIELDS.values()
        for f in fields
        if f.kind is not FieldKind.TEXT
    }
    assert not_text <= KEPT_WHEN_CLEARED


def test_fields_missing_from_base_count_as_changed_by_side_with_value():
    result = merge({}, {"city": None, "phone": "1"}, {"city": "Oslo", "phone": None}, Side.CRM)
    assert result.merged == {"city": "Oslo", "phone": "1"}
    assert result.to_crm == {"city": "Oslo"} and result.to_inventory == {"phone": "1"}


def test_fields_missing_from_base_and_filled_on_both_differently_take_winner():
    result = merge({}, {"name": "A"}, {"name": "B"}, Side.INVENTORY)
    assert result.merged == {"name": "B"} and len(result.conflicts) == 1


def test_unchanged_fields_produce_no_writes():
    base = {"city": "Oslo", "rate": 5}
    result = merge(base, {"city": "Oslo", "rate": 5.0}, {"city": "Oslo", "rate": 5}, Side.CRM)
    assert result.to_crm == result.to_inventory == {} and result.conflicts == ()
