"""Typed errors of the vendor ports: services catch these without importing any adapter.

Every error names the vendor system it came from and says whether trying the same call again later
can succeed (`retryable`). Adapters raise only these for vendor-side failures.
"""

from __future__ import annotations

from typing import Literal

VendorSystem = Literal["crm", "inventory"]


class VendorError(Exception):
    """A call to the CRM or inventory API failed."""

    retryable: bool = False

    def __init__(
        self,
        system: VendorSystem,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(f"{system}: {message}" + (f" [{code}]" if code else ""))
        self.system = system
        self.message = message
        self.code = code
        self.status = status
        self.retry_after = retry_after


class RateLimited(VendorError):
    """Throttled (per-minute, concurrency or credits): worth retrying after a pause."""

    retryable = True


class DailyLimitReached(RateLimited):
    """The vendor's daily call cap is used up: retrying before the window rolls over is pointless."""

    retryable = False


class Unavailable(VendorError):
    """The vendor answered 5xx, timed out or dropped the connection."""

    retryable = True


class AuthorizationExpired(VendorError):
    """The refresh token is revoked or invalid (or lacks a scope): the integration needs reconnecting."""


class NotFound(VendorError):
    """The addressed record or resource does not exist."""


class ValidationFailed(VendorError):
    """The vendor refused the data; `field` names the offending field's API name when the vendor says."""

    def __init__(
        self,
        system: VendorSystem,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        status: int | None = None,
    ):
        super().__init__(system, message, code=code, status=status)
        self.field = field


class PermanentError(VendorError):
    """Any other refusal that retrying will not fix (permissions, unsupported calls, bad requests)."""
