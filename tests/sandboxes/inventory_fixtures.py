"""Helpers for tests against the inventory sandbox: a controllable clock and a connected client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

START = 1_795_600_800.0  # 2026-11-25T10:00:00Z


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class InventoryApi:
    """A connected client: `get("/contacts")` adds the token and the organization id."""

    http: httpx.Client
    organization_id: str
    seed: dict[str, Any]

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        params = {"organization_id": self.organization_id} | kwargs.pop("params", {})
        return self.http.request(method, "/inventory/v1" + path, params=params, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)


def connect(control: httpx.Client, seed_body: dict[str, Any]) -> InventoryApi:
    seeded = control.post("/_sandbox/seed", json=seed_body)
    assert seeded.status_code == 201, seeded.text
    seed = seeded.json()
    token = access_token(control, seed)
    http = httpx.Client(
        base_url=control.base_url, timeout=5, headers={"Authorization": f"Zoho-oauthtoken {token}"}
    )
    return InventoryApi(http, seed["organization_id"], seed)


def access_token(control: httpx.Client, seed: dict[str, Any]) -> str:
    reply = control.post(
        "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": seed["client_id"],
            "client_secret": seed["client_secret"],
            "refresh_token": seed["refresh_token"],
        },
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"]
