"""`POST /_sandbox/seed`: build a fresh org from the demo preset, explicit records and generated ones."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .clock import parse_moment
from .data import CrmData
from .demo import demo_records
from .errors import CrmError
from .org import OrgConfig
from .schema import MODULES
from .schema import Field as CrmField
from .writes import Writer

ModuleName = Literal[
    "Accounts",
    "Contacts",
    "Vendors",
    "Products",
    "Deals",
    "Quotes",
    "Sales_Orders",
    "Invoices",
    "Purchase_Orders",
]
# Modules in dependency order, so lookups by name find their targets.
SEED_ORDER = (
    "Accounts",
    "Vendors",
    "Products",
    "Contacts",
    "Deals",
    "Quotes",
    "Sales_Orders",
    "Invoices",
    "Purchase_Orders",
)
CUSTOM_TYPES = Literal[
    "text",
    "textarea",
    "email",
    "phone",
    "website",
    "integer",
    "double",
    "currency",
    "percent",
    "boolean",
    "date",
    "datetime",
    "picklist",
    "multiselectpicklist",
]
GENERATED = {"Accounts", "Contacts", "Vendors", "Products", "Deals"}


class CustomFieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    api_name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    data_type: CUSTOM_TYPES
    pick_list_values: list[str] = Field(default_factory=list)
    length: int = 255

    def to_field(self) -> CrmField:
        values = (
            ("-None-", *self.pick_list_values)
            if self.data_type == "picklist"
            else tuple(self.pick_list_values)
        )
        return CrmField(self.api_name, self.data_type, custom=True, values=values, length=self.length)


class CustomViewSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    criteria: str | None = None
    sort_by: Literal["id", "Created_Time", "Modified_Time"] = "id"
    sort_order: Literal["asc", "desc"] = "desc"


class SeedBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    preset: Literal["demo"] | None = None
    org: dict[str, Any] = Field(default_factory=dict)
    records: dict[ModuleName, list[dict[str, Any]]] = Field(default_factory=dict)
    custom_fields: dict[ModuleName, list[CustomFieldSpec]] = Field(default_factory=dict)
    custom_views: dict[ModuleName, list[CustomViewSpec]] = Field(default_factory=dict)
    generate: dict[ModuleName, int] = Field(default_factory=dict)
    limits: dict[str, Any] = Field(default_factory=dict)  # as `PUT /_sandbox/limits`, for this org only


DEFAULT_CUSTOM_FIELDS = {
    "Accounts": [
        CustomFieldSpec(
            api_name="Customer_Tier__c", data_type="picklist", pick_list_values=["Gold", "Silver", "Bronze"]
        )
    ],
    "Products": [
        CustomFieldSpec(
            api_name="Product_Type__c", data_type="picklist", pick_list_values=["Goods", "Services"]
        )
    ],
}
DEFAULT_VIEWS = {
    "Accounts": CustomViewSpec(
        name="Customers in Germany",
        criteria="((Account_Type:equals:Customer)and(Billing_Country:equals:Germany))",
    ),
    "Contacts": CustomViewSpec(name="Contacts in Germany", criteria="(Mailing_Country:equals:Germany)"),
    "Vendors": CustomViewSpec(name="Food vendors", criteria="(Category:equals:Food)"),
    "Products": CustomViewSpec(
        name="Active goods", criteria="((Product_Active:equals:true)and(Product_Type__c:equals:Goods))"
    ),
    "Deals": CustomViewSpec(name="Won deals", criteria="(Stage:equals:Closed Won)", sort_by="Modified_Time"),
    "Quotes": CustomViewSpec(name="Draft quotes", criteria="(Quote_Stage:equals:Draft)"),
    "Sales_Orders": CustomViewSpec(name="New sales orders", criteria="(Status:equals:Created)"),
    "Invoices": CustomViewSpec(name="New invoices", criteria="(Status:equals:Created)"),
    "Purchase_Orders": CustomViewSpec(name="New purchase orders", criteria="(Status:equals:Created)"),
}


def build(body: SeedBody, now: datetime) -> tuple[CrmData, dict[str, list[str]]]:
    """A new org from the seed body; `now` stamps records that bring no times of their own."""
    org = OrgConfig.model_validate(body.org)
    specs = {m: [*DEFAULT_CUSTOM_FIELDS.get(m, []), *body.custom_fields.get(m, [])] for m in MODULES}
    data = CrmData(org, {m: [spec.to_field() for spec in fields] for m, fields in specs.items()})
    for module in MODULES:
        for view in [DEFAULT_VIEWS[module], *body.custom_views.get(module, [])]:
            try:
                data.add_view(
                    module, view.name, view.criteria, sort_by=view.sort_by, sort_order=view.sort_order
                )
            except CrmError as exc:
                raise SeedError(module, None, exc.body()) from None
    records = demo_records(now) if body.preset == "demo" else {}
    for module, rows in body.records.items():
        records[module] = [*records.get(module, []), *rows]
    ids: dict[str, list[str]] = {}
    for module in SEED_ORDER:
        rows = records.get(module, []) + generated(module, body.generate.get(module, 0), now, data)
        ids[module] = [_insert(data, module, index, row, now) for index, row in enumerate(rows)]
    return data, {module: found for module, found in ids.items() if found}


class SeedError(Exception):
    def __init__(self, module: str, index: int | None, error: dict[str, Any]) -> None:
        super().__init__(module)
        self.body = {"error": "invalid seed record", "module": module, "index": index, "details": error}


def _insert(data: CrmData, module: str, index: int, row: dict[str, Any], now: datetime) -> str:
    times = {k: row.pop(k) for k in ("Created_Time", "Modified_Time") if k in row}
    item = _resolve_names(data, module, row)
    result = Writer(data, now, data.current_user.id).insert(module, [item]).items[0]
    if result["status"] != "success":
        raise SeedError(module, index, result)
    record = data.store.records[module][result["details"]["id"]]
    for key, value in times.items():
        record[key] = value if isinstance(value, datetime) else parse_moment(str(value))
    return record["id"]


def _resolve_names(data: CrmData, module: str, row: dict[str, Any]) -> dict[str, Any]:
    """Seed records may name a lookup target instead of giving its id."""
    meta = data.modules[module]
    out = dict(row)
    for key, value in row.items():
        f = meta.fields.get(key)
        if f is None:
            continue
        if f.lookup and isinstance(value, str) and not value.isdigit():
            out[key] = {"id": _id_by_name(data, f.lookup, value)}
        elif f.subform and isinstance(value, list):
            out[key] = [_resolve_names(data, f.subform, r) if isinstance(r, dict) else r for r in value]
    return out


def _id_by_name(data: CrmData, module: str, name: str) -> str:
    name_field = data.modules[module].name_field
    for record in data.store.records[module].values():
        if record.get(name_field) == name:
            return record["id"]
    return name  # left as is: the validator reports the lookup as invalid


def generated(module: str, count: int, now: datetime, data: CrmData) -> list[dict[str, Any]]:
    """`count` plain records for bulk tests (e.g. 2,500 accounts); numbered so names stay unique."""
    if count and module not in GENERATED:
        raise SeedError(module, None, {"error": f"generate supports {sorted(GENERATED)}"})
    start = len(data.store.records[module]) + 1
    numbers = range(start, start + count)
    today = date.fromtimestamp(now.timestamp()).isoformat()
    templates = {
        "Accounts": lambda n: {"Account_Name": f"Bulk Account {n:06d}", "Billing_Country": "Germany"},
        "Contacts": lambda n: {
            "First_Name": "Bulk",
            "Last_Name": f"Contact {n:06d}",
            "Email": f"bulk.contact{n}@bulk.example",
        },
        "Vendors": lambda n: {"Vendor_Name": f"Bulk Vendor {n:06d}"},
        "Products": lambda n: {
            "Product_Name": f"Bulk Product {n:06d}",
            "Product_Code": f"BULK-{n:06d}",
            "Unit_Price": float(n % 500 + 1),
        },
        "Deals": lambda n: {
            "Deal_Name": f"Bulk Deal {n:06d}",
            "Stage": "Qualification",
            "Closing_Date": today,
        },
    }
    return [templates[module](n) for n in numbers] if count else []
