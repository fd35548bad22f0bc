"""Module preferences and status, and the change-detection cursors."""

from __future__ import annotations

from typing import Any

from crmsync.adapters.dynamodb import keys
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.codec import decode, deserialize, encode
from crmsync.adapters.dynamodb.pagination import Listing
from crmsync.adapters.dynamodb.table import Condition, ConditionFailed
from crmsync.domain.errors import ConflictError, NotFoundError
from crmsync.domain.models import Module, ModulePreferences, ModuleStatus, RunCounts, Side, format_timestamp
from crmsync.domain.sync_state import Cursor

SAVED = Condition("attribute_exists(#version)", {"#version": "version"}, {})


class ModuleArea(StoreBase):
    def get_module(self, integration_id: str, module: Module) -> ModulePreferences | None:
        item = self._table.get(keys.module(integration_id, module))
        return decode(item, ModulePreferences) if item else None

    def list_modules(self, integration_id: str) -> list[ModulePreferences]:
        listing = Listing(keys.integration_partition(integration_id), keys.MODULE_PREFIX)
        return [decode(item, ModulePreferences) for item in self._table.query_all(listing)]

    def save_module_settings(
        self, preferences: ModulePreferences, *, reapply: bool = False
    ) -> ModulePreferences:
        expected = preferences.version
        if expected == 0:
            condition = Condition("attribute_not_exists(#version)", {"#version": "version"}, {})
        else:
            condition = Condition("#version = :expected", {"#version": "version"}, {":expected": expected})
        mark, mark_names, mark_values = _reapply_mark(preferences) if reapply else ("", {}, {})
        try:
            item = self._table.update(
                keys.module(preferences.integration_id, preferences.module),
                "SET #settings = :settings, #version = :version, #updated = :now,"
                " #integration = :integration, #module = :module,"
                " #status = if_not_exists(#status, :never), #paused = if_not_exists(#paused, :false)" + mark,
                {
                    "#settings": "settings",
                    "#updated": "updated_at",
                    "#integration": "integration_id",
                    "#module": "module",
                    "#status": "status",
                    "#paused": "paused",
                }
                | mark_names,
                {
                    ":settings": preferences.settings.model_dump(mode="json"),
                    ":version": expected + 1,
                    ":now": format_timestamp(self._clock()),
                    ":integration": preferences.integration_id,
                    ":module": preferences.module.value,
                    ":never": ModuleStatus.NEVER_SYNCED.value,
                    ":false": False,
                }
                | mark_values,
                condition,
            )
        except ConditionFailed as err:
            current = deserialize(err.item).get("version", 0) if err.item else 0
            raise ConflictError(
                "the module preferences changed since they were read", current=current
            ) from None
        return decode(item, ModulePreferences)

    def set_module_status(
        self,
        integration_id: str,
        module: Module,
        status: ModuleStatus,
        *,
        run_id: str | None = None,
        counts: RunCounts | None = None,
    ) -> None:
        changes: dict[str, Any] = {"status": status.value}
        if run_id is not None:
            changes["last_run_id"] = run_id
        if counts is not None:
            changes["last_run_counts"] = counts.model_dump(mode="json")
        self._set_module_fields(integration_id, module, changes)

    def clear_reapply(self, integration_id: str, module: Module, *, up_to_version: int) -> bool:
        asked_for = Condition(
            "#reapply <= :version", {"#reapply": "reapply_version"}, {":version": up_to_version}
        )
        try:
            self._table.update(
                keys.module(integration_id, module),
                "REMOVE #reapply, #remapped",
                {"#reapply": "reapply_version", "#remapped": "reapply_remapped"},
                {},
                asked_for,
            )
        except ConditionFailed:
            return False
        return True

    def set_module_paused(self, integration_id: str, module: Module, paused: bool) -> None:
        self._set_module_fields(integration_id, module, {"paused": paused})

    def _set_module_fields(self, integration_id: str, module: Module, changes: dict[str, Any]) -> None:
        names = {f"#f{i}": name for i, name in enumerate(changes)}
        values = {f":v{i}": value for i, value in enumerate(changes.values())}
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(changes)))
        try:
            self._table.update(keys.module(integration_id, module), expression, names, values, SAVED)
        except ConditionFailed:
            raise NotFoundError(f"module {module} of integration {integration_id} was never saved") from None

    # ------------------------------------------------------------ cursors
    def get_cursor(self, integration_id: str, module: Module, side: Side) -> Cursor | None:
        item = self._table.get(keys.cursor(integration_id, module, side))
        return decode(item, Cursor) if item else None

    def advance_cursor(self, cursor: Cursor) -> bool:
        not_backwards = Condition(
            "attribute_not_exists(pk) OR #position <= :position",
            {"#position": "position"},
            {":position": format_timestamp(cursor.position)},
        )
        try:
            self._table.put(
                encode(cursor, keys.cursor(cursor.integration_id, cursor.module, cursor.side)), not_backwards
            )
        except ConditionFailed:
            return False
        return True

    def reset_cursor(self, integration_id: str, module: Module, side: Side) -> None:
        self._table.delete(keys.cursor(integration_id, module, side))


def _reapply_mark(preferences: ModulePreferences) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The part of a save that marks its new version for re-apply (S7)."""
    return (
        ", #reapply = :version, #remapped = :remapped",
        {"#reapply": "reapply_version", "#remapped": "reapply_remapped"},
        {":remapped": list(preferences.reapply_remapped)},
    )
