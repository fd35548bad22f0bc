"""The one mapping from errors to HTTP responses.

Every error body is {"error": {"code", "message", "details"}} (spec/api.md).
Domain errors become statuses here and nowhere else; no branch on message text.
"""

from __future__ import annotations

import math
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)
from pydantic import BaseModel

from crmsync.domain import errors as domain
from crmsync.observability import logger
from crmsync.ports import errors as vendor

DEFAULT_RETRY_AFTER = 30  # seconds, when the vendor names none
DAILY_RETRY_AFTER = 3600


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorResponse(BaseModel):
    error: ErrorBody


class Unauthorized(Exception):
    """The request reached a route without an authorized tenant."""


def error_doc(description: str) -> dict:
    """An OpenAPI `responses` entry for an error answered in the error shape."""
    return {"description": description, "content": {"application/json": {"model": ErrorResponse}}}


def error_response(
    status: int, code: str, message: str, details: dict | None = None, *, retry_after: float | None = None
) -> Response:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details or {}))
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after is not None else None
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body.model_dump_json(), headers=headers
    )


def _field_errors(errors: list[dict]) -> list[dict]:
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        out.append({"field": ".".join(loc) or "body", "problem": err.get("msg", "invalid")})
    return out


def register(app: ApiGatewayResolver) -> None:
    """Install the exception handlers on a resolver."""

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if any(err.get("type") == "json_invalid" for err in errors):
            return error_response(400, "malformed_json", "The request body is not valid JSON.")
        fields = _field_errors(errors)
        names = ", ".join(f["field"] for f in fields)
        return error_response(422, "invalid_fields", f"Some fields are invalid: {names}.", {"fields": fields})

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(exc: RequestUnsupportedContentType) -> Response:
        return error_response(415, "unsupported_media_type", "The body must be JSON (Content-Type: application/json).")

    @app.exception_handler(ResponseValidationError)
    def _bad_response(exc: ResponseValidationError) -> Response:
        logger.error("response failed its own schema", extra={"errors": str(exc.errors())[:2000]})
        return error_response(500, "internal_error", "The service failed to answer; retry later.")

    @app.exception_handler(Unauthorized)
    def _unauthorized(_: Unauthorized) -> Response:
        return error_response(401, "unauthorized", "A valid API key is required.")

    @app.exception_handler(domain.BadChannelToken)
    def _bad_channel(exc: domain.BadChannelToken) -> Response:
        return error_response(401, "unauthorized", str(exc))

    @app.exception_handler(domain.InvalidCursorError)
    def _bad_cursor(exc: domain.InvalidCursorError) -> Response:
        return error_response(400, "invalid_cursor", "The cursor is not one this listing issued.")

    @app.exception_handler(domain.InvalidFieldsError)
    def _invalid_fields(exc: domain.InvalidFieldsError) -> Response:
        fields = [{"field": name, "problem": problem} for name, problem in exc.fields]
        names = ", ".join(f["field"] for f in fields)
        return error_response(422, "invalid_fields", f"Some fields are invalid: {names}.", {"fields": fields})

    @app.exception_handler(domain.PrerequisiteFailed)
    def _prerequisite(exc: domain.PrerequisiteFailed) -> Response:
        return error_response(422, "prerequisite_failed", str(exc), {"rule": exc.rule, **exc.details})

    @app.exception_handler(domain.PermissionDenied)
    def _forbidden(exc: domain.PermissionDenied) -> Response:
        return error_response(403, "permission_denied", str(exc), {"permission": exc.permission})

    @app.exception_handler(domain.NotFoundError)
    def _not_found(exc: domain.NotFoundError) -> Response:
        return error_response(404, "not_found", str(exc) or "Not found.")

    @app.exception_handler(domain.ConflictError)
    def _conflict(exc: domain.ConflictError) -> Response:
        details = {"current": str(exc.current)} if exc.current is not None else {}
        return error_response(409, "conflict", str(exc), details)

    @app.exception_handler(domain.UnavailableError)
    def _unavailable(exc: domain.UnavailableError) -> Response:
        return error_response(503, "unavailable", str(exc), retry_after=exc.retry_after or DEFAULT_RETRY_AFTER)

    @app.exception_handler(vendor.VendorError)
    def _vendor(exc: vendor.VendorError) -> Response:
        name = {"crm": "The CRM", "inventory": "The inventory system"}.get(exc.system, "A partner system")
        logger.warning("vendor call failed", extra={"system": exc.system, "error": type(exc).__name__})
        if isinstance(exc, vendor.DailyLimitReached):
            return error_response(
                429, f"{exc.system}_daily_limit",
                f"{name} API's daily call limit for this organization is used up; retry after it resets.",
                retry_after=exc.retry_after or DAILY_RETRY_AFTER,
            )
        if isinstance(exc, vendor.RateLimited):
            return error_response(
                429, f"{exc.system}_throttled",
                f"{name} API is throttling this organization's calls; retry after Retry-After seconds.",
                retry_after=exc.retry_after or DEFAULT_RETRY_AFTER,
            )
        if exc.retryable:
            return error_response(
                503, f"{exc.system}_unavailable", f"{name} API is failing; retry later.",
                retry_after=exc.retry_after or DEFAULT_RETRY_AFTER,
            )
        return error_response(502, f"{exc.system}_unavailable", f"{name} API is failing; retry later.")

    @app.not_found
    def _no_route(_: Exception) -> Response:
        return error_response(404, "not_found", "No such route.")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        return error_response(500, "internal_error", "The service failed to answer; retry later.")
