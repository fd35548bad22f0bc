"""The tenants of `bench.scale`: each with its own CRM org and inventory organization, seeded, connected
and checked through the sandboxes' control routes (which spend none of an organization's budget)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from local.stack import LocalStack

GRANT_KEYS = ("client_id", "client_secret", "refresh_token")
MODULES = {
    "customers": {"crm_source": "accounts_and_contacts", "include_unassociated_contacts": True},
    "vendors": {},
    "items": {},
}
# Share of a tenant's records per (side, kind): CRM accounts, vendors, products; inventory customers,
# vendors, items. Names differ between the sides, so every record is new on the other side.
SHARES = {
    ("crm", "Accounts"): 0.40,
    ("crm", "Vendors"): 0.10,
    ("crm", "Products"): 0.10,
    ("inventory", "customers"): 0.20,
    ("inventory", "vendors"): 0.05,
    ("inventory", "items"): 0.15,
}
# What one module pairs: (CRM module, CRM name field, inventory kind, inventory name field, contact type)
PAIRS = {
    "customers": ("Accounts", "Account_Name", "contacts", "contact_name", "customer"),
    "vendors": ("Vendors", "Vendor_Name", "contacts", "contact_name", "vendor"),
    "items": ("Products", "Product_Name", "items", "name", None),
}
DEAL_ACCOUNT = "Deal Customer {n:02d} GmbH"


@dataclass
class Tenant:
    number: int
    api_key: str
    crm: dict[str, Any]
    inventory: dict[str, Any]
    daily_cap: int
    integration_id: str = ""
    edited: dict[str, str] = field(default_factory=dict)  # CRM account id -> the city the bench set

    @property
    def name(self) -> str:
        return f"tenant {self.number:02d}"

    @property
    def path(self) -> str:
        return f"/integrations/{self.integration_id}"

    @property
    def deal_account_id(self) -> str:
        return self.crm["ids"]["Accounts"][0]


def counts(records: int) -> dict[tuple[str, str], int]:
    return {key: round(records * share) for key, share in SHARES.items()}


def seed_tenant(stack: LocalStack, number: int, records: int, daily_cap: int) -> Tenant:
    wanted = counts(records)
    crm = httpx.post(
        f"{stack.endpoints['crm']}/_sandbox/orgs",
        json={
            "org": {"edition": "enterprise", "iso_code": "USD", "company_name": f"Tenant {number:02d} CRM"},
            "records": {"Accounts": [{"Account_Name": DEAL_ACCOUNT.format(n=number)}]},
            "generate": {kind: n for (side, kind), n in wanted.items() if side == "crm"},
        },
        timeout=60,
    )
    crm.raise_for_status()
    inventory = httpx.post(
        f"{stack.endpoints['inventory']}/_sandbox/seed",
        json={
            "organization": {"currency_code": "USD", "name": f"Tenant {number:02d} Inventory"},
            "generate": {kind: n for (side, kind), n in wanted.items() if side == "inventory"},
            "limits": {"per_day": daily_cap},
        },
        timeout=60,
    )
    inventory.raise_for_status()
    key = stack.new_tenant_key(f"Scale tenant {number:02d}")
    return Tenant(number, key, crm.json(), inventory.json(), daily_cap)


def api(stack: LocalStack, tenant: Tenant) -> httpx.Client:
    return httpx.Client(
        base_url=stack.api_url, timeout=60, headers={"Authorization": f"Bearer {tenant.api_key}"}
    )


def connect(stack: LocalStack, tenant: Tenant, automation: bool) -> None:
    def grant(seeded: dict, url: str) -> dict:
        return {k: seeded[k] for k in GRANT_KEYS} | {"base_url": url}

    body = {
        "crm": {"org_id": tenant.crm["org_id"], **grant(tenant.crm, stack.endpoints["crm"])},
        "inventory": {
            "organization_id": tenant.inventory["organization_id"],
            **grant(tenant.inventory, stack.endpoints["inventory"]),
        },
    }
    with api(stack, tenant) as client:
        created = client.post("/integrations", json=body)
        created.raise_for_status()
        tenant.integration_id = created.json()["integration_id"]
        for module, prefs in MODULES.items():
            client.put(f"{tenant.path}/modules/{module}", json=prefs).raise_for_status()
        if automation:
            client.put(f"{tenant.path}/automation", json={"on_deal_won": "create_invoice"}).raise_for_status()


def start_first_sync(stack: LocalStack, tenant: Tenant) -> None:
    with api(stack, tenant) as client:
        for module, prefs in MODULES.items():
            client.put(
                f"{tenant.path}/modules/{module}", params={"sync": "now"}, json=prefs
            ).raise_for_status()


def runs(stack: LocalStack, tenant: Tenant) -> list[dict[str, Any]]:
    with api(stack, tenant) as client:
        reply = client.get(f"{tenant.path}/runs", params={"limit": 100})
        reply.raise_for_status()
        return reply.json()["runs"]


def crm_records(stack: LocalStack, tenant: Tenant, module: str) -> list[dict[str, Any]]:
    reply = httpx.get(
        f"{stack.endpoints['crm']}/_sandbox/orgs/{tenant.crm['org_id']}/records/{module}", timeout=60
    )
    reply.raise_for_status()
    return reply.json()["data"]


def inventory_records(stack: LocalStack, tenant: Tenant, kind: str) -> list[dict[str, Any]]:
    org = tenant.inventory["organization_id"]
    reply = httpx.get(
        f"{stack.endpoints['inventory']}/_sandbox/organizations/{org}/records/{kind}", timeout=60
    )
    reply.raise_for_status()
    return reply.json()[kind]


def inventory_limits(stack: LocalStack, tenant: Tenant) -> dict[str, Any]:
    org = tenant.inventory["organization_id"]
    reply = httpx.get(f"{stack.endpoints['inventory']}/_sandbox/organizations/{org}/limits")
    reply.raise_for_status()
    return reply.json()


def crm_limits(stack: LocalStack, tenant: Tenant) -> dict[str, Any]:
    reply = httpx.get(f"{stack.endpoints['crm']}/_sandbox/orgs/{tenant.crm['org_id']}/limits")
    reply.raise_for_status()
    return reply.json()["limits"]


@dataclass(frozen=True)
class Outcome:
    """One module of one tenant after the run: names missing on a side, names more than once."""

    expected: int
    missing: dict[str, int]
    duplicated: dict[str, int]
    examples: list[str]  # a few of the names missing or duplicated


def _full_name(record: dict[str, Any]) -> str:
    return " ".join(part for part in (record.get("First_Name"), record.get("Last_Name")) if part)


def outcome(stack: LocalStack, tenant: Tenant, module: str) -> Outcome:
    """Customers pair CRM accounts with business customers and CRM contacts with individuals (the
    vendor's rule); vendors and items pair one to one."""
    crm_module, crm_name, kind, inventory_name, contact_type = PAIRS[module]
    crm_names = Counter(r[crm_name] for r in crm_records(stack, tenant, crm_module))
    if module == "customers":
        crm_names += Counter(_full_name(r) for r in crm_records(stack, tenant, "Contacts"))
    inventory_names = Counter(
        r[inventory_name]
        for r in inventory_records(stack, tenant, kind)
        if contact_type is None or r.get("contact_type") == contact_type
    )
    expected = set(crm_names) | set(inventory_names)
    odd = sorted((expected - set(crm_names)) | (expected - set(inventory_names)))
    odd += sorted(name for names in (crm_names, inventory_names) for name, n in names.items() if n > 1)
    return Outcome(
        expected=len(expected),
        missing={"crm": len(expected - set(crm_names)), "inventory": len(expected - set(inventory_names))},
        duplicated={
            "crm": sum(n - 1 for n in crm_names.values() if n > 1),
            "inventory": sum(n - 1 for n in inventory_names.values() if n > 1),
        },
        examples=odd[:3],
    )


def edits_arrived(stack: LocalStack, tenant: Tenant) -> int:
    """How many of the CRM edits the bench made during the run reached inventory."""
    names = {
        r["id"]: r["Account_Name"] for r in crm_records(stack, tenant, "Accounts") if r["id"] in tenant.edited
    }
    by_name = {
        r["contact_name"]: (r.get("billing_address") or {}).get("city")
        for r in inventory_records(stack, tenant, "contacts")
    }
    return sum(1 for crm_id, city in tenant.edited.items() if by_name.get(names.get(crm_id)) == city)
