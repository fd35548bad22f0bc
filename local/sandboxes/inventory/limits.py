"""API limits: each organization's request window and daily cap, and token lifetimes.

The sandbox-wide `Limits` are the defaults; an organization's own `OrgLimits` (seed `limits`,
`PUT /_sandbox/organizations/{id}/limits`) override them key by key. The daily cap is the
organization's own `per_day`, else the sandbox-wide `per_day`, else the cap of its plan.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
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


class OrgLimits(BaseModel):
    """One organization's own limits; None follows the sandbox-wide `Limits` (and the plan)."""

    model_config = ConfigDict(extra="forbid")

    per_minute: int | None = Field(None, ge=1)
    per_day: int | None = Field(None, ge=1)
    window_seconds: float | None = Field(None, gt=0)


@dataclass(frozen=True)
class Budget:
    """The limits in force for one organization."""

    per_minute: int
    window_seconds: float
    per_day: int


def budget(limits: Limits, own: OrgLimits, plan_name: str) -> Budget:
    per_day = own.per_day or limits.per_day or DAILY_CAP_BY_PLAN.get(plan_name.upper(), DEFAULT_DAILY_CAP)
    return Budget(
        per_minute=own.per_minute or limits.per_minute,
        window_seconds=own.window_seconds or limits.window_seconds,
        per_day=per_day,
    )


@dataclass
class _Usage:
    window_start: float = 0.0
    window_count: int = 0
    day: date | None = None
    day_count: int = 0
    recent: deque[float] = field(default_factory=deque)  # admitted calls of the last `window_seconds`
    peak: int = 0  # the most admitted calls in any `window_seconds`, however aligned
    refused: dict[str, int] = field(default_factory=lambda: {"minute": 0, "day": 0})


class RateLimiter:
    """Fixed windows per organization: one of `window_seconds` opened by the first call after the
    previous one closed, and the calendar day in the organization's time zone."""

    def __init__(self) -> None:
        self._usage: dict[str, _Usage] = {}

    def admit(self, org_id: str, now: float, limits: Budget, tz: tzinfo) -> dict[str, str]:
        """Count one call, or raise the 429 reply; returns the `x-rate-limit-*` headers.

        The headers describe the organization's **daily** quota, as the vendor's do (zoho-api.md
        §2.2): the cap, the calls left today and the seconds to the organization's midnight. The
        per-minute limit shows only as 429 code 44 with `Retry-After`.
        """
        usage = self._current(org_id, now, tz)
        to_midnight = seconds_to_midnight(now, tz)
        if usage.day_count >= limits.per_day:
            usage.refused["day"] += 1
            raise InventoryApiError(
                Code.RATE_LIMIT_DAY,
                "The API call for this organization has exceeded the maximum call rate limit of "
                f"{limits.per_day}.",
                429,
                _headers(limits.per_day, 0, to_midnight) | {"Retry-After": str(to_midnight)},
            )
        if now >= usage.window_start + limits.window_seconds:
            usage.window_start, usage.window_count = now, 0
        if usage.window_count >= limits.per_minute:
            window_reset = max(1, math.ceil(usage.window_start + limits.window_seconds - now))
            usage.refused["minute"] += 1
            raise InventoryApiError(
                Code.RATE_LIMIT_MINUTE,
                "The request has been blocked as it has exceeded the maximum number of requests per "
                f"minute ({limits.per_minute}) for this organization. Please try again after some time.",
                429,
                _headers(limits.per_day, limits.per_day - usage.day_count, to_midnight)
                | {"Retry-After": str(window_reset)},
            )
        usage.window_count += 1
        usage.day_count += 1
        usage.recent.append(now)
        while usage.recent[0] <= now - limits.window_seconds:
            usage.recent.popleft()
        usage.peak = max(usage.peak, len(usage.recent))
        return _headers(limits.per_day, limits.per_day - usage.day_count, to_midnight)

    def used_today(self, org_id: str, now: float, tz: tzinfo) -> int:
        return self._current(org_id, now, tz).day_count

    def observed(self, org_id: str) -> dict[str, object]:
        """What a benchmark checks: the most calls admitted in any window (a sliding one, so however
        a client aligns its own), and the 429 answers by kind (code 44 minute, code 45 day)."""
        usage = self._usage.get(org_id, _Usage())
        return {"peak_window_calls": usage.peak, "refused": dict(usage.refused)}

    def _current(self, org_id: str, now: float, tz: tzinfo) -> _Usage:
        usage = self._usage.setdefault(org_id, _Usage())
        today = datetime.fromtimestamp(now, UTC).astimezone(tz).date()
        if usage.day != today:
            usage.day, usage.day_count = today, 0
        return usage


def seconds_to_midnight(now: float, tz: tzinfo) -> int:
    """Whole seconds from `now` to the next midnight in `tz` (at least 1)."""
    local = datetime.fromtimestamp(now, UTC).astimezone(tz)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tz)
    return max(1, math.ceil(midnight.timestamp() - now))


def _headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(max(0, remaining)),
        "x-rate-limit-reset": str(reset),
    }
