"""One-click connect (L1 through the vendor's consent): a connect attempt from "Connect with Zoho" to
the organizations picked, and the signed, tenant-bound, single-use, short-lived `state` it carries.

An attempt is `started` when the admin asks for the consent page, `consented` once the callback
exchanged the code (the grant's refresh token is in the attempt's secret, never here) and listed the
organizations the grant reaches, `completed` when the integration is connected, `failed` with the
reason otherwise. Only a `started` attempt takes a callback, once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from enum import StrEnum

from crmsync.domain.models import DomainModel, Role, Timestamp


class ConnectStatus(StrEnum):
    STARTED = "started"
    CONSENTED = "consented"
    COMPLETED = "completed"
    FAILED = "failed"


class OrgChoice(DomainModel):
    """An organization the grant reaches, as the admin picks it ("Select Organization")."""

    id: str
    name: str


class ConnectAttempt(DomainModel):
    connect_id: str
    tenant_id: str
    role: Role = Role.PRIMARY
    data_center: str = "com"
    crm_base_url: str | None = None  # sandboxes only (custom endpoints); the CRM side is the accounts server
    inventory_base_url: str | None = None
    status: ConnectStatus = ConnectStatus.STARTED
    created_at: Timestamp
    state_expires_at: Timestamp  # the state, and with it the consent, is good until then
    crm_orgs: tuple[OrgChoice, ...] = ()
    inventory_orgs: tuple[OrgChoice, ...] = ()
    failure: str | None = None
    integration_id: str | None = None
    version: int = 0


class BadState(ValueError):
    """A `state` this deployment did not sign, or signed for an attempt that is over."""


def sign_state(key: bytes, connect_id: str, tenant_id: str, expires_at: datetime) -> str:
    """`<payload>.<mac>`, both base64url: the attempt, its tenant and when the state stops being good."""
    payload = _b64(json.dumps({"c": connect_id, "t": tenant_id, "e": int(expires_at.timestamp())}).encode())
    return f"{payload}.{_mac(key, payload)}"


def read_state(key: bytes, state: str, now: datetime) -> tuple[str, str]:
    """(connect_id, tenant_id) of a state this key signed that has not expired; BadState otherwise."""
    payload, _, mac = state.partition(".")
    if not payload or not mac or not hmac.compare_digest(mac, _mac(key, payload)):
        raise BadState("the state is not one this service signed")
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        connect_id, tenant_id, expires = str(claims["c"]), str(claims["t"]), int(claims["e"])
    except (ValueError, KeyError, TypeError):
        raise BadState("the state is not one this service signed") from None
    if now.timestamp() > expires:
        raise BadState("the state has expired")
    return connect_id, tenant_id


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
