"""Zoho CRM error envelope: `{"code", "details", "message", "status": "error"}`."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


class CrmError(Exception):
    """An error the CRM answers with its JSON envelope (top level or per record)."""

    def __init__(self, code: str, message: str, status_code: int = 400, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "details": self.details, "message": self.message, "status": "error"}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status_code)


def invalid_token() -> CrmError:
    return CrmError("INVALID_TOKEN", "invalid oauth token", 401)


def too_many_requests(message: str) -> CrmError:
    return CrmError("TOO_MANY_REQUESTS", message, 429)


def internal_error() -> CrmError:
    return CrmError("INTERNAL_ERROR", "Internal Server Error", 500)


def required_param(param: str) -> CrmError:
    return CrmError(
        "REQUIRED_PARAM_MISSING", f"One of the expected parameter is missing: {param}", param=param
    )


def invalid_param(param: str, message: str = "invalid data", **details: Any) -> CrmError:
    return CrmError("INVALID_DATA", message, param=param, **details)
