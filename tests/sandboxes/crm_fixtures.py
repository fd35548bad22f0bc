"""Helpers for tests against the CRM sandbox: a controllable clock, a connected client, a webhook receiver."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


class FakeClock:
    """Stands still until a test advances it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class CrmApi:
    """A client connected as the vendor's SDK would be: `get("/Accounts")` goes to `/crm/v8/Accounts`."""

    http: httpx.Client
    seed: dict[str, Any]
    token: str

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, "/crm/v8" + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)


def refresh(base_url: str, seed: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{base_url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": seed["client_id"],
            "client_secret": seed["client_secret"],
            "refresh_token": seed["refresh_token"],
        },
    )


def connect(base_url: str, seed_body: dict[str, Any] | None = None) -> CrmApi:
    """Reset, seed, refresh a token and return a client pointed at the token's `api_domain`."""
    control = httpx.Client(base_url=base_url)
    control.post("/_sandbox/reset").raise_for_status()
    seeded = control.post("/_sandbox/seed", json=seed_body or {})
    seeded.raise_for_status()
    grant = refresh(base_url, seeded.json()).json()
    http = httpx.Client(
        base_url=grant["api_domain"], headers={"Authorization": f"Zoho-oauthtoken {grant['access_token']}"}
    )
    return CrmApi(http, seeded.json(), grant["access_token"])


@dataclass
class Receiver:
    """A notify_url endpoint: records every callback; answers 500 to the first `fail_first` ones."""

    fail_first: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            payload = await request.json()
            status = 500 if len(self.answered) < self.fail_first else 200
            self.answered.append(status)
            if status == 200:
                self.received.append(payload)
            return JSONResponse({}, status_code=status)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def wait_for(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError("condition not met in time")
