"""The HTTP edge of every Inventory API route: auth, organization, limits, body, error replies."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import Code, InventoryApiError, invalid_value
from .oauth import Grant
from .store import OrgData, SandboxState
from .wire import blank_unset_strings

API_PREFIX = "/inventory/v1"


@dataclass
class Call:
    """What a handler needs from one request."""

    state: SandboxState
    grant: Grant
    maybe_org: OrgData | None  # None only on routes that are not `org_scoped`
    query: QueryParams
    params: dict[str, str]
    body: dict[str, Any]
    now: datetime
    base_url: str

    @property
    def org(self) -> OrgData:
        if self.maybe_org is None:
            raise RuntimeError("route is not organization-scoped")
        return self.maybe_org


@dataclass
class Reply:
    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]


def ok(message: str = "success", status: int = 200, **payload: Any) -> Reply:
    """Zoho's success envelope: `{"code": 0, "message": ..., "<entity>": ...}`."""
    return Reply({"code": 0, "message": message} | payload, status)


def api_route(path: str, handler: Handler, methods: list[str], *, org_scoped: bool = True) -> Route:
    """A route under `/inventory/v1`. Handlers are synchronous and run on the event loop, so each
    call changes state atomically with respect to the others."""

    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        headers: dict[str, str] = {}
        try:
            grant = state.oauth.authenticate(request.headers.get("authorization"), state.epoch())
            org = _organization(request, state, grant) if org_scoped else None
            if org is not None:
                headers = state.limiter.admit(org.organization_id, state.epoch(), state.budget(org), org.tz)
            call = Call(
                state=state,
                grant=grant,
                maybe_org=org,
                query=request.query_params,
                params=dict(request.path_params),
                body=await _body(request),
                now=state.now(),
                base_url=str(request.base_url).rstrip("/"),
            )
            reply = handler(call)
        except ValidationError as exc:
            reply = _validation_reply(exc)
        except InventoryApiError as exc:
            reply = Reply(exc.body(), exc.http_status, exc.headers)
        return JSONResponse(blank_unset_strings(reply.body), reply.status, headers | reply.headers)

    return Route(API_PREFIX + path, endpoint, methods=methods)


def _organization(request: Request, state: SandboxState, grant: Grant) -> OrgData:
    """`organization_id`, or `organization` as some clients send it (pyzohoapi), which the vendor takes too."""
    query = request.query_params
    raw = (
        request.path_params.get("organization_id")
        or query.get("organization_id")
        or query.get("organization")
    )
    return state.org_for(raw, grant)


async def _body(request: Request) -> dict[str, Any]:
    """JSON body, or the older form body with the JSON in a `JSONString` field."""
    raw = await request.body()
    if not raw.strip():
        return {}
    text = raw.decode("utf-8", "replace")
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        text = dict(parse_qsl(text)).get("JSONString", "")
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        raise InventoryApiError(Code.JSON_MALFORMED, "JSON is not well formed") from None
    if not isinstance(body, dict):
        raise InventoryApiError(Code.JSON_MALFORMED, "JSON is not well formed")
    return body


def _validation_reply(exc: ValidationError) -> Reply:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    error = invalid_value(where)
    return Reply(error.body() | {"message": f"{error.message}: {first['msg']}"}, error.http_status)
