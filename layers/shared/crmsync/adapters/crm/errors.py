"""How Zoho CRM signals failure, mapped to the port's typed errors."""

from __future__ import annotations

from typing import Any

import httpx

from crmsync.adapters.http import decode_json, retry_after_seconds
from crmsync.ports.errors import (
    AuthorizationExpired,
    DailyLimitReached,
    NotFound,
    PermanentError,
    RateLimited,
    Unavailable,
    ValidationFailed,
    VendorError,
)

CREDITS_REMAINING = "X-API-CREDITS-REMAINING"  # sent once half of the day's credits are spent
TOKEN_REJECTED = {"INVALID_TOKEN", "AUTHENTICATION_FAILURE"}
VALIDATION = {
    "INVALID_DATA",
    "MANDATORY_NOT_FOUND",
    "DUPLICATE_DATA",
    "EXPECTED_FIELD_MISSING",
    "DEPENDENT_FIELD_MISSING",
    "LIMIT_EXCEEDED",
    "RECORD_LOCKED",
    "RECORD_IN_BLUEPRINT",
    "CANNOT_DELETE",
    "ALREADY_MODIFIED",
}


def is_token_rejected(response: httpx.Response) -> bool:
    """A 401 saying the access token is invalid or expired: refresh it and replay once."""
    return response.status_code == 401 and _error_parts(decode_json(response))[0] in TOKEN_REJECTED


def classify(response: httpx.Response) -> VendorError | None:
    """The typed error a CRM response stands for; None for success, including batch answers.

    A write whose records all failed may come back as 4xx with per-record results in `data`:
    that is a batch answer for the caller to read, not an error of the call.
    """
    status = response.status_code
    if status < 400:
        return None
    body = decode_json(response)
    if isinstance(body, dict) and isinstance(body.get("data"), list) and status in (400, 207):
        return None
    code, message, details = _error_parts(body)
    message = message or f"HTTP {status}"
    if status == 429 and response.headers.get(CREDITS_REMAINING) == "0":
        return DailyLimitReached("crm", message, code=code, status=status)
    if status == 429 or is_throttling_400(status, code, message):
        return RateLimited(
            "crm", message, code=code, status=status, retry_after=retry_after_seconds(response)
        )
    if status >= 500:
        return Unavailable("crm", message, code=code, status=status)
    if status == 401 or code == "OAUTH_SCOPE_MISMATCH":
        return AuthorizationExpired("crm", message, code=code, status=status)
    field = details.get("api_name") if isinstance(details.get("api_name"), str) else None
    if status == 404 or (code == "INVALID_DATA" and field == "id"):
        return NotFound("crm", message, code=code, status=status)
    if code in VALIDATION:
        return ValidationFailed("crm", message, field=field, code=code, status=status)
    return PermanentError("crm", message, code=code, status=status)


def is_throttling_400(status: int, code: str | None, message: str) -> bool:
    """The CRM sometimes throttles with a 400 whose only sign is the message text."""
    return status == 400 and (code == "TOO_MANY_REQUESTS" or "too many requests" in message.lower())


def _error_parts(body: Any) -> tuple[str | None, str | None, dict[str, Any]]:
    if not isinstance(body, dict):
        return None, None, {}
    details = body.get("details")
    return body.get("code"), body.get("message"), details if isinstance(details, dict) else {}
