"""Inventory-only control routes: `POST /_sandbox/seed` and `POST /_sandbox/expire_tokens`."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .demo import demo_request
from .seed import SeedError, SeedRequest, combine, seed
from .store import SandboxState


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


ROUTES = [
    Route("/_sandbox/seed", seed_endpoint, methods=["POST"]),
    Route("/_sandbox/expire_tokens", expire_tokens_endpoint, methods=["POST"]),
]
