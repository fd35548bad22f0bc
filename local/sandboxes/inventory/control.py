"""Inventory-only control routes: `POST /_sandbox/seed`, `POST /_sandbox/expire_tokens`,
`GET|PUT /_sandbox/organizations/{organization_id}/limits`, `GET /_sandbox/organizations/{id}/records/{kind}`
and `GET /_sandbox/oauth/refreshes`. None of them counts against an organization's limits."""

from __future__ import annotations

from pydantic import Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .demo import demo_request
from .limits import OrgLimits
from .seed import SeedError, SeedRequest, combine, seed
from .store import SandboxState
from .wire import with_times

RECORD_KINDS = ("contacts", "items", "estimates", "salesorders", "invoices", "purchaseorders", "payments")


def apply_seed(state: SandboxState, request: SeedRequest, base_url: str) -> dict[str, object]:
    """Seed `state`, starting from the named preset if there is one."""
    if request.preset == "demo":
        request = combine(demo_request(), request)
    return seed(state, request, base_url)


async def seed_endpoint(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    raw = await request.body()
    try:
        body = SeedRequest.model_validate_json(raw or b"{}")
        reply = apply_seed(state, body, str(request.base_url).rstrip("/"))
    except ValidationError as exc:
        return JSONResponse({"error": "invalid body", "details": exc.errors(include_url=False)}, 400)
    except SeedError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    return JSONResponse(reply, 201)


async def expire_tokens_endpoint(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    return JSONResponse({"expired": state.oauth.expire_all()})


class OrgLimitsChange(OrgLimits):
    """`PUT /_sandbox/organizations/{id}/limits`: the keys to change (null: follow the sandbox's
    limits again) and, optionally, the organization's plan (which sets its default daily cap)."""

    plan_name: str | None = Field(None, min_length=1)


async def org_limits_endpoint(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    org_id = request.path_params["organization_id"]
    org = state.orgs.get(org_id)
    if org is None:
        return JSONResponse({"error": f"unknown organization_id {org_id}"}, 404)
    if request.method == "GET":
        return JSONResponse(state.describe_limits(org))
    raw = await request.body()
    try:
        change = OrgLimitsChange.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        return JSONResponse({"error": "invalid body", "details": exc.errors(include_url=False)}, 400)
    return JSONResponse(state.set_org_limits(org, change.model_dump(exclude_unset=True)))


async def org_records_endpoint(request: Request) -> Response:
    """Every record of one kind of an organization, as stored (datetimes in the wire format), for a
    test or benchmark that checks the outcome without spending the organization's calls."""
    state: SandboxState = request.app.state.sandbox
    org_id, kind = request.path_params["organization_id"], request.path_params["kind"]
    org = state.orgs.get(org_id)
    if org is None:
        return JSONResponse({"error": f"unknown organization_id {org_id}"}, 404)
    if kind not in RECORD_KINDS:
        return JSONResponse({"error": f"unknown kind {kind}; one of {', '.join(RECORD_KINDS)}"}, 404)
    records = {"contacts": org.contacts, "items": org.items, "payments": org.payments}.get(kind)
    stored = records if records is not None else org.kind_records(kind)
    return JSONResponse({kind: [with_times(record, org.tz) for record in stored.values()]})


async def refreshes_endpoint(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    return JSONResponse({"refresh_tokens": state.oauth.refreshes()})


ROUTES = [
    Route("/_sandbox/seed", seed_endpoint, methods=["POST"]),
    Route("/_sandbox/expire_tokens", expire_tokens_endpoint, methods=["POST"]),
    Route("/_sandbox/organizations/{organization_id}/limits", org_limits_endpoint, methods=["GET", "PUT"]),
    Route("/_sandbox/organizations/{organization_id}/records/{kind}", org_records_endpoint, methods=["GET"]),
    Route("/_sandbox/oauth/refreshes", refreshes_endpoint, methods=["GET"]),
]
