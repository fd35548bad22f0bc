"""B2 preview: what the next run of a module would do, with its saved or proposed preferences, before
anything is written.

A preview is a run of trigger `preview` in the history: the same phases, steps and pacing as the
run it foresees (so a large organization's preview is checkpointed and resumed step by step like a
sync), carried out by the engine against an overlay of the store (`preview_store`) with an applier
that writes to no vendor (`preview_apply`). It never touches the real mappings, match index,
watermarks or open failures, and it is not the module's run: the module's status, last run and the
next run's starting point stay as they are. Its counts are the counts the run would have; its tally
and samples (`crmsync.domain.preview`) say which records, with both sides' names and the fields that
would change.

Proposed preferences are checked as a save checks them (the same 422) and are not saved. They are
planned as the run after such a save: a changed setting of a module that has run re-applies (S7).
A newer preview of the module replaces an unfinished older one, which ends as failed.
"""

from __future__ import annotations

from datetime import datetime

from crmsync.domain.errors import ConflictError
from crmsync.domain.models import IntegrationState, Module, ModulePreferences, ModuleSettings, Trigger
from crmsync.domain.preview import PreviewTally
from crmsync.domain.sync_state import SyncRun
from crmsync.ports.store import Store
from crmsync.services.deps import Deps
from crmsync.services.integrations import get_integration
from crmsync.services.modules import check_settings
from crmsync.services.sync import reapply, runs

RECENT_RUNS = 20  # the history page searched for an unfinished preview to replace


def start_preview(
    deps: Deps, tenant_id: str, integration_id: str, module: Module, proposed: ModuleSettings | None
) -> SyncRun:
    """Queues a preview of the module's next run (saved preferences when `proposed` is None).

    ConflictError (409) when the integration is not active, the module is paused, or nothing is
    proposed for a module never saved; InvalidFieldsError (422) for proposed preferences that a save
    would refuse.
    """
    store = deps.store
    integration = get_integration(store, tenant_id, integration_id)
    if integration.state is not IntegrationState.ACTIVE:
        raise ConflictError(
            f"The integration is {integration.state}; it cannot preview a sync now.",
            current=integration.state,
        )
    saved = store.get_module(integration_id, module)
    if saved is not None and saved.paused:
        raise ConflictError(f"The {module} module is paused; resume it first.", current="paused")
    if proposed is None:
        if saved is None or saved.version == 0:
            raise ConflictError(
                f"The {module} module is not configured yet; send the preferences to preview.",
                current="never_saved",
            )
        preferences = saved
    else:
        check_settings(deps.vendors, integration, module, proposed)
        preferences = _as_if_saved(integration_id, module, saved, proposed)
    at = deps.clock()
    previous = runs.current_run(store, saved) if saved is not None else None
    run = runs.new_run(integration, preferences, Trigger.PREVIEW, previous, at)
    run = run.model_copy(update={"preview": PreviewTally()})
    _replace_unfinished(store, run, at)
    store.create_run(run)
    deps.sync_queue.send(runs.message_for(run))
    return run


def _as_if_saved(
    integration_id: str, module: Module, saved: ModulePreferences | None, proposed: ModuleSettings
) -> ModulePreferences:
    """The preferences a save of `proposed` would leave, with the re-apply mark it would set (S7)."""
    version = (saved.version if saved else 0) + 1
    marks = reapply.marks(saved, proposed)
    marked = version if marks else (saved.reapply_version if saved else None)
    if marks and saved:
        remapped = reapply.remapped_since(saved, proposed)
    else:  # a mark still pending from an earlier save, or none
        remapped = saved.reapply_remapped if saved and marked else ()
    return ModulePreferences(
        integration_id=integration_id,
        module=module,
        version=version,
        settings=proposed,
        reapply_version=marked,
        reapply_remapped=remapped,
    )


def _replace_unfinished(store: Store, run: SyncRun, at: datetime) -> None:
    for earlier in store.list_runs(run.integration_id, limit=RECENT_RUNS).items:
        if (
            earlier.trigger is Trigger.PREVIEW
            and earlier.module is run.module
            and earlier.status not in runs.FINISHED
        ):
            runs.fail_run(store, earlier, f"Replaced by a newer preview ({run.run_id}).", at)
