"""Three-way merge against the last synced base."""

from __future__ import annotations

import pytest

from crmsync.domain.models import Side
from crmsync.domain.sync.merge import merge
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
def test_cleared_value_never_wipes_filled_value_on_other_side(empty):
    result = merge({"city": "Oslo"}, {"city": empty}, {"city": "Oslo"}, Side.CRM)
    assert result.merged == {"city": "Oslo"}
    assert result.to_inventory == {} and result.to_crm == {"city": "Oslo"}


def test_empty_winner_value_never_wipes_edit_on_other_side():
    result = merge({"city": "Oslo"}, {"city": None}, {"city": "Bergen"}, Side.CRM)
    assert result.merged == {"city": "Bergen"} and result.conflicts == ()


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
