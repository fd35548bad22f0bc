"""How Zoho Inventory signals failure (HTTP status plus a numeric body `code`), as typed errors."""

from __future__ import annotations

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

NOT_AUTHORIZED = 57  # dead token or missing scope
BAD_AUTH_HEADER = 14
PER_MINUTE_LIMIT = 44
DAILY_LIMIT = 45
TOO_MANY_IN_PROCESS = 1070
DOES_NOT_EXIST = 1002
NOT_ASSOCIATED = 6041  # the organization is not one this grant's user belongs to
ALREADY_IN_STATUS = "1055"  # the document already has that status (a repeated status action)


def is_token_rejected(response: httpx.Response) -> bool:
    """An auth refusal that a fresh access token may cure: refresh it and replay once."""
    return response.status_code in (400, 401) and _code(decode_json(response)) in (
        NOT_AUTHORIZED,
        BAD_AUTH_HEADER,
    )


def classify(response: httpx.Response) -> VendorError | None:
    """The typed error an inventory response stands for; None for success (`code` 0)."""
    status = response.status_code
    body = decode_json(response)
    code = _code(body)
    if status < 400 and not code:
        return None
    message = str(body.get("message")) if isinstance(body, dict) and body.get("message") else f"HTTP {status}"
    text_code = str(code) if code is not None else None
    if code == DAILY_LIMIT:
        return DailyLimitReached("inventory", message, code=text_code, status=status)
    if status == 429 or code in (PER_MINUTE_LIMIT, TOO_MANY_IN_PROCESS):
        retry_after = retry_after_seconds(response)
        return RateLimited("inventory", message, code=text_code, status=status, retry_after=retry_after)
    if status >= 500:
        return Unavailable("inventory", message, code=text_code, status=status)
    if status == 401 or code in (NOT_AUTHORIZED, BAD_AUTH_HEADER):
        return AuthorizationExpired("inventory", message, code=text_code, status=status)
    if status == 404 or code in (DOES_NOT_EXIST, NOT_ASSOCIATED):
        return NotFound("inventory", message, code=text_code, status=status)
    if status == 400:
        return ValidationFailed("inventory", message, code=text_code, status=status)
    return PermanentError("inventory", message, code=text_code, status=status)


def _code(body: object) -> int | None:
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None
