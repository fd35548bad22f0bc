"""One org's data: org settings, users, module metadata, custom views and records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .clock import iso
from .criteria import Criteria, MatcherFactory, describe, parse
from .org import OrgConfig, User, default_users
from .schema import Field, ModuleMeta, build_modules, meta_id
from .store import Store
from .validation import RecordValidator


@dataclass
class CustomView:
    id: str
    module: str
    name: str
    criteria: Criteria | None = None
    sort_by: str = "id"
    sort_order: str = "desc"
    system_defined: bool = False
    fields: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "display_value": self.name,
            "system_name": self.name.upper().replace(" ", "") if self.system_defined else None,
            "category": "public_views" if self.system_defined else "shared_with_me",
            "default": self.system_defined,
            "system_defined": self.system_defined,
            "sort_by": {"api_name": self.sort_by, "id": meta_id(f"field:{self.module}:{self.sort_by}")},
            "sort_order": self.sort_order,
            "favorite": None,
            "offline": False,
            "access_type": "public",
            "module": {"api_name": self.module, "id": meta_id(f"module:{self.module}")},
        }


class CrmData:
    """Everything a seed replaces. `custom_fields` and `views` come from the seed."""

    def __init__(
        self, org: OrgConfig | None = None, custom_fields: dict[str, list[Field]] | None = None
    ) -> None:
        self.org = org or OrgConfig()
        self.users: list[User] = default_users()
        self.custom_fields = custom_fields or {}
        self.modules: dict[str, ModuleMeta] = build_modules(self.org.mc_status, self.custom_fields)
        self.store = Store()
        self.views: dict[str, CustomView] = {}
        for module in self.store.records:
            self.add_view(module, f"All {module.replace('_', ' ')}", None, system_defined=True)

    @property
    def current_user(self) -> User:
        return self.users[0]

    def user(self, user_id: str) -> User | None:
        return next((u for u in self.users if u.id == user_id), None)

    def user_name(self, user_id: str) -> str:
        user = self.user(user_id)
        return user.full_name if user else ""

    def validator(self) -> RecordValidator:
        active = {u.id for u in self.users if u.status == "active"}
        return RecordValidator(self.modules, self.store.exists, active, self.org.active_currencies())

    def matchers(self, module: str) -> MatcherFactory:
        return MatcherFactory(self.modules[module], self.display_name, self.user_name)

    def add_view(
        self,
        module: str,
        name: str,
        criteria: str | None,
        *,
        system_defined: bool = False,
        sort_by: str = "id",
        sort_order: str = "desc",
    ) -> CustomView:
        tree = parse(criteria) if criteria else None
        if tree is not None:
            self.matchers(module).build(tree, contains=False)  # refuse unknown fields and operators now
        view = CustomView(
            id=meta_id(f"view:{module}:{name}"),
            module=module,
            name=name,
            criteria=tree,
            sort_by=sort_by,
            sort_order=sort_order,
            system_defined=system_defined,
            fields=[self.modules[module].name_field, "Owner", "Modified_Time"],
        )
        self.views[view.id] = view
        return view

    def describe_view(self, view: CustomView) -> dict[str, Any]:
        meta = self.modules[view.module]
        return view.summary() | {
            "fields": [
                {"api_name": name, "id": meta_id(f"field:{view.module}:{name}")} for name in view.fields
            ],
            "criteria": describe(view.criteria, meta) if view.criteria else None,
        }

    def display_name(self, module: str, record_id: str) -> str | None:
        record = self.store.get(module, record_id)
        return None if record is None else record.get(self.modules[module].name_field)

    def ref(self, module: str, record_id: str | None) -> dict[str, Any] | None:
        """A lookup value as the API shows it: `{"id", "name"}` (null once the target is gone)."""
        if record_id is None or not self.store.exists(module, record_id):
            return None
        ref = {"id": record_id, "name": self.display_name(module, record_id)}
        if module == "Products":
            ref["Product_Code"] = self.store.records[module][record_id].get("Product_Code")
        return ref

    def user_ref(self, user_id: str | None) -> dict[str, str] | None:
        user = self.user(user_id) if user_id else None
        return user.ref() if user else None

    def render(self, module: str, record: dict[str, Any], fields: list[str] | None = None) -> dict[str, Any]:
        """A record as the API returns it; `fields` limits the keys (plus `id`), else all but subforms."""
        meta = self.modules[module]
        names = fields if fields is not None else [f.api_name for f in meta.fields.values() if not f.subform]
        out: dict[str, Any] = {}
        for name in names:
            f = meta.fields[name]
            out[name] = self.render_value(f, record.get(name))
        out["id"] = record["id"]
        return out

    def render_full(self, module: str, record: dict[str, Any]) -> dict[str, Any]:
        """Get-one shape: every field including the line-item subforms."""
        return self.render(module, record, list(self.modules[module].fields))

    def render_value(self, f: Field, value: Any) -> Any:
        if value is None:
            return [] if f.data_type == "subform" else None
        if f.data_type == "lookup":
            return self.ref(f.lookup or "", value)
        if f.data_type == "ownerlookup":
            return self.user_ref(value)
        if f.data_type == "datetime":
            return iso(value, self.org.zone)
        if f.data_type == "subform":
            rows = self.modules[f.subform or ""]
            return [{"id": row["id"], **self.render(rows.api_name, row, list(rows.fields))} for row in value]
        return value
