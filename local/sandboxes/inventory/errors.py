"""Inventory error codes and the exception that carries one to the HTTP layer."""

from __future__ import annotations

from enum import IntEnum


class Code(IntEnum):
    """Body `code` values. Vendor-observed ones first; 105x are sandbox choices (see README)."""

    INVALID_VALUE = 2
    MANDATORY_MISSING = 4
    INVALID_URL = 5
    INVALID_OAUTH_TOKEN = 14
    METHOD_NOT_ALLOWED = 37
    RATE_LIMIT_MINUTE = 44
    RATE_LIMIT_DAY = 45
    NOT_AUTHORIZED = 57
    ALREADY_EXISTS = 1001
    NOT_FOUND = 1002
    JSON_MALFORMED = 1038
    STATUS_NOT_ALLOWED = 1051
    CONTACT_TYPE_MISMATCH = 1052
    IN_USE = 1053
    TOO_MANY = 1054
    ALREADY_IN_STATUS = 1055
    PAYMENT_EXCEEDS_BALANCE = 1056
    CONTACT_INACTIVE = 1057
    ORGANIZATION_NOT_ASSOCIATED = 6041
    INTERNAL_ERROR = 9999


class InventoryApiError(Exception):
    """An error reply: HTTP status plus Zoho's `{"code": n, "message": ...}` body."""

    def __init__(
        self, code: Code, message: str, http_status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        return {"code": int(self.code), "message": self.message}


def invalid_value(field: str) -> InventoryApiError:
    return InventoryApiError(Code.INVALID_VALUE, f"Invalid value passed for {field}")


def mandatory(field: str) -> InventoryApiError:
    return InventoryApiError(
        Code.MANDATORY_MISSING, f"{field} is mandatory: Invalid value passed for {field}"
    )


def not_found(entity: str, http_status: int = 404) -> InventoryApiError:
    """404 for the record a URL names; 400 for a missing record that a body refers to."""
    return InventoryApiError(Code.NOT_FOUND, f"{entity} does not exist.", http_status)


def status_not_allowed(message: str) -> InventoryApiError:
    return InventoryApiError(Code.STATUS_NOT_ALLOWED, message)
