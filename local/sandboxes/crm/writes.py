"""Record writes: insert, update, upsert and delete with per-record results and change events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import iso
from .data import CrmData
from .errors import CrmError
from .schema import CURRENCY_MODULES, DUPLICATE_CHECK_FIELDS, STAGE_PROBABILITY, UNIQUE_FIELDS
from .store import DeletedRecord, unique_key
from .validation import as_id, missing

AUTONUMBERS = {
    "Quotes": "Quote_Number",
    "Sales_Orders": "SO_Number",
    "Invoices": "Invoice_Number",
    "Purchase_Orders": "PO_Number",
}
UNTRACKED = {"Modified_Time", "Modified_By"}


@dataclass
class Change:
    """What one write call changed in one module, for notifications."""

    module: str
    operation: str  # insert | update | delete
    ids: list[str] = field(default_factory=list)
    affected: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> changed field -> new value


@dataclass
class WriteResult:
    items: list[dict[str, Any]]
    changes: list[Change]

    def status_code(self, all_ok: int) -> int:
        ok = sum(1 for item in self.items if item["status"] == "success")
        if ok == len(self.items):
            return all_ok
        return 400 if ok == 0 else 207


class Writer:
    """Applies one write call to `data` at time `now` on behalf of user `actor`."""

    def __init__(self, data: CrmData, now: datetime, actor: str) -> None:
        self.data = data
        self.now = now
        self.actor = actor
        self.validator = data.validator()
        self.inserted: dict[str, list[str]] = {}
        self.updated: dict[str, dict[str, dict[str, Any]]] = {}

    def insert(self, module: str, items: list[Any]) -> WriteResult:
        results = [
            self._guard(lambda i=i, item=item: self._insert_one(module, item, f"$.data[{i}]"))
            for i, item in enumerate(items)
        ]
        return WriteResult(results, self._changes())

    def update(self, module: str, items: list[Any], path_id: str | None = None) -> WriteResult:
        def one(index: int, item: Any) -> dict[str, Any]:
            record_id = path_id or as_id(item.get("id") if isinstance(item, dict) else None)
            if record_id is None:
                raise missing("id", f"$.data[{index}].id")
            return self._update_one(module, record_id, item, f"$.data[{index}]")

        results = [self._guard(lambda i=i, item=item: one(i, item)) for i, item in enumerate(items)]
        return WriteResult(results, self._changes())

    def upsert(self, module: str, items: list[Any], duplicate_check_fields: list[str] | None) -> WriteResult:
        fields = duplicate_check_fields or [DUPLICATE_CHECK_FIELDS[module]]
        for index, name in enumerate(fields):
            if name != DUPLICATE_CHECK_FIELDS[module]:  # the sandbox has no user-defined unique fields
                raise CrmError(
                    "INVALID_DATA",
                    "invalid data",
                    api_name=name,
                    json_path=f"$.duplicate_check_fields[{index}]",
                )

        def one(index: int, item: Any) -> dict[str, Any]:
            path = f"$.data[{index}]"
            match = self._find_duplicate(module, item, fields) if isinstance(item, dict) else None
            if match is None:
                return self._insert_one(module, item, path) | {"action": "insert", "duplicate_field": None}
            record_id, field_name = match
            return self._update_one(module, record_id, item, path) | {
                "action": "update",
                "duplicate_field": field_name,
            }

        results = [self._guard(lambda i=i, item=item: one(i, item)) for i, item in enumerate(items)]
        return WriteResult(results, self._changes())

    def delete(self, module: str, ids: list[str]) -> WriteResult:
        results: list[dict[str, Any]] = []
        deleted: list[str] = []
        for record_id in ids:
            if not self.data.store.exists(module, record_id):
                results.append(CrmError("INVALID_DATA", "record not deleted", id=record_id).body())
                continue
            name = self.data.display_name(module, record_id)
            record = self.data.store.remove(module, record_id)
            self.data.store.deleted[module].append(
                DeletedRecord(record_id, module, name, self.now, self.actor, record["Created_By"])
            )
            deleted.append(record_id)
            results.append(
                {
                    "code": "SUCCESS",
                    "details": {"id": record_id},
                    "message": "record deleted",
                    "status": "success",
                }
            )
        return WriteResult(results, [Change(module, "delete", deleted)] if deleted else [])

    @staticmethod
    def _guard(action: Any) -> dict[str, Any]:
        try:
            return action()
        except CrmError as exc:
            return exc.body()

    def _insert_one(self, module: str, item: Any, path: str) -> dict[str, Any]:
        values = self.validator.clean(module, item, path, None)
        record: dict[str, Any] = {
            "id": self.data.store.new_id(),
            "Owner": self.actor,
            "Created_By": self.actor,
            "Modified_By": self.actor,
            "Created_Time": self.now,
            "Modified_Time": self.now,
        }
        record.update({k: v for k, v in values.items() if v is not None or k != "Owner"})
        if module in AUTONUMBERS:
            record[AUTONUMBERS[module]] = self.data.store.next_number(module)
        self._derive(module, record, set(values))
        self._check_unique(module, record, path)
        self.data.store.put(module, record)
        self.inserted.setdefault(module, []).append(record["id"])
        return self._success(record, "record added")

    def _update_one(self, module: str, record_id: str, item: Any, path: str) -> dict[str, Any]:
        existing = self.data.store.get(module, record_id)
        if existing is None:
            raise CrmError(
                "INVALID_DATA",
                "the related id given seems to be invalid",
                api_name="id",
                json_path=f"{path}.id",
            )
        values = self.validator.clean(module, item, path, existing)
        record = existing | values | {"Modified_Time": self.now, "Modified_By": self.actor}
        if record.get("Owner") is None:
            record["Owner"] = existing["Owner"]
        self._derive(module, record, set(values))
        self._check_unique(module, record, path)
        self.data.store.put(module, record)
        changed = {k: v for k, v in record.items() if k not in UNTRACKED and existing.get(k) != v}
        meta = self.data.modules[module]
        rendered = {
            k: self.data.render_value(meta.fields[k], v) for k, v in changed.items() if k in meta.fields
        }
        self.updated.setdefault(module, {}).setdefault(record_id, {}).update(rendered)
        return self._success(record, "record updated")

    def _success(self, record: dict[str, Any], message: str) -> dict[str, Any]:
        zone = self.data.org.zone
        details = {
            "Modified_Time": iso(record["Modified_Time"], zone),
            "Modified_By": self._who(record["Modified_By"]),
            "Created_Time": iso(record["Created_Time"], zone),
            "id": record["id"],
            "Created_By": self._who(record["Created_By"]),
        }
        return {"code": "SUCCESS", "details": details, "message": message, "status": "success"}

    def _who(self, user_id: str) -> dict[str, str]:
        return {"name": self.data.user_name(user_id), "id": user_id}

    def _changes(self) -> list[Change]:
        changes = [Change(module, "insert", ids) for module, ids in self.inserted.items()]
        changes += [Change(module, "update", list(by_id), by_id) for module, by_id in self.updated.items()]
        self.inserted, self.updated = {}, {}
        return changes

    def _check_unique(self, module: str, record: dict[str, Any], path: str) -> None:
        unique_field = UNIQUE_FIELDS.get(module)
        other = (
            self.data.store.duplicate_of(module, record.get(unique_field), record["id"])
            if unique_field
            else None
        )
        if other is None:
            return
        owner = self.data.store.records[module][other]["Owner"]
        raise CrmError(
            "DUPLICATE_DATA",
            "duplicate data",
            api_name=unique_field,
            json_path=f"{path}.{unique_field}",
            id=other,
            duplicate_record={
                "id": other,
                "module": {"api_name": module, "id": self.data.modules[module].id},
                "Owner": self.data.user_ref(owner),
            },
        )

    def _find_duplicate(self, module: str, item: dict[str, Any], fields: list[str]) -> tuple[str, str] | None:
        for name in fields:
            value = item.get(name)
            if value in (None, ""):
                continue
            if module in UNIQUE_FIELDS and UNIQUE_FIELDS[module] == name:
                found = self.data.store.duplicate_of(module, value, None)
            else:
                key = unique_key(value)
                records = self.data.store.records[module].values()
                found = next(
                    (r["id"] for r in records if r.get(name) is not None and unique_key(r[name]) == key), None
                )
            if found:
                return found, name
        return None

    def _derive(self, module: str, record: dict[str, Any], sent: set[str]) -> None:
        """Computed fields: Full_Name, Probability from Stage, currency, line-item totals."""
        org = self.data.org
        if module == "Contacts":
            record["Full_Name"] = " ".join(
                p for p in (record.get("First_Name"), record.get("Last_Name")) if p
            )
        if module == "Deals":
            if "Stage" in sent and "Probability" not in sent:
                record["Probability"] = STAGE_PROBABILITY[record["Stage"]]
            amount, probability = record.get("Amount"), record.get("Probability")
            if amount is not None and probability is not None:
                record["Expected_Revenue"] = round(amount * probability / 100, 2)
        if org.mc_status and module in CURRENCY_MODULES:
            record["Currency"] = record.get("Currency") or org.iso_code
            if "Exchange_Rate" not in sent or record.get("Exchange_Rate") is None:
                record["Exchange_Rate"] = org.exchange_rate(record["Currency"])
        for subform in self.data.modules[module].subforms:
            if record.get(subform.api_name) is not None:
                self._line_totals(record, subform.api_name)

    def _line_totals(self, record: dict[str, Any], name: str) -> None:
        sub_total = 0.0
        for row in record[name]:
            row.setdefault("id", self.data.store.new_id())
            product = self.data.store.get("Products", row["Product_Name"]) or {}
            if row.get("List_Price") is None:
                row["List_Price"] = product.get("Unit_Price") or 0.0
            row["Total"] = round(row["Quantity"] * row["List_Price"], 2)
            row["Net_Total"] = round(row["Total"] - (row.get("Discount") or 0) + (row.get("Tax") or 0), 2)
            sub_total += row["Net_Total"]
        record["Sub_Total"] = round(sub_total, 2)
        extra = -(record.get("Discount") or 0) + (record.get("Tax") or 0) + (record.get("Adjustment") or 0)
        record["Grand_Total"] = round(sub_total + extra, 2)
