"""`create_app(settings)`: the inventory sandbox as one Starlette app with its state on
`app.state.sandbox` (no module-level state, so several apps can share a process)."""

from __future__ import annotations

import math

from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..common import SandboxApp, SandboxMiddleware, TrailingSlash, control_routes
from . import contacts, control, items, organizations, payments, token_routes, transactions
from .endpoint import API_PREFIX
from .errors import Code
from .settings import InventorySandboxSettings
from .store import SandboxState


def create_app(settings: InventorySandboxSettings | None = None) -> SandboxApp:
    state = SandboxState(settings or InventorySandboxSettings())

    def rate_limited() -> Response:
        retry = str(math.ceil(state.limits.window_seconds))
        body = {
            "code": int(Code.RATE_LIMIT_MINUTE),
            "message": "The request has been blocked as it has exceeded "
            "the maximum number of requests per minute for this organization. Please try again after some time.",
        }
        return JSONResponse(body, 429, {"Retry-After": retry})

    def server_error() -> Response:
        return JSONResponse({"code": int(Code.INTERNAL_ERROR), "message": "Internal server error."}, 500)

    app = SandboxApp(
        routes=[
            *control_routes(
                counter=state.counter, faults=state.faults, reset=state.reset, set_limits=state.set_limits
            ),
            *control.ROUTES,
            *token_routes.ROUTES,
            *organizations.ROUTES,
            *contacts.ROUTES,
            *items.ROUTES,
            *transactions.routes(),
            *payments.ROUTES,
        ],
        middleware=[
            Middleware(TrailingSlash),
            Middleware(
                SandboxMiddleware,
                counter=state.counter,
                faults=state.faults,
                rate_limited=rate_limited,
                server_error=server_error,
            ),
        ],
        exception_handlers={404: _not_found, 405: _method_not_allowed},
    )
    app.state.sandbox = state
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith(API_PREFIX):
        return JSONResponse({"code": int(Code.INVALID_URL), "message": "Invalid URL Passed"}, 404)
    return JSONResponse({"error": "not found"}, 404)


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    headers = exc.headers if isinstance(exc, HTTPException) else None
    body = {
        "code": int(Code.METHOD_NOT_ALLOWED),
        "message": "The HTTP method is not allowed for the requested resource",
    }
    return JSONResponse(body, 405, headers)
