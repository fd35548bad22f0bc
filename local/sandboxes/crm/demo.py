"""The deterministic demo preset: a small, realistic European wholesale org."""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from ..demo_collisions import COLLIDING_CUSTOMERS, COLLIDING_ITEMS, COLLIDING_VENDORS

SEED = 20260101
ODD_ACCOUNT_NAMES = ("  berliner Kaffeerösterei ", "NORDSEE  fisch HANDEL")  # odd case and whitespace
ACCOUNT_NAMES = (
    *COLLIDING_CUSTOMERS,
    "Łódź Ręczne Rękodzieło",
    "Ærø Fisk Export",
    *ODD_ACCOUNT_NAMES,
    "Brauerei Großmann KG",
    "Çukurova Tekstil A.Ş.",
    "Fjällräven Outdoor Supply",
    "Hôtel Bellevue Genève",
    "Żabka Delikatesy",
    "Øresund Shipping ApS",
    "Müller & Söhne OHG",
    "Crème de la Crème SARL",
    "Straße der Sterne GmbH",
    "Škoda Díly s.r.o.",
    "Ñandú Importaciones S.L.",
    "Þórsmörk Tours ehf",
    "Alpenglück Käserei",
    "Bäckerei Schönbrunn",
    "Vinhos do Porto Lda.",
    "Kraków Meble",
    "Trattoria Città Vecchia",
    "Zürcher Uhrenwerk AG",
    "Élan Cosmétiques",
    "Göteborg Glas AB",
    "Hamburger Hafenlogistik",
    "Dvořák Hudba",
    "São Paulo Café Importers",
    "Årstiderne Økologi",
    "Wrocław Wood Works",
    "Cervecería Peñalara",
    "Budapesti Édességek Kft.",
    "Tallinn Tööstus OÜ",
    "Lyon Soierie Française",
    "München Medizintechnik",
    "Oslo Fjordmat AS",
    "Athens Ελιά Trading",
    "Kyiv Світло LLC",
    "Rotterdam Bloemen BV",
)
CITIES = (
    ("Berlin", "Germany"),
    ("München", "Germany"),
    ("Hamburg", "Germany"),
    ("Wien", "Austria"),
    ("Zürich", "Switzerland"),
    ("Paris", "France"),
    ("Lyon", "France"),
    ("Kraków", "Poland"),
    ("Łódź", "Poland"),
    ("København", "Denmark"),
    ("Göteborg", "Sweden"),
    ("Madrid", "Spain"),
    ("Porto", "Portugal"),
    ("Praha", "Czech Republic"),
    ("Budapest", "Hungary"),
)
FIRST_NAMES = (
    "Jürgen",
    "Zoë",
    "François",
    "Małgorzata",
    "Søren",
    "Ágnes",
    "José",
    "Björn",
    "Chloé",
    "Łukasz",
    "Renée",
    "Åsa",
    "Dvořák",
    "Inés",
    "Mika",
    "Noël",
    "Oğuz",
    "Paula",
    "Sébastien",
    "Tomáš",
)
LAST_NAMES = (
    "Müller",
    "Öztürk",
    "Nowak",
    "Dubois",
    "Jørgensen",
    "García",
    "Lindqvist",
    "Kovács",
    "Rossi",
    "Schäfer",
    "Wiśniewski",
    "Fernández",
    "Novák",
    "Ó Briain",
    "Weiß",
    "Lefèvre",
)
VENDOR_NAMES = (
    *COLLIDING_VENDORS,
    "Gebrüder Hofmann Metallbau",
    "Ceramiche Sassuolo S.p.A.",
    "Nordic Packaging Oy",
    "Elektro Zając",
    "Papeterie Lumière",
    "Hansa Großhandel",
    "Textiles Peñíscola",
    "Kávé Import Kft.",
    "Schweizer Präzision AG",
    "Baltic Amber Ltd.",
)
PRODUCTS = (
    *((item.name, item.sku, "Goods") for item in COLLIDING_ITEMS),
    ("Kaffeebohnen Röstung Nr. 5", "KAF-R5-1KG", "Goods"),
    ("Crème Brûlée Set", "CRB-SET-6", "Goods"),
    ("Edelstahl Thermoskanne", "THK-ES-750", "Goods"),
    ("Łosoś Wędzony 500g", "LOS-WDZ-500", "Goods"),
    ("Smørrebrød Brett", "SMB-BRT-01", "Goods"),
    ("Porzellan Teeservice", "POR-TEE-12", "Goods"),
    ("Olivenöl Extra Vergine 1L", "OLV-EV-1L", "Goods"),
    ("Käsemesser Trio", "KMS-TRIO", "Goods"),
    ("Glas Karaffe 1,5 L", "GLK-15", "Goods"),
    ("Bio Hafermilch 12er", "HFM-BIO-12", "Goods"),
    ("Leinen Geschirrtuch", "LGT-50x70", "Goods"),
    ("Gusseisen Bräter", "GEB-28", "Goods"),
    ("Espresso Tassen 6er", "EST-6", "Goods"),
    ("Bambus Schneidebrett", "BSB-40", "Goods"),
    ("Kupferkessel Deluxe", "KKD-2L", "Goods"),
    ("Etiketten Drucker", "ETD-200", "Goods"),
    ("Regalsystem Eiche", "RSE-180", "Goods"),
    ("Kühlbox 35 L", "KBX-35", "Goods"),
    ("Verpackungsmaterial Öko", "VPM-OKO", "Goods"),
    ("Palettenwagen 2,5 t", "PLW-25", "Goods"),
    ("Installation vor Ort", "SRV-INST", "Services"),
    ("Wartungsvertrag Jährlich", "SRV-WART-12", "Services"),
    ("Schulung Barista (Tag)", "SRV-BAR-1D", "Services"),
    ("Lieferung Express", "SRV-EXP", "Services"),
    ("Beratung Stunde", "SRV-BER-1H", "Services"),
    ("Reparatur Pauschale", "SRV-REP", "Services"),
    ("Lagerung pro Palette", "SRV-LAG-PAL", "Services"),
)
DEAL_KINDS = ("Rahmenvertrag", "Erstbestellung", "Nachbestellung", "Jahresabo")
DEAL_STAGES = (
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Won",
    "Closed Lost",
    "Closed Lost to Competition",
)


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize(
        "NFKD", text.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("æ", "ae")
    )
    return "".join(c for c in folded if c.isascii() and c.isalnum()).lower() or "x"


def demo_records(now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Seed-format records; lookups name their target (resolved by the seeder)."""
    rng = random.Random(SEED)

    def stamps() -> dict[str, datetime]:
        created = now - timedelta(days=rng.randint(30, 400), seconds=rng.randint(0, 86_399))
        return {"Created_Time": created, "Modified_Time": created + timedelta(days=rng.randint(0, 29))}

    accounts, contacts = [], []
    for name in ACCOUNT_NAMES:
        city, country = rng.choice(CITIES)
        domain = ascii_slug(name)[:20]
        accounts.append(
            {
                "Account_Name": name,
                "Account_Type": rng.choice(("Customer", "Customer", "Prospect", "Reseller")),
                "Industry": rng.choice(("Retail", "Manufacturing", "Food & Beverage", "Service Provider")),
                "Phone": f"+49 {rng.randint(30, 899)} {rng.randint(100000, 9999999)}",
                "Website": f"https://{domain}.example",
                "Billing_Street": f"Hauptstraße {rng.randint(1, 200)}",
                "Billing_City": city,
                "Billing_Code": str(rng.randint(10000, 99999)),
                "Billing_Country": country,
                "Employees": rng.randint(3, 900),
                "Annual_Revenue": float(rng.randint(50, 9000) * 1000),
                "Customer_Tier__c": rng.choice(("Gold", "Silver", "Bronze")),
                **stamps(),
            }
        )
        for _ in range(rng.randint(1, 3)):
            contacts.append(_contact(rng, name, domain, city, country) | stamps())
    for _ in range(10):
        city, country = rng.choice(CITIES)
        contacts.append(_contact(rng, None, "privat", city, country) | stamps())
    vendors = [
        {
            "Vendor_Name": name,
            "Email": f"einkauf@{ascii_slug(name)[:20]}.example",
            "Category": rng.choice(("Hardware", "Food", "Packaging", "Services")),
            "Country": rng.choice(CITIES)[1],
            **stamps(),
        }
        for name in VENDOR_NAMES
    ]
    products = [
        {
            "Product_Name": name,
            "Product_Code": sku,
            "Product_Active": True,
            "Product_Type__c": kind,
            "Unit_Price": round(rng.uniform(4, 900), 2),
            "Vendor_Name": rng.choice(VENDOR_NAMES),
            "Product_Category": "Services" if kind == "Services" else rng.choice(("Hardware", "Consumables")),
            "Usage_Unit": "Hour(s)" if kind == "Services" else "Each",
            "Taxable": True,
            "Qty_in_Stock": 0.0 if kind == "Services" else float(rng.randint(0, 500)),
            **stamps(),
        }
        for name, sku, kind in PRODUCTS
    ]
    deals = []
    for index in range(15):
        account = rng.choice(accounts)
        contact = next((c for c in contacts if c.get("Account_Name") == account["Account_Name"]), None)
        kind = rng.choice(DEAL_KINDS)
        deals.append(
            {
                "Deal_Name": f"{account['Account_Name'].strip()} – {kind} {index + 1}",
                "Stage": DEAL_STAGES[index % len(DEAL_STAGES)],
                "Amount": float(rng.randint(5, 250) * 100),
                "Closing_Date": (now + timedelta(days=rng.randint(-60, 120))).date().isoformat(),
                "Account_Name": account["Account_Name"],
                "Contact_Name": contact["Full_Name"] if contact else None,
                "Type": rng.choice(("New Business", "Existing Business")),
                "Lead_Source": "Trade Show",
                **stamps(),
            }
        )
    line = [
        {"Product_Name": PRODUCTS[0][0], "Quantity": 2.0},
        {"Product_Name": PRODUCTS[3][0], "Quantity": 5.0},
    ]
    quotes = [
        {
            "Subject": f"Angebot {a['Account_Name'].strip()}",
            "Account_Name": a["Account_Name"],
            "Quote_Stage": "Draft",
            "Quoted_Items": line,
            **stamps(),
        }
        for a in accounts[:3]
    ]
    orders = [
        {
            "Subject": f"Auftrag {accounts[0]['Account_Name']}",
            "Account_Name": accounts[0]["Account_Name"],
            "Status": "Created",
            "Ordered_Items": line,
            **stamps(),
        }
    ]
    invoices = [
        {
            "Subject": f"Rechnung {accounts[1]['Account_Name']}",
            "Account_Name": accounts[1]["Account_Name"],
            "Status": "Created",
            "Invoiced_Items": line,
            **stamps(),
        }
    ]
    purchases = [
        {
            "Subject": f"Bestellung {VENDOR_NAMES[0]}",
            "Vendor_Name": VENDOR_NAMES[0],
            "Status": "Created",
            "Purchased_Items": line,
            **stamps(),
        }
    ]
    return {
        "Accounts": accounts,
        "Contacts": contacts,
        "Vendors": vendors,
        "Products": products,
        "Deals": deals,
        "Quotes": quotes,
        "Sales_Orders": orders,
        "Invoices": invoices,
        "Purchase_Orders": purchases,
    }


def _contact(rng: random.Random, account: str | None, domain: str, city: str, country: str) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return {
        "First_Name": first,
        "Last_Name": last,
        "Full_Name": f"{first} {last}",
        "Account_Name": account,
        "Email": f"{ascii_slug(first)}.{ascii_slug(last)}{rng.randint(1, 99)}@{domain}.example",
        "Phone": f"+49 {rng.randint(30, 899)} {rng.randint(100000, 9999999)}",
        "Title": rng.choice(("Einkauf", "Geschäftsführung", "Buchhaltung", "Lager")),
        "Mailing_City": city,
        "Mailing_Country": country,
    }
