"""S7: edited preferences reach the records synced before the edit, on the next run.

A regular run reads only what changed since its watermarks, so on its own a new field mapping, a
duplicate policy switched from skip to overwrite, a product-type field or a view would apply only
to records edited afterwards. Instead, a save that changes the settings of a module that has run
marks the new version as waiting to be re-applied (`ModulePreferences.reapply_version`); the
module status shows it (`reapply_pending`). The next run of the module's sync then:

- reads each side's records in full, once (its watermarks are ignored; the CRM's deleted records
  are read from their watermark as usual);
- plans every linked pair again under the new settings, comparing both sides' values rather than
  trusting the hash of the side read (a hash says nothing about the other side under a new field
  map or direction): the other side is fetched, merged against the pair's base, and only fields
  whose values differ are written; a pair that already agrees is not written, its mapping only
  takes the new hashes. An inventory path that a different CRM field fills now (a remapped
  default, a product-type field) is left out of the pair's base, since its last synced value
  belongs to the former field: an empty new field is then no clear of the inventory's value. Each
  pair is planned once: a mapping planned with the new settings (`Mapping.settings_version`) is
  handled as in any run when its other side is listed;
- stages every unlinked record for the match phases, so duplicates skipped before are linked under
  overwrite (or kept apart and created under clone);
- clears the mark when it finishes. A failed run leaves it for the next run; a save during the
  run marks the newer version, which the run does not clear.

A retry run (open failures only) never re-applies; a save that leaves the settings as they were,
or a save before the module's first run (which reads everything anyway), marks nothing.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from crmsync.domain.models import Module, ModulePreferences, ModuleSettings, Side
from crmsync.domain.sync.canonical import resolve_context
from crmsync.domain.sync_state import Mapping, SyncRun
from crmsync.observability import logger
from crmsync.ports.store import Store


class Reapply(BaseModel):
    """What a run re-applies: the version it was asked for and the remapped inventory paths."""

    model_config = ConfigDict(frozen=True)

    version: int
    remapped: frozenset[str] = frozenset()


def marks(current: ModulePreferences | None, settings: ModuleSettings) -> bool:
    """Whether saving `settings` over `current` asks for a re-apply: they differ from settings
    a run has already used (every preference can change some record's result)."""
    return current is not None and current.last_run_id is not None and current.settings != settings


def remapped_since(current: ModulePreferences, settings: ModuleSettings) -> tuple[str, ...]:
    """The inventory paths whose CRM field differs between `current` and `settings`, with those of
    a re-apply still pending: the records synced before it hold those paths from the former field."""
    before, after = _crm_field_of(current.module, current.settings), _crm_field_of(current.module, settings)
    changed = {key[1] for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    pending = set(current.reapply_remapped) if current.reapply_version is not None else set()
    return tuple(sorted(changed | pending))


def asked(preferences: ModulePreferences, plan: tuple[str, ...] | None) -> Reapply | None:
    """What a new run re-applies (None: an ordinary run): the module's own sync plan only."""
    if plan is not None or preferences.reapply_version is None:
        return None
    return Reapply(version=preferences.reapply_version, remapped=frozenset(preferences.reapply_remapped))


def replans(order: Reapply | None, mapping: Mapping) -> bool:
    """Whether a re-applying run plans this linked record even though its version was applied
    already: yes until its pair has been planned with the settings the re-apply asks for."""
    return order is not None and (mapping.settings_version or 0) < order.version


def to_plan(order: Reapply | None, mapping: Mapping, side: Side) -> Mapping:
    """The mapping the planner sees: one a re-apply still owes a planning has no hash for the
    side read, so the planner fetches the other side and merges values instead of skipping, and no
    base for the remapped paths."""
    if order is None or not replans(order, mapping):
        return mapping
    base = {path: value for path, value in mapping.base.items() if path not in order.remapped}
    return mapping.model_copy(update={f"{side.value}_hash": None, "base": base})


def settle(store: Store, run: SyncRun, order: Reapply | None) -> None:
    """After a finished run: clears the mark its re-apply answered (a later mark stays)."""
    if order is None:
        return
    cleared = store.clear_reapply(run.integration_id, run.module, up_to_version=run.preferences_version)
    logger.info("re-apply of edited preferences done", extra={"run_id": run.run_id, "mark_cleared": cleared})


def _crm_field_of(module: Module, settings: ModuleSettings) -> dict[tuple[str, str], str]:
    """(CRM module, inventory path) -> the CRM field that fills it under `settings`."""
    resolved = resolve_context("", module, settings, 0, two_way=False)
    return {(crm_module, path): crm_field for crm_module, crm_field, path in resolved.field_map}
