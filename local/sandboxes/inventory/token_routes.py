"""`POST /oauth/v2/token` (refresh grant) and `/oauth/v2/token/revoke`, as Zoho's accounts server."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .oauth import OAuthError
from .store import SandboxState


async def _params(request: Request) -> dict[str, str]:
    """Zoho's docs send the parameters in the query; the SDK sends a form body. Both work."""
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    return dict(request.query_params) | form


async def token(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    params = await _params(request)
    if params.get("grant_type") != "refresh_token":
        return JSONResponse({"error": "unsupported_grant_type"})
    try:
        access = state.oauth.refresh(
            params.get("client_id", ""),
            params.get("client_secret", ""),
            params.get("refresh_token", ""),
            state.epoch(),
            state.limits,
        )
    except OAuthError as exc:
        return JSONResponse(exc.body, exc.http_status)
    return JSONResponse(
        {
            "access_token": access.token,
            "api_domain": state.settings.public_url or str(request.base_url).rstrip("/"),
            "token_type": "Bearer",
            "expires_in": state.limits.token_expires_in,
        }
    )


async def revoke(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    state.oauth.revoke((await _params(request)).get("token", ""))
    return JSONResponse({"status": "success"})


ROUTES = [
    Route("/oauth/v2/token", token, methods=["POST"]),
    Route("/oauth/v2/token/revoke", revoke, methods=["POST"]),
]
