"""Zoho Accounts routes: the consent page `/oauth/v2/auth`, `/oauth/v2/token`, `/oauth/v2/token/revoke`;
and `/_sandbox/oauth/clients/{client_id}` (the API console: name and registered redirect URIs)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..accounts import AccountsSite, AuthRequest, Client, Consent, Org, auth_routes, client_routes
from .oauth import OAuthFailure
from .web import base_url, sandbox

PRODUCT = "Zoho CRM sandbox"


async def _params(request: Request) -> dict[str, str]:
    """Zoho documents query parameters; the SDK sends a form body. Both are accepted."""
    params = dict(request.query_params)
    if request.method == "POST":
        params |= dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    return params


def _site(request: Request) -> AccountsSite:
    """The consent page of the CRM: its one org, granted by its first (admin) user."""
    sb = sandbox(request)
    user, org = sb.data.current_user, sb.data.org

    def consent(auth: AuthRequest) -> Consent:
        detail = f"Zoho CRM, {org.edition} edition, {org.iso_code}"
        return Consent(
            PRODUCT,
            "crm",
            user.full_name,
            user.email,
            [Org(org.id, org.company_name, detail)],
            multiple=False,
        )

    return AccountsSite(
        product=PRODUCT,
        find_client=sb.oauth.find_client,
        consent=consent,
        issue_code=lambda auth, org_ids: sb.oauth.authorize(auth),
        accounts_server=base_url(request),
    )


def _store_client(request: Request, client: Client) -> None:
    sandbox(request).oauth.client = client


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
    *auth_routes(_site),
    *client_routes(lambda request, client_id: sandbox(request).oauth.find_client(client_id), _store_client),
    Route("/oauth/v2/token", token, methods=["POST"]),
    Route("/oauth/v2/token/revoke", revoke, methods=["POST"]),
]
