"""`POST /_sandbox/seed`: an organization with records, built through the same code as the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import contacts, items, payments, transactions
from .errors import InventoryApiError
from .limits import OrgLimits
from .organizations import OrganizationSpec, UserSpec, create_organization
from .store import OrgData, Record, SandboxState
from .transactions import KINDS, Kind
from .wire import parse_timestamp

SEED_ONLY = ("status", "created_time", "last_modified_time")
# how a seeded transaction reaches its `status`: actions in order; "$pay" pays the balance, "$pay_half" half
STATUS_PATHS = {
    "paid": ("sent", "$pay"),
    "partially_paid": ("sent", "$pay_half"),
    "accepted": ("sent", "accepted"),
    "declined": ("sent", "declined"),
}


class GenerateSpec(BaseModel):
    """Bulk records named `Generated Customer 00001`, `Generated Item 00001` (SKU `GEN-00001`), ..."""

    model_config = ConfigDict(extra="forbid")

    customers: int = Field(0, ge=0, le=200_000)
    vendors: int = Field(0, ge=0, le=200_000)
    items: int = Field(0, ge=0, le=200_000)


class SeedRequest(BaseModel):
    """Records are API create bodies. Seeds may also set `status`, `created_time` and
    `last_modified_time`; transactions may name their contact by `customer_name`/`vendor_name`
    and line items their item by `sku`."""

    model_config = ConfigDict(extra="forbid")

    preset: Literal["demo"] | None = None
    organization_id: str | None = None  # add to this organization instead of creating one
    organization: OrganizationSpec | None = None
    users: list[UserSpec] = []
    contacts: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    estimates: list[dict[str, Any]] = []
    salesorders: list[dict[str, Any]] = []
    invoices: list[dict[str, Any]] = []
    purchaseorders: list[dict[str, Any]] = []
    expenses: list[dict[str, Any]] = []
    generate: GenerateSpec | None = None
    limits: OrgLimits | None = None  # the organization's own limits; unset keys follow the sandbox's


class SeedError(Exception):
    """A seed that cannot be applied (the reply is 400)."""


def combine(preset: SeedRequest, extra: SeedRequest) -> SeedRequest:
    """A preset plus what the caller set next to it: record lists are appended to the preset's,
    organization keys override the preset's, anything else replaces it."""
    update: dict[str, Any] = {}
    for key in extra.model_fields_set - {"preset"}:
        value = getattr(extra, key)
        if isinstance(value, list):
            update[key] = getattr(preset, key) + value
        elif key == "organization" and value is not None and preset.organization is not None:
            update[key] = preset.organization.model_copy(update=value.model_dump(exclude_unset=True))
        else:
            update[key] = value
    return preset.model_copy(update=update)


def seed(state: SandboxState, request: SeedRequest, base_url: str) -> dict[str, Any]:
    """Apply a seed (its preset already combined in); returns the credentials and the new ids."""
    org = _target_org(state, request)
    if request.limits is not None:
        state.set_org_limits(org, request.limits.model_dump(exclude_unset=True))
    now = state.now()
    ids: dict[str, dict[str, str]] = {"users": {u["email"]: u["user_id"] for u in org.users}}
    try:
        ids["contacts"] = _each(request.contacts, lambda raw: _contact(state, org, now, raw), "contact_name")
        ids["items"] = _each(request.items, lambda raw: _item(state, org, now, raw), "sku")
        for kind in KINDS.values():
            raws = getattr(request, kind.path)
            ids[kind.path] = _each(
                raws,
                lambda raw, k=kind: _transaction(state, org, now, k, raw),
                kind.number_key or kind.id_key,
            )
    except InventoryApiError as exc:
        raise SeedError(f"{exc.code}: {exc.message}") from exc
    generated = _generate(state, org, now, request.generate or GenerateSpec())
    grant = state.oauth.grant_for_org(org.organization_id)
    assert grant is not None
    return {
        "organization_id": org.organization_id,
        "client_id": grant.client_id,
        "client_secret": grant.client_secret,
        "refresh_token": grant.refresh_token,
        "api_domain": state.settings.public_url or base_url,
        "ids": ids,
        "generated": generated.model_dump(),
        "limits": state.describe_limits(org),
    }


def _target_org(state: SandboxState, request: SeedRequest) -> OrgData:
    if request.organization_id is not None:
        org = state.orgs.get(request.organization_id)
        if org is None:
            raise SeedError(f"unknown organization_id {request.organization_id}")
        return org
    try:
        org = create_organization(state, request.organization or OrganizationSpec(), request.users)
    except ValueError as exc:
        raise SeedError(str(exc)) from exc
    admin = org.users[0]
    state.oauth.register(
        f"inventory:{org.organization_id}", admin["user_id"], org.organization_id, org.organization["name"]
    )
    return org


def _each(
    raws: list[dict[str, Any]], create: Callable[[dict[str, Any]], tuple[Record, str]], key: str
) -> dict[str, str]:
    ids: dict[str, str] = {}
    for raw in raws:
        record, id_key = create(raw)
        ids[str(record.get(key) or record[id_key])] = record[id_key]
    return ids


def _overrides(org: OrgData, record: Record, raw: dict[str, Any]) -> None:
    for key in ("created_time", "last_modified_time"):
        if key in raw:
            record[key] = parse_timestamp(str(raw[key]), key, org.tz)


def _contact(state: SandboxState, org: OrgData, now: datetime, raw: dict[str, Any]) -> tuple[Record, str]:
    contact = contacts.create_contact(org, state.ids, now, _body(raw))
    contact["status"] = raw.get("status", "active")
    _overrides(org, contact, raw)
    return contact, "contact_id"


def _item(state: SandboxState, org: OrgData, now: datetime, raw: dict[str, Any]) -> tuple[Record, str]:
    item = items.create_item(org, state.ids, now, _body(raw))
    item["status"] = raw.get("status", "active")
    _overrides(org, item, raw)
    return item, "item_id"


def _transaction(
    state: SandboxState, org: OrgData, now: datetime, kind: Kind, raw: dict[str, Any]
) -> tuple[Record, str]:
    body = _body(raw)
    for party in ("customer", "vendor"):
        name = body.pop(f"{party}_name", None)
        if name is not None:
            body[f"{party}_id"] = _contact_id(org, name)
    body["line_items"] = [_line(org, line) for line in body.get("line_items", [])]
    own_number = bool(kind.number_key and body.get(kind.number_key))
    record = transactions.create(org, state.ids, now, kind, body, own_number)
    target = raw.get("status")
    if target and target != record["status"]:
        for step in STATUS_PATHS.get(target, (target,)):
            if step.startswith("$pay"):
                share = record["balance"] / (2 if step == "$pay_half" else 1)
                applied = [{"invoice_id": record[kind.id_key], "amount_applied": share}]
                payments.record_payment(
                    org, state.ids, now, {"customer_id": record["customer_id"], "invoices": applied}
                )
            else:
                transactions.change_status(org, now, kind, record[kind.id_key], step)
    _overrides(org, record, raw)
    return record, kind.id_key


def _contact_id(org: OrgData, name: str) -> str:
    match = next((c for c in org.contacts.values() if c["contact_name"] == name), None)
    if match is None:
        raise SeedError(f"no contact named {name!r}")
    return match["contact_id"]


def _line(org: OrgData, line: dict[str, Any]) -> dict[str, Any]:
    line = dict(line)
    sku = line.pop("sku", None)
    if sku is not None:
        match = next((i for i in org.items.values() if i["sku"] == sku), None)
        if match is None:
            raise SeedError(f"no item with SKU {sku!r}")
        line["item_id"] = match["item_id"]
    return line


def _body(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in SEED_ONLY}


def _generate(state: SandboxState, org: OrgData, now: datetime, spec: GenerateSpec) -> GenerateSpec:
    for n in range(1, spec.customers + 1):
        sub_type = "business" if n % 2 else "individual"
        contacts.create_contact(
            org,
            state.ids,
            now,
            {
                "contact_name": f"Generated Customer {n:05d}",
                "contact_type": "customer",
                "customer_sub_type": sub_type,
            },
        )
    for n in range(1, spec.vendors + 1):
        contacts.create_contact(
            org, state.ids, now, {"contact_name": f"Generated Vendor {n:05d}", "contact_type": "vendor"}
        )
    for n in range(1, spec.items + 1):
        items.create_item(
            org,
            state.ids,
            now,
            {
                "name": f"Generated Item {n:05d}",
                "sku": f"GEN-{n:05d}",
                "rate": float(n % 500 + 1),
                "unit": "pcs",
            },
        )
    return spec
