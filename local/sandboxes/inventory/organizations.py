"""Organizations, their currencies, users and custom field definitions, and their routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from . import customfields
from .customfields import CustomFieldDefinition
from .endpoint import Call, Reply, api_route, ok
from .errors import not_found
from .listing import ListSpec, page
from .store import OrgData, Record, SandboxState
from .wire import format_date, zone

# code -> (name, symbol, US dollars per unit)
CURRENCIES: dict[str, tuple[str, str, float]] = {
    "USD": ("US Dollar", "$", 1.0),
    "EUR": ("Euro", "€", 1.08),
    "GBP": ("Pound Sterling", "£", 1.27),
    "CAD": ("Canadian Dollar", "$", 0.73),
    "INR": ("Indian Rupee", "₹", 0.012),
}
COUNTRY_CODES = {
    "U.S.A": "US",
    "USA": "US",
    "United States": "US",
    "Germany": "DE",
    "India": "IN",
    "United Kingdom": "GB",
    "France": "FR",
    "Canada": "CA",
    "Australia": "AU",
}


class OrganizationSpec(BaseModel):
    """An organization as a seed describes it; every key has a default."""

    model_config = ConfigDict(extra="forbid")

    name: str = "Sandbox Inventory Org"
    email: str = "admin@sandbox-inventory.example"
    contact_name: str = "Sandbox Admin"
    country: str = "U.S.A"
    country_code: str | None = None
    currency_code: str = "USD"
    plan_name: str = "PREMIUM"
    time_zone: str = "Etc/UTC"
    language_code: str = "en"
    phone: str | None = None
    address: dict[str, str] | None = None


class UserSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    email: str
    user_role: str = "staff"


def create_organization(state: SandboxState, spec: OrganizationSpec, users: list[UserSpec]) -> OrgData:
    """A new organization with currencies, users (the first is its admin) and custom fields."""
    if spec.currency_code not in CURRENCIES:
        raise ValueError(f"currency_code must be one of {sorted(CURRENCIES)}")
    tz = zone(spec.time_zone)
    org_id = state.org_ids.next()
    currencies = [_currency(state, code, spec.currency_code) for code in CURRENCIES]
    base = next(c for c in currencies if c["is_base_currency"])
    people = users or [UserSpec(name=spec.contact_name, email=spec.email, user_role="admin")]
    organization = {
        "organization_id": org_id,
        "name": spec.name,
        "contact_name": spec.contact_name,
        "email": spec.email,
        "is_default_org": True,
        "plan_type": 1,
        "plan_name": spec.plan_name.upper(),
        "plan_period": "yearly",
        "language_code": spec.language_code,
        "fiscal_year_start_month": 0,
        "account_created_date": format_date(state.now(), tz),
        "time_zone": spec.time_zone,
        "is_org_active": True,
        "currency_id": base["currency_id"],
        "currency_code": base["currency_code"],
        "currency_symbol": base["currency_symbol"],
        "currency_format": base["currency_format"],
        "price_precision": 2,
        "country": spec.country,
        "country_code": spec.country_code or COUNTRY_CODES.get(spec.country),
        "phone": spec.phone,
        "address": spec.address
        or {"street_address1": "", "city": "", "state": "", "zip": "", "country": spec.country},
    }
    org = OrgData(
        organization=organization,
        tz=tz,
        users=[_user(state, person) for person in people],
        currencies=currencies,
        customfields={
            entity: [
                CustomFieldDefinition(
                    customfield_id=state.ids.next(), entity=entity, index=i + 1, **definition
                )
                for i, definition in enumerate(definitions)
            ]
            for entity, definitions in customfields.default_definitions().items()
        },
    )
    state.orgs[org_id] = org
    return org


def _currency(state: SandboxState, code: str, base_code: str) -> Record:
    name, symbol, usd = CURRENCIES[code]
    return {
        "currency_id": state.ids.next(),
        "currency_code": code,
        "currency_name": name,
        "currency_symbol": symbol,
        "price_precision": 2,
        "currency_format": "1,234,567.89",
        "is_base_currency": code == base_code,
        "exchange_rate": round(usd / CURRENCIES[base_code][2], 6),
        "effective_date": "2026-01-01",
    }


def _user(state: SandboxState, person: UserSpec) -> Record:
    return {
        "user_id": state.ids.next(),
        "role_id": state.ids.next(),
        "name": person.name,
        "email": person.email,
        "user_role": person.user_role,
        "user_type": "zoho",
        "status": "active",
        "photo_url": "",
    }


def _summary(org: OrgData) -> Record:
    return {k: v for k, v in org.organization.items() if k not in ("address", "phone")}


def list_organizations(call: Call) -> Reply:
    orgs = [call.state.orgs[i] for i in sorted(call.state.orgs) if call.grant.reaches(i)]
    return ok(organizations=[_summary(org) for org in orgs])


def get_organization(call: Call) -> Reply:
    return ok(organization=call.org.organization)


def list_currencies(call: Call) -> Reply:
    return ok(currencies=call.org.currencies)


def _current_user_id(call: Call) -> str:
    """The grant's user; a consent grant acts as the sandbox user, the organization's admin (first user)."""
    if any(u["user_id"] == call.grant.user_id for u in call.org.users):
        return call.grant.user_id
    return call.org.users[0]["user_id"]


def _user_view(call: Call, user: Record) -> Record:
    return user | {"is_current_user": user["user_id"] == _current_user_id(call)}


USERS = ListSpec("Users", {"name": lambda u: u["name"], "email": lambda u: u["email"]}, "name")


def list_users(call: Call) -> Reply:
    users, context = page(call.org.users, call.query, USERS, call.query.get("filter_by", "Status.All"))
    return ok(users=[_user_view(call, u) for u in users], page_context=context)


def get_user(call: Call) -> Reply:
    wanted = _current_user_id(call) if call.params.get("user_id") is None else call.params["user_id"]
    user = next((u for u in call.org.users if u["user_id"] == wanted), None)
    if user is None:
        raise not_found("User")
    return ok(user=_user_view(call, user))


def list_customfields(call: Call) -> Reply:
    raw = call.query.get("entity")
    entities = [customfields.entity_name(raw)] if raw else list(customfields.ENTITIES)
    fields: list[dict[str, Any]] = [
        d.model_dump() for entity in entities for d in call.org.customfields.get(entity, [])
    ]
    return ok(customfields=fields)


ROUTES = [
    api_route("/organizations", list_organizations, ["GET"], org_scoped=False),
    api_route("/organizations/{organization_id}", get_organization, ["GET"]),
    api_route("/settings/currencies", list_currencies, ["GET"]),
    api_route("/settings/customfields", list_customfields, ["GET"]),
    api_route("/users", list_users, ["GET"]),
    api_route("/users/me", get_user, ["GET"]),
    api_route("/users/{user_id}", get_user, ["GET"]),
]
