"""Request helpers shared by the CRM routes: the sandbox, parameters, bodies and answers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .clock import parse_moment
from .errors import CrmError, invalid_param
from .limits import ORG, PRINCIPAL
from .schema import MODULES

if TYPE_CHECKING:
    from .orgs import CrmOrgs
    from .sandbox import CrmSandbox

MAX_FIELDS = 50


def sandbox(request: Request) -> CrmSandbox:
    """The org an API call reached (by its access token); elsewhere the default org."""
    return request.scope.get(ORG) or request.app.state.sandbox


def orgs(request: Request) -> CrmOrgs:
    return request.app.state.orgs


def base_url(request: Request) -> str:
    """The server's own base URL, as the client reached it."""
    return f"{request.url.scheme}://{request.url.netloc}"


def principal(request: Request) -> str:
    return request.scope.get(PRINCIPAL, "")


def module_param(request: Request) -> str:
    module = request.path_params["module"]
    if module not in MODULES:
        raise CrmError("INVALID_MODULE", "the module name given seems to be invalid", resource_path_index=0)
    return module


def int_param(request: Request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_param(name) from None
    if value < 1 or (maximum is not None and value > maximum):
        raise invalid_param(name, **({"maximum": maximum} if maximum else {}))
    return value


def fields_param(request: Request, module: str, *, required: bool) -> list[str] | None:
    """`fields`: at most 50 known api names; subforms are left out of list answers."""
    raw = request.query_params.get("fields")
    if not raw:
        if required:
            raise CrmError(
                "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", param="fields"
            )
        return None
    names = list(dict.fromkeys(name.strip() for name in raw.split(",") if name.strip()))
    if len(names) > MAX_FIELDS:
        raise CrmError(
            "LIMIT_EXCEEDED", "the number of fields exceeds the limit", param="fields", limit=MAX_FIELDS
        )
    meta = sandbox(request).data.modules[module]
    unknown = [name for name in names if name != "id" and name not in meta.fields]
    if unknown:
        raise invalid_param("fields", "invalid field api name", api_name=unknown[0])
    return [name for name in names if name != "id" and not meta.fields[name].subform]


def modified_since(request: Request) -> datetime | None:
    raw = request.headers.get("if-modified-since")
    if not raw:
        return None
    try:
        return parse_moment(raw)
    except ValueError:
        raise invalid_param("If-Modified-Since", "invalid date time format") from None


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        raise CrmError("INVALID_DATA", "the body is not valid JSON", param="body") from None


def respond(status: int, body: dict[str, Any] | None) -> Response:
    """JSON answer, or an empty body for 204 and 304."""
    if body is None:
        return Response(status_code=status)
    return JSONResponse(body, status_code=status)
