"""CRM-specific sandbox control: seeding, the orgs side by side, their limits, and notifications.

`POST /_sandbox/seed` replaces the data of the default org (or of `?org_id=`); `POST /_sandbox/orgs`
adds an org with its own credentials; `GET /_sandbox/orgs` lists them; `GET|PUT
/_sandbox/orgs/{org_id}/limits` shows or changes one org's limits and edition (and its 429 answers by
cause); `GET /_sandbox/orgs/{org_id}/records/{module}` lists a module's records without spending
credits; `GET /_sandbox/oauth/refreshes` shows access tokens issued per refresh token.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import CrmError
from .orgs import UnknownOrg
from .seed import SeedBody, SeedError
from .web import base_url, json_body, orgs


def _seed_reply(request: Request, result: dict[str, Any], status: int = 200) -> Response:
    return JSONResponse(
        result | {"api_domain": base_url(request), "accounts_server": base_url(request)}, status_code=status
    )


def _refused(exc: Exception) -> Response:
    if isinstance(exc, ValidationError):
        return JSONResponse(
            {"error": "invalid body", "details": exc.errors(include_url=False)}, status_code=400
        )
    if isinstance(exc, SeedError):
        return JSONResponse(exc.body, status_code=400)
    if isinstance(exc, CrmError):
        return JSONResponse({"error": "invalid seed", "details": exc.body()}, status_code=400)
    if isinstance(exc, UnknownOrg):
        return JSONResponse({"error": str(exc)}, status_code=404)
    return JSONResponse({"error": str(exc)}, status_code=400)


async def seed(request: Request) -> Response:
    try:
        body = SeedBody.model_validate(await json_body(request))
        result = orgs(request).reseed(request.query_params.get("org_id"), body)
    except (ValidationError, SeedError, CrmError, UnknownOrg, ValueError) as exc:
        return _refused(exc)
    return _seed_reply(request, result)


async def add_org(request: Request) -> Response:
    try:
        body = SeedBody.model_validate(await json_body(request))
        result = orgs(request).add(body)
    except (ValidationError, SeedError, CrmError, ValueError) as exc:
        return _refused(exc)
    return _seed_reply(request, result, 201)


async def list_orgs(request: Request) -> Response:
    return JSONResponse({"orgs": orgs(request).describe()})


async def refreshes(request: Request) -> Response:
    """Token issuance per refresh token, every org's (for benchmarks: within the vendor's limit?)."""
    return JSONResponse(
        {
            "refresh_tokens": [
                entry | {"org_id": org.data.org.id}
                for org in orgs(request).all()
                for entry in org.oauth.refreshes()
            ]
        }
    )


async def org_records(request: Request) -> Response:
    """Every record of one module of an org, as the API renders it, without spending its credits
    (for a test or benchmark that checks the outcome)."""
    try:
        org = orgs(request).get(request.path_params["org_id"])
    except UnknownOrg as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    module = request.path_params["module"]
    records = org.data.store.records.get(module)
    if records is None:
        return JSONResponse({"error": f"unknown module {module}"}, status_code=404)
    return JSONResponse({"data": [org.data.render_full(module, record) for record in records.values()]})


async def org_limits(request: Request) -> Response:
    try:
        org = orgs(request).get(request.path_params["org_id"])
        if request.method == "GET":
            return JSONResponse({"limits": org.describe_limits()})
        body = await json_body(request)
        if not isinstance(body, dict):
            return JSONResponse(
                {"error": "invalid body", "details": "expected a JSON object"}, status_code=400
            )
        return JSONResponse({"limits": org.set_limits(body)})
    except (ValidationError, CrmError, UnknownOrg) as exc:
        return _refused(exc)


async def notifications(request: Request) -> Response:
    deliveries = [d.describe() for org in orgs(request).all() for d in org.notifier.deliveries]
    return JSONResponse({"notifications": deliveries})


routes = [
    Route("/_sandbox/seed", seed, methods=["POST"]),
    Route("/_sandbox/orgs", add_org, methods=["POST"]),
    Route("/_sandbox/orgs", list_orgs, methods=["GET"]),
    Route("/_sandbox/orgs/{org_id}/limits", org_limits, methods=["GET", "PUT"]),
    Route("/_sandbox/orgs/{org_id}/records/{module}", org_records, methods=["GET"]),
    Route("/_sandbox/oauth/refreshes", refreshes, methods=["GET"]),
    Route("/_sandbox/notifications", notifications, methods=["GET"]),
]
