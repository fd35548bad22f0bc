"""The phases of a run, in order (M2, L3).

A pass reads one change stream: records that are mapped are synced at once; records without a
mapping are put in the match index of their side and staged. The match phases then take each side's
staged records, in the module's order, and decide about them against the other side's index
(duplicates, M4), so a record created on both sides since the last run is matched, not duplicated.

- two-way customers and vendors (CRM first): CRM passes, CRM deletes, inventory pass, match CRM,
  match inventory;
- two-way items (inventory first): inventory pass, CRM pass, CRM deletes, match inventory, match CRM;
  after enable (L3, `fetch_from_crm_first`) the CRM goes first for items too;
- fetch from CRM: CRM passes, CRM deletes, the inventory side only indexed, match CRM.

A retry run (trigger "retry") has no passes over change streams: a retry phase per side re-reads that
side's records with open failures (`failed_records.retry_phase`), then the module's match phases.
"""

from __future__ import annotations

from crmsync.domain.field_catalog import crm_modules
from crmsync.domain.models import Module, ModuleSettings, Side

INVENTORY = "inventory"
INVENTORY_INDEX = "inventory_index"
MATCH_CRM = "match:crm"
MATCH_INVENTORY = "match:inventory"
MATCHES = (MATCH_CRM, MATCH_INVENTORY)
RETRY = "retry:"


def crm_pass(crm_module: str) -> str:
    return f"crm:{crm_module}"


def deleted_pass(crm_module: str) -> str:
    return f"deleted:{crm_module}"


def retry_pass(side: Side) -> str:
    return f"{RETRY}{side}"


def crm_module_of(phase: str) -> str:
    return phase.split(":", 1)[1]


def side_of(phase: str) -> Side:
    """The side of a retry or match phase."""
    return Side(phase.split(":", 1)[1])


def plan_phases(module: Module, settings: ModuleSettings, *, two_way: bool, crm_first: bool) -> tuple[str, ...]:
    read = crm_modules(module, settings.crm_source if module is Module.CUSTOMERS else None)
    crm = tuple(crm_pass(m) for m in read) + tuple(deleted_pass(m) for m in read)
    if not two_way:
        return (*crm, INVENTORY_INDEX, MATCH_CRM)
    if module is Module.ITEMS and not crm_first:
        return (INVENTORY, *crm, MATCH_INVENTORY, MATCH_CRM)
    return (*crm, INVENTORY, MATCH_CRM, MATCH_INVENTORY)


def retry_phases(
    module: Module, settings: ModuleSettings, sides: tuple[Side, ...], *, two_way: bool, crm_first: bool
) -> tuple[str, ...]:
    """A retry run: the retry phase of each side, then the match phases of the module's sync."""
    matches = tuple(p for p in plan_phases(module, settings, two_way=two_way, crm_first=crm_first) if p in MATCHES)
    return (*(retry_pass(side) for side in sides), *matches)
