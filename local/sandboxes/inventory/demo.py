"""The deterministic demo preset: a US organization with customers, vendors, items and a few
transactions. Some names (and SKUs) collide with the CRM demo preset, several only up to case or
surrounding whitespace; many names carry accents or other non-ASCII letters."""

from __future__ import annotations

from typing import Any

from ..demo_collisions import COLLIDING_CUSTOMERS, COLLIDING_ITEMS, COLLIDING_VENDORS
from .organizations import OrganizationSpec, UserSpec
from .seed import SeedRequest


def _address(street: str, city: str, state: str, zip_code: str, country: str) -> dict[str, str]:
    return {"address": street, "city": city, "state": state, "zip": zip_code, "country": country}


def _business(name: str, first: str, last: str, email: str, **extra: Any) -> dict[str, Any]:
    return {
        "contact_name": name,
        "company_name": name.strip(),
        "contact_type": "customer",
        "customer_sub_type": "business",
        "contact_persons": [
            {"first_name": first, "last_name": last, "email": email, "is_primary_contact": True}
        ],
    } | extra


def _individual(first: str, last: str, email: str, **extra: Any) -> dict[str, Any]:
    return {
        "contact_name": f"{first} {last}",
        "contact_type": "customer",
        "customer_sub_type": "individual",
        "contact_persons": [
            {"first_name": first, "last_name": last, "email": email, "is_primary_contact": True}
        ],
    } | extra


def _vendor(name: str, email: str, **extra: Any) -> dict[str, Any]:
    return {
        "contact_name": name,
        "company_name": name.strip(),
        "contact_type": "vendor",
        "contact_persons": [{"first_name": "Accounts", "last_name": "Team", "email": email}],
    } | extra


def _item(name: str, sku: str, rate: float, product_type: str = "goods", **extra: Any) -> dict[str, Any]:
    goods = product_type == "goods"
    return {
        "name": name,
        "sku": sku,
        "rate": rate,
        "purchase_rate": round(rate * 0.6, 2),
        "product_type": product_type,
        "item_type": "inventory" if goods else "sales",
        "unit": "pcs" if goods else "hrs",
    } | extra


def _region(value: str) -> list[dict[str, Any]]:
    return [{"api_name": "cf_region", "value": value}]


def _customers() -> list[dict[str, Any]]:
    cafe, societe, nordlicht = COLLIDING_CUSTOMERS
    return [
        _business(
            cafe,
            "Lena",
            "Vogt",
            "lena.vogt@cafe-muenster.example",
            billing_address=_address("Prinzipalmarkt 12", "Münster", "NRW", "48143", "Germany"),
            custom_fields=_region("North") + [{"api_name": "cf_vip", "value": True}],
        ),
        _business(
            societe.upper(), "Élodie", "Marchand", "elodie.marchand@societe.example"
        ),  # differs by case
        _business(f"  {nordlicht} ", "Henrik", "Brandt", "h.brandt@nordlicht.example"),  # by whitespace
        _business(
            "Acme Hardware LLC",
            "Wile",
            "Coyote",
            "orders@acme-hardware.example",
            billing_address=_address("1 Desert Rd", "Phoenix", "AZ", "85001", "U.S.A"),
            custom_fields=_region("West") + [{"api_name": "cf_credit_limit", "value": 25000}],
            payment_terms=30,
            payment_terms_label="Net 30",
        ),
        _business(
            "Blue Ridge Outfitters",
            "Dana",
            "Whitaker",
            "dana@blueridge.example",
            custom_fields=_region("East"),
        ),
        _business("Harbor Lights Café", "Marcus", "Bell", "marcus@harborlights.example"),
        _business("O'Brien Logistics", "Siobhan", "O'Brien", "siobhan@obrien-logistics.example"),
        _business("Pacific Rim Traders", "Kenji", "Mori", "kenji@pacificrim.example", status="inactive"),
        _business("Fjällblick Outlet AB", "Astrid", "Lindqvist", "astrid@fjallblick.example"),
        _individual("Jürgen", "Weiß", "juergen.weiss@example.de"),
        _individual("Zoë", "Fontaine", "zoe.fontaine@example.fr"),
        _individual("Marta", "Núñez", "marta.nunez@example.es"),
        _individual("Chen", "Wei", "chen.wei@example.cn"),
        _individual("Ananya", "Iyer", "ananya.iyer@example.in"),
        _individual("Søren", "Østergaard", "soren@example.dk"),
    ]


def _vendors() -> list[dict[str, Any]]:
    lodz, aero = COLLIDING_VENDORS
    return [
        _vendor(lodz, "biuro@lodz-reczne.example"),
        _vendor(aero.lower(), "salg@aero-fisk.example"),  # differs by case
        _vendor("Global Parts Co.", "sales@globalparts.example"),
        _vendor("Sunrise Electronics Ltd.", "orders@sunrise-electronics.example"),
        _vendor("Müller Werkzeuge KG", "vertrieb@mueller-werkzeuge.example"),
        _vendor("Tokyo Trading K.K.", "info@tokyo-trading.example"),
    ]


def _items() -> list[dict[str, Any]]:
    espresso, oil_filter, scanner = COLLIDING_ITEMS
    return [
        _item(espresso.name, espresso.sku, 899.0, custom_fields=[{"api_name": "cf_brand", "value": "Duo"}]),
        _item(oil_filter.name.lower(), oil_filter.sku.lower(), 24.9),  # name and SKU differ by case
        _item(f"  {scanner.name} ", f" {scanner.sku} ", 129.0),  # name and SKU differ by whitespace
        _item("Steel Shelving Unit", "SS-100", 149.0),
        _item("Packing Tape 48mm", "PT-48", 3.5),
        _item("Cardboard Box Large", "CB-L", 2.2),
        _item("Cardboard Box Small", "CB-S", 1.1),
        _item("Pallet Jack 2500kg", "PJ-2500", 499.0),
        _item("Label Printer LP-4", "LP-4", 289.0),
        _item("Thermal Labels 100x150", "TL-100150", 19.9),
        _item("Safety Gloves (pair)", "SG-01", 4.75),
        _item("Hi-Vis Vest", "HV-02", 7.9),
        _item("Crème Polish 250ml", "CP-250", 6.4),
        _item("Café Grinder Pro", "CGP-9", 229.0),
        _item("Smørrebrød Platter Tray", "SPT-3", 18.0),
        _item("Tūī Notebook A5", "TN-A5", 3.2),
        _item("Barcode Scanner Cable", "BSC-1", 12.5, status="inactive"),
        _item("Forklift Rental (day)", "FR-DAY", 350.0, "service"),
        _item("Installation Service (hour)", "INST-HR", 85.0, "service"),
        _item("Annual Maintenance Plan", "AMP-12", 1200.0, "service", unit="year"),
    ]


def _lines(*pairs: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"sku": sku, "quantity": quantity} for sku, quantity in pairs]


def demo_request() -> SeedRequest:
    cafe = COLLIDING_CUSTOMERS[0]
    return SeedRequest(
        organization=OrganizationSpec(
            name="Northwind Supplies Inc.",
            email="ops@northwind-supplies.example",
            contact_name="Alex Morgan",
            country="U.S.A",
            country_code="US",
            currency_code="USD",
            plan_name="PREMIUM",
            time_zone="America/New_York",
            phone="+1 212 555 0100",
            address={
                "street_address1": "200 Hudson St",
                "city": "New York",
                "state": "NY",
                "zip": "10013",
                "country": "U.S.A",
            },
        ),
        users=[
            UserSpec(name="Alex Morgan", email="alex.morgan@northwind-supplies.example", user_role="admin"),
            UserSpec(name="Sam Rivera", email="sam.rivera@northwind-supplies.example"),
            UserSpec(name="Priya Natarajan", email="priya.natarajan@northwind-supplies.example"),
        ],
        contacts=_customers() + _vendors(),
        items=_items(),
        invoices=[
            {
                "customer_name": "Acme Hardware LLC",
                "reference_number": "DEMO-INV-1",
                "status": "sent",
                "line_items": _lines(("SS-100", 4), ("PT-48", 20)),
            },
            {
                "customer_name": cafe,
                "reference_number": "DEMO-INV-2",
                "status": "paid",
                "line_items": _lines((COLLIDING_ITEMS[0].sku, 1)),
            },
            {
                "customer_name": "Jürgen Weiß",
                "reference_number": "DEMO-INV-3",
                "line_items": _lines(("CP-250", 3)),
            },
        ],
        salesorders=[
            {
                "customer_name": "Acme Hardware LLC",
                "reference_number": "DEMO-SO-1",
                "status": "confirmed",
                "line_items": _lines(("PJ-2500", 1), ("INST-HR", 2)),
            },
            {
                "customer_name": "Blue Ridge Outfitters",
                "reference_number": "DEMO-SO-2",
                "line_items": _lines(("HV-02", 25), ("SG-01", 50)),
            },
        ],
        estimates=[
            {
                "customer_name": "Harbor Lights Café",
                "reference_number": "DEMO-EST-1",
                "status": "sent",
                "line_items": _lines(("CGP-9", 2), ("AMP-12", 1)),
            },
        ],
        purchaseorders=[
            {
                "vendor_name": "Global Parts Co.",
                "reference_number": "DEMO-PO-1",
                "status": "issued",
                "line_items": _lines(("CB-L", 500), ("CB-S", 1000)),
            },
        ],
    )
