"""API limits of the CRM sandbox: settable limits, daily credits, concurrency and the auth gate."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .clock import Clock
from .errors import CrmError, invalid_token, too_many_requests

CREDIT_WINDOW = timedelta(hours=24)
API_PREFIX = "/crm/"
PRINCIPAL = "crm.principal"  # scope key: the refresh token behind the caller's access token
ORG = "crm.org"  # scope key: the org (`CrmSandbox`) the caller's access token belongs to


class CrmLimits(BaseModel):
    """Limits set through `PUT /_sandbox/limits`; `None` means the vendor's default for the org's edition."""

    model_config = ConfigDict(extra="forbid")

    credits_per_day: int | None = Field(default=None, ge=0)
    credits_window_seconds: int = Field(default=86_400, ge=1)  # the rolling 24 h, scaled down for benchmarks
    concurrency: int | None = Field(default=None, ge=1)
    token_expires_in: int = Field(default=3600, ge=1)
    access_tokens_per_window: int = Field(default=10, ge=1)
    page_token_ttl: int = Field(default=86_400, ge=1)
    page_token_ceiling: int = Field(default=100_000, ge=1)
    notify_retry_base_s: float = Field(default=1.0, ge=0)
    notify_max_attempts: int = Field(default=5, ge=1)
    notify_timeout_s: float = Field(default=5.0, gt=0)


class Credits:
    """Credits spent in the rolling window (24 h unless `window()` says otherwise)."""

    def __init__(self, clock: Clock, window: Callable[[], timedelta] = lambda: CREDIT_WINDOW) -> None:
        self.clock = clock
        self.window = window
        self.spent: deque[tuple[datetime, int]] = deque()

    def used(self) -> int:
        horizon = self.clock() - self.window()
        while self.spent and self.spent[0][0] <= horizon:
            self.spent.popleft()
        return sum(cost for _, cost in self.spent)

    def charge(self, cost: int) -> None:
        if cost > 0:
            self.spent.append((self.clock(), cost))


class Gate:
    """Admission for `/crm/` calls: a valid token, credits left, a free concurrency slot.

    `principal(header)` resolves the Authorization header; `budget()` gives (credits per day, concurrency).
    """

    def __init__(
        self,
        credits: Credits,
        principal: Callable[[str | None], str | None],
        budget: Callable[[], tuple[int, int]],
    ) -> None:
        self.credits = credits
        self.principal = principal
        self.budget = budget
        self.in_flight = 0
        self.refused = {"credits": 0, "concurrency": 0}  # 429 answers by cause, for benchmarks

    @asynccontextmanager
    async def admit(self, scope: Scope) -> AsyncIterator[Response | None]:
        if not scope["path"].startswith(API_PREFIX):
            yield None
            return
        header = Headers(scope=scope).get("authorization")
        principal = self.principal(header)
        if principal is None:
            error = (
                invalid_token()
                if header
                else CrmError("AUTHENTICATION_FAILURE", "Authentication failed", 401)
            )
            yield error.response()
            return
        per_day, concurrency = self.budget()
        if self.credits.used() >= per_day:
            self.refused["credits"] += 1
            yield too_many_requests(
                "You have reached the maximum number of API credits for the day"
            ).response()
            return
        if self.in_flight >= concurrency:
            self.refused["concurrency"] += 1
            yield too_many_requests("The number of concurrent requests exceeds the allowed limit").response()
            return
        scope[PRINCIPAL] = principal
        self.credits.charge(1)
        self.in_flight += 1
        try:
            yield None
        finally:
            self.in_flight -= 1


class CreditsHeader:
    """Adds `X-API-CREDITS-REMAINING` to API answers once half of the day's credits are used."""

    def __init__(self, app: ASGIApp, *, remaining: Callable[[Scope], tuple[int, int]]) -> None:
        self.app = app
        self.remaining = remaining  # (remaining, per day) of the org the call reached

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                left, per_day = self.remaining(scope)
                if left * 2 <= per_day:
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"x-api-credits-remaining", str(left).encode()),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_header)
