"""API limits: the per-organization request window and daily cap, and token lifetimes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from pydantic import BaseModel, ConfigDict, Field

from .errors import Code, InventoryApiError

DAILY_CAP_BY_PLAN = {"FREE": 1000, "STANDARD": 2000, "PROFESSIONAL": 5000}
DEFAULT_DAILY_CAP = 10_000  # Premium, Enterprise, Elite, Ultimate


class Limits(BaseModel):
    """What `PUT /_sandbox/limits` sets; a partial body changes only the keys it names."""

    model_config = ConfigDict(extra="forbid")

    per_minute: int = Field(100, ge=1)
    per_day: int | None = Field(None, ge=1, description="None: the cap of the organization's plan")
    window_seconds: float = Field(60.0, gt=0)
    token_expires_in: int = Field(3600, ge=0)
    tokens_per_refresh_token: int = Field(10, ge=1, description="access tokens per refresh token per 10 min")


def daily_cap(limits: Limits, plan_name: str) -> int:
    if limits.per_day is not None:
        return limits.per_day
    return DAILY_CAP_BY_PLAN.get(plan_name.upper(), DEFAULT_DAILY_CAP)


@dataclass
class _Usage:
    window_start: float = 0.0
    window_count: int = 0
    day: date | None = None
    day_count: int = 0


class RateLimiter:
    """Fixed windows per organization: one of `window_seconds` opened by the first call after the
    previous one closed, and the calendar day in the organization's time zone."""

    def __init__(self) -> None:
        self._usage: dict[str, _Usage] = {}

    def admit(self, org_id: str, now: float, limits: Limits, cap: int, tz: tzinfo) -> dict[str, str]:
        """Count one call, or raise the 429 reply; returns the `x-rate-limit-*` headers."""
        usage = self._usage.setdefault(org_id, _Usage())
        local = datetime.fromtimestamp(now, UTC).astimezone(tz)
        if usage.day != local.date():
            usage.day, usage.day_count = local.date(), 0
        if now >= usage.window_start + limits.window_seconds:
            usage.window_start, usage.window_count = now, 0
        window_reset = max(1, math.ceil(usage.window_start + limits.window_seconds - now))
        if usage.day_count >= cap:
            midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tz)
            retry = max(1, math.ceil(midnight.timestamp() - now))
            raise InventoryApiError(
                Code.RATE_LIMIT_DAY,
                f"The API call for this organization has exceeded the maximum call rate limit of {cap}.",
                429,
                _headers(cap, 0, retry) | {"Retry-After": str(retry)},
            )
        if usage.window_count >= limits.per_minute:
            raise InventoryApiError(
                Code.RATE_LIMIT_MINUTE,
                "The request has been blocked as it has exceeded the maximum number of requests per "
                f"minute ({limits.per_minute}) for this organization. Please try again after some time.",
                429,
                _headers(limits.per_minute, 0, window_reset) | {"Retry-After": str(window_reset)},
            )
        usage.window_count += 1
        usage.day_count += 1
        return _headers(limits.per_minute, limits.per_minute - usage.window_count, window_reset)


def _headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(reset),
    }
