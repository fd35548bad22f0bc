"""`create_app`: the Zoho CRM sandbox as a Starlette app (state on `app.state.sandbox`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from ..common import SandboxApp, SandboxMiddleware, control_routes
from . import api_control, api_meta, api_oauth, api_records, api_watch, field_updates
from .errors import CrmError, internal_error, too_many_requests
from .limits import CreditsHeader
from .orgs import CrmOrgs
from .sandbox import CrmSettings


def create_app(settings: CrmSettings | None = None) -> SandboxApp:
    orgs = CrmOrgs(settings or CrmSettings())
    sandbox = orgs.default  # its call counter and faults serve the whole server

    @asynccontextmanager
    async def lifespan(app: SandboxApp) -> AsyncIterator[None]:
        yield
        await orgs.drain()

    middleware = [
        Middleware(
            SandboxMiddleware,  # type: ignore[arg-type]
            counter=sandbox.counter,
            faults=sandbox.faults,
            rate_limited=lambda: too_many_requests("Too many requests").response(),
            server_error=lambda: internal_error().response(),
            admit=orgs.admit,
        ),
        Middleware(CreditsHeader, remaining=lambda scope: orgs.of(scope).credits_remaining()),  # type: ignore[arg-type]
    ]
    routes = [
        *control_routes(
            counter=sandbox.counter,
            faults=sandbox.faults,
            reset=orgs.reset,
            set_limits=orgs.set_shared_limits,
        ),
        *api_control.routes,
        *field_updates.routes,
        *api_oauth.routes,
        *api_meta.routes,
        *api_watch.routes,
        *api_records.routes,
    ]
    app = SandboxApp(
        routes=routes,
        middleware=middleware,
        exception_handlers={CrmError: crm_error, HTTPException: http_error, Exception: unexpected_error},
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    app.state.orgs = orgs
    return app


async def crm_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CrmError)
    return exc.response()


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return CrmError(
            "INVALID_REQUEST_METHOD", "The http request method type is not a valid one", 405
        ).response()
    if exc.status_code == 404:
        return CrmError(
            "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one", 404
        ).response()
    return CrmError("INVALID_REQUEST", exc.detail, exc.status_code).response()


async def unexpected_error(request: Request, exc: Exception) -> Response:
    return internal_error().response()
