"""Zoho Accounts routes: `/oauth/v2/auth`, `/oauth/v2/token`, `/oauth/v2/token/revoke`."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .oauth import OAuthFailure
from .web import base_url, sandbox


async def _params(request: Request) -> dict[str, str]:
    """Zoho documents query parameters; the SDK sends a form body. Both are accepted."""
    params = dict(request.query_params)
    if request.method == "POST":
        params |= dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    return params


async def authorize(request: Request) -> Response:
    """Consent is automatic: redirect straight back with a code, `location` and `accounts-server`."""
    params = await _params(request)
    redirect_uri = params.get("redirect_uri", "")
    if urlsplit(redirect_uri).scheme not in {"http", "https"}:
        return JSONResponse({"error": "invalid_redirect_uri"}, status_code=400)
    try:
        code = sandbox(request).oauth.authorize(
            params.get("client_id", ""),
            redirect_uri,
            params.get("scope", ""),
            params.get("access_type", "online"),
        )
    except OAuthFailure as exc:
        return JSONResponse(exc.body, status_code=400)
    query = {"code": code, "location": "us", "accounts-server": base_url(request)}
    if "state" in params:
        query["state"] = params["state"]
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(query)}", status_code=302)


async def token(request: Request) -> Response:
    sb = sandbox(request)
    try:
        body = sb.oauth.token(
            await _params(request), sb.limits.token_expires_in, sb.limits.access_tokens_per_window
        )
    except OAuthFailure as exc:
        return JSONResponse(exc.body, status_code=400)
    return JSONResponse(body | {"api_domain": base_url(request)})


async def revoke(request: Request) -> Response:
    sandbox(request).oauth.revoke((await _params(request)).get("token", ""))
    return JSONResponse({"status": "success"})


routes = [
    Route("/oauth/v2/auth", authorize, methods=["GET"]),
    Route("/oauth/v2/token", token, methods=["POST"]),
    Route("/oauth/v2/token/revoke", revoke, methods=["POST"]),
]
