"""Helpers the end-to-end tests share: seed the stack's sandboxes, act as their users, wait for the stack."""

from __future__ import annotations

import time

import httpx

GRANT_KEYS = ("client_id", "client_secret", "refresh_token")


def seed(url: str, body: dict) -> dict:
    reply = httpx.post(f"{url}/_sandbox/seed", json=body, timeout=60)
    reply.raise_for_status()
    return reply.json()


_tokens: dict[tuple[str, str], str] = {}


def token(url: str, seeded: dict) -> str:
    """One access token per sandbox and grant (the vendors allow only a few per refresh token)."""
    key = (url, seeded["refresh_token"])
    if key not in _tokens:
        form = {"grant_type": "refresh_token", **{k: seeded[k] for k in GRANT_KEYS}}
        _tokens[key] = httpx.post(f"{url}/oauth/v2/token", data=form).json()["access_token"]
    return _tokens[key]


def auth(url: str, seeded: dict) -> dict[str, str]:
    return {"Authorization": f"Zoho-oauthtoken {token(url, seeded)}"}


def connect_body(stack, crm: dict, inventory: dict, role: str = "primary") -> dict:
    """The body of `POST /integrations` for the seeded sandboxes of the stack."""

    def grant(seeded: dict, url: str) -> dict:
        return {k: seeded[k] for k in GRANT_KEYS} | {"base_url": url}

    return {
        "role": role,
        "crm": {"org_id": crm["org_id"], **grant(crm, stack.endpoints["crm"])},
        "inventory": {"organization_id": inventory["organization_id"], **grant(inventory, stack.endpoints["inventory"])},
    }


def wait_for(condition, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not met in time")
