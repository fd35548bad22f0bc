"""Module and field metadata of the CRM sandbox: what `/settings/*` describes and writes obey."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

NONE = "-None-"


def meta_id(key: str) -> str:
    """A stable 19-digit id for a metadata object (field, module, layout, view, user)."""
    return "5843000" + str(int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10**12).zfill(12)


@dataclass(frozen=True)
class Stage:
    name: str
    probability: int
    category: str  # Open | Closed Won | Closed Lost
    forecast: str  # Pipeline | Closed | Omitted


DEAL_STAGES: tuple[Stage, ...] = (
    Stage("Qualification", 10, "Open", "Pipeline"),
    Stage("Needs Analysis", 20, "Open", "Pipeline"),
    Stage("Value Proposition", 40, "Open", "Pipeline"),
    Stage("Identify Decision Makers", 60, "Open", "Pipeline"),
    Stage("Proposal/Price Quote", 75, "Open", "Pipeline"),
    Stage("Negotiation/Review", 90, "Open", "Pipeline"),
    Stage("Closed Won", 100, "Closed Won", "Closed"),
    Stage("Closed Lost", 0, "Closed Lost", "Omitted"),
    Stage("Closed Lost to Competition", 0, "Closed Lost", "Omitted"),
)
STAGE_PROBABILITY = {stage.name: stage.probability for stage in DEAL_STAGES}

NUMBER_TYPES = {"integer", "bigint", "double", "currency", "percent"}
LOOKUP_TYPES = {"lookup", "ownerlookup"}
JSON_TYPES = {
    "integer": "integer",
    "bigint": "integer",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "boolean": "boolean",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "subform": "jsonarray",
    "multiselectpicklist": "jsonarray",
}


@dataclass(frozen=True)
class Field:
    api_name: str
    data_type: str
    mandatory: bool = False
    read_only: bool = False
    custom: bool = False
    lookup: str | None = None  # target module of lookup fields
    values: tuple[str, ...] = ()  # picklist values
    length: int = 255
    subform: str | None = None  # row module of subform fields

    @property
    def label(self) -> str:
        return self.api_name.removesuffix("__c").removesuffix("__s").replace("_", " ")


def _text(name: str, **kw: Any) -> Field:
    return Field(name, "text", **kw)


def _pick(name: str, *values: str, **kw: Any) -> Field:
    return Field(name, "picklist", values=(NONE, *values), **kw)


def _address(prefix: str, zip_name: str = "Code") -> list[Field]:
    return [_text(f"{prefix}_{part}") for part in ("Street", "City", "State", zip_name, "Country")]


def _totals() -> list[Field]:
    return [
        Field("Sub_Total", "currency", read_only=True),
        Field("Discount", "currency"),
        Field("Tax", "currency"),
        Field("Adjustment", "currency"),
        Field("Grand_Total", "currency", read_only=True),
        Field("Terms_and_Conditions", "textarea", length=32000),
    ]


CARRIERS = ("FedEX", "UPS", "USPS", "DHL", "BlueDart")
ORDER_STATUS = ("Created", "Approved", "Delivered", "Cancelled")
LEAD_SOURCES = (
    "Advertisement",
    "Cold Call",
    "Employee Referral",
    "External Referral",
    "Online Store",
    "Partner",
    "Public Relations",
    "Sales Email Alias",
    "Seminar Partner",
    "Internal Seminar",
    "Trade Show",
    "Web Download",
    "Web Research",
    "Chat",
)

LINE_ITEM_FIELDS: tuple[Field, ...] = (
    Field("Product_Name", "lookup", mandatory=True, lookup="Products"),
    Field("Quantity", "double", mandatory=True),
    Field("List_Price", "currency"),
    Field("Discount", "currency"),
    Field("Tax", "currency"),
    Field("Total", "currency", read_only=True),
    Field("Net_Total", "currency", read_only=True),
    Field("Description", "textarea", length=32000),
)
SUBFORM_MODULES = ("Quoted_Items", "Ordered_Items", "Invoiced_Items", "Purchased_Items")

STANDARD_FIELDS: dict[str, list[Field]] = {
    "Accounts": [
        _text("Account_Name", mandatory=True, length=200),
        _text("Account_Number", length=40),
        _text("Account_Site", length=80),
        _pick(
            "Account_Type",
            "Analyst",
            "Competitor",
            "Customer",
            "Distributor",
            "Integrator",
            "Investor",
            "Other",
            "Partner",
            "Press",
            "Prospect",
            "Reseller",
            "Supplier",
            "Vendor",
        ),
        Field("Parent_Account", "lookup", lookup="Accounts"),
        Field("Phone", "phone", length=30),
        Field("Fax", "phone", length=30),
        Field("Website", "website"),
        _pick(
            "Industry",
            "ASP",
            "Data/Telecom OEM",
            "ERP",
            "Government/Military",
            "Large Enterprise",
            "ManagementISV",
            "MSP",
            "Network Equipment",
            "Non-management ISV",
            "Optical Networking",
            "Service Provider",
            "Small/Medium Enterprise",
            "Storage Equipment",
            "Storage Service Provider",
            "Systems Integrator",
            "Wireless Industry",
            "Retail",
            "Manufacturing",
            "Food & Beverage",
        ),
        Field("Employees", "integer"),
        Field("Annual_Revenue", "currency"),
        _pick(
            "Ownership",
            "Other",
            "Private",
            "Public",
            "Subsidiary",
            "Partnership",
            "Government",
            "Privately Held",
            "Public Company",
        ),
        _pick("Rating", "Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down"),
        Field("SIC_Code", "integer"),
        _text("Ticker_Symbol", length=30),
        *_address("Billing"),
        *_address("Shipping"),
    ],
    "Contacts": [
        _pick("Salutation", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof."),
        _text("First_Name", length=40),
        _text("Last_Name", mandatory=True, length=80),
        _text("Full_Name", read_only=True),
        Field("Email", "email", length=100),
        Field("Secondary_Email", "email", length=100),
        Field("Phone", "phone", length=30),
        Field("Mobile", "phone", length=30),
        Field("Home_Phone", "phone", length=30),
        Field("Other_Phone", "phone", length=30),
        Field("Fax", "phone", length=30),
        _text("Title", length=100),
        _text("Department", length=100),
        Field("Account_Name", "lookup", lookup="Accounts"),
        Field("Vendor_Name", "lookup", lookup="Vendors"),
        Field("Reporting_To", "lookup", lookup="Contacts"),
        _pick("Lead_Source", *LEAD_SOURCES),
        Field("Email_Opt_Out", "boolean"),
        Field("Date_of_Birth", "date"),
        _text("Skype_ID", length=50),
        _text("Twitter", length=50),
        *_address("Mailing", "Zip"),
        *_address("Other", "Zip"),
    ],
    "Vendors": [
        _text("Vendor_Name", mandatory=True, length=100),
        Field("Email", "email", length=100),
        Field("Phone", "phone", length=30),
        Field("Website", "website"),
        _text("Category", length=100),
        _pick(
            "GL_Account",
            "Sales-Software",
            "Sales-Hardware",
            "Rental-Income",
            "Interest-Income",
            "Sales-Software-Support",
            "Sales Other",
            "Internet Sales",
            "Service-Hardware Labor",
            "Sales-Books",
        ),
        _text("Street"),
        _text("City", length=100),
        _text("State", length=100),
        _text("Zip_Code", length=30),
        _text("Country", length=100),
        Field("Email_Opt_Out", "boolean"),
    ],
    "Products": [
        _text("Product_Name", mandatory=True, length=200),
        _text("Product_Code", length=100),
        Field("Product_Active", "boolean"),
        Field("Unit_Price", "currency"),
        _pick("Product_Category", "Hardware", "Software", "CRM Applications", "Services", "Consumables"),
        _text("Manufacturer", length=100),
        Field("Vendor_Name", "lookup", lookup="Vendors"),
        _pick(
            "Usage_Unit",
            "Box",
            "Carton",
            "Dozen",
            "Each",
            "Hour(s)",
            "Impressions",
            "Lb",
            "M",
            "Pack",
            "Pages",
            "Pieces",
            "Quantity",
            "Reams",
            "Sheet",
            "Spiral Binder",
            "Sq Ft",
        ),
        Field("Qty_in_Stock", "double"),
        Field("Qty_in_Demand", "double", read_only=True),
        Field("Qty_Ordered", "double", read_only=True),
        Field("Reorder_Level", "double"),
        Field("Handler", "ownerlookup"),
        Field("Taxable", "boolean"),
        Field("Tax", "multiselectpicklist", values=("Sales Tax", "VAT", "Service Tax")),
        Field("Commission_Rate", "currency"),
        Field("Sales_Start_Date", "date"),
        Field("Sales_End_Date", "date"),
        Field("Support_Start_Date", "date"),
        Field("Support_Expiry_Date", "date"),
    ],
    "Deals": [
        _text("Deal_Name", mandatory=True, length=120),
        Field("Stage", "picklist", mandatory=True, values=tuple(stage.name for stage in DEAL_STAGES)),
        Field("Probability", "integer"),
        Field("Amount", "currency"),
        Field("Expected_Revenue", "currency", read_only=True),
        Field("Closing_Date", "date", mandatory=True),
        Field("Account_Name", "lookup", lookup="Accounts"),
        Field("Contact_Name", "lookup", lookup="Contacts"),
        _pick("Pipeline", "Standard (Standard)"),
        _pick("Type", "Existing Business", "New Business"),
        _pick("Lead_Source", *LEAD_SOURCES),
        _text("Campaign_Source"),
        _text("Next_Step", length=100),
        _pick("Reason_For_Loss__s", "Price", "Features", "Competition", "No Budget", "Lost to Competitor"),
    ],
    "Quotes": [
        _text("Subject", mandatory=True),
        Field("Quote_Number", "autonumber", read_only=True),
        _pick(
            "Quote_Stage",
            "Draft",
            "Negotiation",
            "Delivered",
            "On Hold",
            "Confirmed",
            "Closed Won",
            "Closed Lost",
        ),
        Field("Valid_Till", "date"),
        Field("Deal_Name", "lookup", lookup="Deals"),
        Field("Account_Name", "lookup", lookup="Accounts"),
        Field("Contact_Name", "lookup", lookup="Contacts"),
        _pick("Carrier", *CARRIERS),
        _text("Team"),
        Field("Quoted_Items", "subform", mandatory=True, subform="Quoted_Items"),
        *_totals(),
        *_address("Billing"),
        *_address("Shipping"),
    ],
    "Sales_Orders": [
        _text("Subject", mandatory=True),
        Field("SO_Number", "autonumber", read_only=True),
        _pick("Status", *ORDER_STATUS),
        Field("Due_Date", "date"),
        _text("Customer_No"),
        _text("Purchase_Order"),
        Field("Quote_Name", "lookup", lookup="Quotes"),
        Field("Deal_Name", "lookup", lookup="Deals"),
        Field("Account_Name", "lookup", lookup="Accounts"),
        Field("Contact_Name", "lookup", lookup="Contacts"),
        _pick("Carrier", *CARRIERS),
        _text("Pending"),
        Field("Excise_Duty", "currency"),
        Field("Sales_Commission", "currency"),
        Field("Ordered_Items", "subform", mandatory=True, subform="Ordered_Items"),
        *_totals(),
        *_address("Billing"),
        *_address("Shipping"),
    ],
    "Invoices": [
        _text("Subject", mandatory=True),
        Field("Invoice_Number", "autonumber", read_only=True),
        Field("Invoice_Date", "date"),
        Field("Due_Date", "date"),
        _pick("Status", *ORDER_STATUS),
        Field("Sales_Order", "lookup", lookup="Sales_Orders"),
        _text("Purchase_Order"),
        Field("Account_Name", "lookup", lookup="Accounts"),
        Field("Contact_Name", "lookup", lookup="Contacts"),
        Field("Excise_Duty", "currency"),
        Field("Sales_Commission", "currency"),
        Field("Invoiced_Items", "subform", mandatory=True, subform="Invoiced_Items"),
        *_totals(),
        *_address("Billing"),
        *_address("Shipping"),
    ],
    "Purchase_Orders": [
        _text("Subject", mandatory=True),
        Field("PO_Number", "autonumber", read_only=True),
        Field("PO_Date", "date"),
        Field("Due_Date", "date"),
        _pick("Status", *ORDER_STATUS),
        Field("Vendor_Name", "lookup", mandatory=True, lookup="Vendors"),
        Field("Contact_Name", "lookup", lookup="Contacts"),
        _text("Requisition_No"),
        _text("Tracking_Number"),
        _pick("Carrier", *CARRIERS),
        Field("Excise_Duty", "currency"),
        Field("Sales_Commission", "currency"),
        Field("Purchased_Items", "subform", mandatory=True, subform="Purchased_Items"),
        *_totals(),
        *_address("Billing"),
        *_address("Shipping"),
    ],
}

SYSTEM_FIELDS: tuple[Field, ...] = (
    Field("Owner", "ownerlookup"),
    Field("Created_By", "ownerlookup", read_only=True),
    Field("Modified_By", "ownerlookup", read_only=True),
    Field("Created_Time", "datetime", read_only=True),
    Field("Modified_Time", "datetime", read_only=True),
    Field("Description", "textarea", length=32000),
)
CURRENCY_MODULES = {"Accounts", "Products", "Deals", "Quotes", "Sales_Orders", "Invoices", "Purchase_Orders"}
NAME_FIELDS = {
    "Accounts": "Account_Name",
    "Contacts": "Full_Name",
    "Vendors": "Vendor_Name",
    "Products": "Product_Name",
    "Deals": "Deal_Name",
    "Quotes": "Subject",
    "Sales_Orders": "Subject",
    "Invoices": "Subject",
    "Purchase_Orders": "Subject",
}
UNIQUE_FIELDS = {
    "Accounts": "Account_Name",
    "Products": "Product_Name",
    "Vendors": "Vendor_Name",
    "Deals": "Deal_Name",
}
DUPLICATE_CHECK_FIELDS = {**UNIQUE_FIELDS, "Contacts": "Email"} | {
    module: "Subject" for module in ("Quotes", "Sales_Orders", "Invoices", "Purchase_Orders")
}
SINGULAR = {
    "Accounts": "Account",
    "Contacts": "Contact",
    "Vendors": "Vendor",
    "Products": "Product",
    "Deals": "Deal",
    "Quotes": "Quote",
    "Sales_Orders": "Sales Order",
    "Invoices": "Invoice",
    "Purchase_Orders": "Purchase Order",
}
MODULES = tuple(STANDARD_FIELDS)


@dataclass
class ModuleMeta:
    """The fields of one module as this org has them (currency fields, custom fields)."""

    api_name: str
    fields: dict[str, Field] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return meta_id(f"module:{self.api_name}")

    @property
    def name_field(self) -> str:
        return NAME_FIELDS.get(self.api_name, "Product_Name")

    @property
    def subforms(self) -> list[Field]:
        return [f for f in self.fields.values() if f.data_type == "subform"]


def build_modules(multi_currency: bool, custom_fields: dict[str, list[Field]]) -> dict[str, ModuleMeta]:
    modules: dict[str, ModuleMeta] = {}
    for name, standard in STANDARD_FIELDS.items():
        fields = [*standard, *SYSTEM_FIELDS]
        if multi_currency and name in CURRENCY_MODULES:
            fields += [Field("Currency", "picklist"), Field("Exchange_Rate", "double")]
        fields += custom_fields.get(name, [])
        modules[name] = ModuleMeta(name, {f.api_name: f for f in fields})
    for row_module in SUBFORM_MODULES:
        modules[row_module] = ModuleMeta(row_module, {f.api_name: f for f in LINE_ITEM_FIELDS})
    return modules


def describe_field(module: str, f: Field, currencies: list[str]) -> dict[str, Any]:
    """The `/settings/fields` entry of one field."""
    entry: dict[str, Any] = {
        "api_name": f.api_name,
        "field_label": f.label,
        "display_label": f.label,
        "id": meta_id(f"field:{module}:{f.api_name}"),
        "data_type": f.data_type,
        "json_type": JSON_TYPES.get(f.data_type, "string"),
        "system_mandatory": f.mandatory,
        "custom_field": f.custom,
        "read_only": f.read_only,
        "field_read_only": f.read_only,
        "visible": True,
        "length": f.length,
        "lookup": {},
        "pick_list_values": [],
    }
    if f.lookup:
        entry["lookup"] = {
            "display_label": f.label,
            "api_name": f.api_name,
            "module": {"api_name": f.lookup, "id": meta_id(f"module:{f.lookup}")},
            "id": meta_id(f"lookup:{module}:{f.api_name}"),
        }
    if f.subform:
        entry["associated_module"] = {"module": f.subform, "id": meta_id(f"module:{f.subform}")}
    values = currencies if f.api_name == "Currency" else f.values
    entry["pick_list_values"] = [_picklist_value(module, f.api_name, v, i) for i, v in enumerate(values, 1)]
    if f.data_type == "currency":
        entry["decimal_place"] = 2
    return entry


def _picklist_value(module: str, field_name: str, value: str, sequence: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "actual_value": value,
        "display_value": value,
        "sequence_number": sequence,
        "id": meta_id(f"pick:{module}:{field_name}:{value}"),
        "type": "used",
    }
    stage = next((s for s in DEAL_STAGES if s.name == value), None) if field_name == "Stage" else None
    if stage:
        entry |= {
            "probability": stage.probability,
            "deal_category": stage.category,
            "forecast_type": stage.category,
            "forecast_category": {"name": stage.forecast, "id": meta_id(f"forecast:{stage.forecast}")},
            "colour_code": None,
        }
    return entry
