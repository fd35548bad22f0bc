"""Checks one incoming record against its module's fields and turns it into stored values."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from .clock import parse_moment
from .errors import CrmError
from .schema import NONE, Field, ModuleMeta

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
IGNORED_ON_WRITE = {"Created_Time", "Modified_Time", "Created_By", "Modified_By"}


def invalid(api_name: str, path: str, message: str = "invalid data", **details: Any) -> CrmError:
    return CrmError("INVALID_DATA", message, api_name=api_name, json_path=path, **details)


def missing(api_name: str, path: str) -> CrmError:
    return CrmError("MANDATORY_NOT_FOUND", "required field not found", api_name=api_name, json_path=path)


def as_id(value: Any) -> str | None:
    """A record or user id sent as a string, a JSON number or `{"id": ...}`."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    return None


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == NONE


class RecordValidator:
    """Validates writes for one org: `exists(module, id)` resolves lookups, `users` owner lookups."""

    def __init__(
        self,
        modules: dict[str, ModuleMeta],
        exists: Callable[[str, str], bool],
        users: set[str],
        currencies: list[str],
    ) -> None:
        self.modules = modules
        self.exists = exists
        self.users = users
        self.currencies = currencies

    def clean(self, module: str, data: Any, path: str, existing: dict[str, Any] | None) -> dict[str, Any]:
        """Validated values to store; `existing` is the stored record when updating."""
        if not isinstance(data, dict):
            raise CrmError("INVALID_DATA", "invalid data", json_path=path)
        meta = self.modules[module]
        for f in meta.fields.values():
            if not f.mandatory:
                continue
            if (existing is None and is_blank(data.get(f.api_name))) or (
                f.api_name in data and is_blank(data[f.api_name])
            ):
                raise missing(f.api_name, f"{path}.{f.api_name}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == "id" or key.startswith("$") or key in IGNORED_ON_WRITE:
                continue
            f = meta.fields.get(key)
            if f is None:
                raise invalid(key, f"{path}.{key}", "invalid field")
            if f.read_only:
                continue
            field_path = f"{path}.{key}"
            if f.data_type == "subform":
                rows = existing.get(key, []) if existing else []
                values[key] = self._subform(f, value, field_path, rows)
            else:
                values[key] = self.value(f, value, field_path)
        return values

    def value(self, f: Field, value: Any, path: str) -> Any:
        if is_blank(value):
            return None
        kind = f.data_type
        if kind in {"text", "textarea", "phone", "website", "email"}:
            if not isinstance(value, str):
                raise invalid(f.api_name, path, expected_data_type=kind)
            if len(value) > f.length:
                raise invalid(f.api_name, path, maximum_length=f.length)
            if kind == "email" and not EMAIL.match(value):
                raise invalid(f.api_name, path, expected_data_type="email")
            return value
        if kind == "picklist":
            allowed = self.currencies if f.api_name == "Currency" else f.values
            if not isinstance(value, str) or value not in allowed:
                raise invalid(f.api_name, path, expected_data_type="picklist")
            return value
        if kind == "multiselectpicklist":
            if not isinstance(value, list) or any(v not in f.values for v in value):
                raise invalid(f.api_name, path, expected_data_type="multiselectpicklist")
            return list(value)
        if kind in {"integer", "bigint"}:
            if isinstance(value, bool) or not isinstance(value, int):
                raise invalid(f.api_name, path, expected_data_type=kind)
            return value
        if kind in {"double", "currency", "percent"}:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise invalid(f.api_name, path, expected_data_type=kind)
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise invalid(f.api_name, path, expected_data_type=kind)
            return value
        if kind == "date":
            try:
                return date.fromisoformat(value).isoformat()
            except (TypeError, ValueError):
                raise invalid(f.api_name, path, expected_data_type="date") from None
        if kind == "datetime":
            try:
                return parse_moment(value)
            except (TypeError, ValueError):
                raise invalid(f.api_name, path, expected_data_type="datetime") from None
        if kind == "lookup":
            target = as_id(value)
            if target is None or not self.exists(f.lookup or "", target):
                raise invalid(f.api_name, f"{path}.id", "the id given seems to be invalid")
            return target
        if kind == "ownerlookup":
            target = as_id(value)
            if target is None or target not in self.users:
                raise invalid(f.api_name, f"{path}.id", "the id given seems to be invalid")
            return target
        raise invalid(f.api_name, path)

    def _subform(self, f: Field, value: Any, path: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows with an id update that row, `_delete` removes it, rows without id are added."""
        if not isinstance(value, list):
            raise invalid(f.api_name, path, expected_data_type="subform")
        result = {row["id"]: dict(row) for row in rows}
        added: list[dict[str, Any]] = []
        for index, row in enumerate(value):
            row_path = f"{path}[{index}]"
            if not isinstance(row, dict):
                raise invalid(f.api_name, row_path)
            row_id = as_id(row.get("id")) if "id" in row else None
            if "id" in row and row_id not in result:
                raise invalid("id", f"{row_path}.id", "the id given seems to be invalid")
            if row_id and "_delete" in row:
                del result[row_id]
                continue
            fields = {k: v for k, v in row.items() if k not in {"id", "_delete"}}
            cleaned = self.clean(f.subform or "", fields, row_path, result.get(row_id) if row_id else None)
            if row_id:
                result[row_id].update(cleaned)
            else:
                added.append(cleaned)
        return [*result.values(), *added]
