"""In-memory records of one org: per-module dicts, the recycle bin, unique-name index and ids."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .schema import MODULES, UNIQUE_FIELDS

FIRST_RECORD_ID = 6_421_337_000_000_100_001  # 19 digits; ids grow by one, so id order is creation order


def unique_key(value: Any) -> str:
    """Duplicate check on the system unique fields ignores case and surrounding whitespace."""
    return str(value).strip().casefold()


@dataclass
class DeletedRecord:
    id: str
    module: str
    display_name: str | None
    deleted_time: datetime
    deleted_by: str
    created_by: str


@dataclass
class Store:
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {m: {} for m in MODULES})
    deleted: dict[str, list[DeletedRecord]] = field(default_factory=lambda: {m: [] for m in MODULES})
    unique: dict[str, dict[str, str]] = field(default_factory=lambda: {m: {} for m in UNIQUE_FIELDS})
    autonumbers: Counter[str] = field(default_factory=Counter)
    next_id: int = FIRST_RECORD_ID

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id - 1)

    def next_number(self, module: str) -> str:
        self.autonumbers[module] += 1
        return str(self.autonumbers[module])

    def get(self, module: str, record_id: str) -> dict[str, Any] | None:
        return self.records.get(module, {}).get(record_id)

    def exists(self, module: str, record_id: str) -> bool:
        return record_id in self.records.get(module, {})

    def duplicate_of(self, module: str, value: Any, own_id: str | None) -> str | None:
        """The id of another record holding `value` in the module's system unique field."""
        if module not in UNIQUE_FIELDS or value is None:
            return None
        found = self.unique[module].get(unique_key(value))
        return found if found != own_id else None

    def put(self, module: str, record: dict[str, Any]) -> None:
        old = self.records[module].get(record["id"])
        unique_field = UNIQUE_FIELDS.get(module)
        if unique_field:
            if old and old.get(unique_field) is not None:
                self.unique[module].pop(unique_key(old[unique_field]), None)
            if record.get(unique_field) is not None:
                self.unique[module][unique_key(record[unique_field])] = record["id"]
        self.records[module][record["id"]] = record

    def remove(self, module: str, record_id: str) -> dict[str, Any]:
        record = self.records[module].pop(record_id)
        unique_field = UNIQUE_FIELDS.get(module)
        if unique_field and record.get(unique_field) is not None:
            self.unique[module].pop(unique_key(record[unique_field]), None)
        return record
