"""Zoho Accounts routes: the consent page `/oauth/v2/auth`, `/oauth/v2/token`, `/oauth/v2/token/revoke`;
and `/_sandbox/oauth/clients/{client_id}` (the API console: name and registered redirect URIs)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..accounts import AccountsSite, AuthRequest, Client, Consent, Org, auth_routes, client_routes
from .oauth import OAuthFailure
from .sandbox import CrmSandbox
from .web import base_url, orgs

PRODUCT = "Zoho CRM sandbox"


async def _params(request: Request) -> dict[str, str]:
    """Zoho documents query parameters; the SDK sends a form body. Both are accepted."""
    params = dict(request.query_params)
    if request.method == "POST":
        params |= dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    return params


def _site(request: Request) -> AccountsSite:
    """The consent page of the CRM: the org of the client that asks, granted by its first (admin) user."""
    registry = orgs(request)

    def org_of(auth: AuthRequest) -> CrmSandbox:
        return registry.for_client(auth.client.client_id)

    def consent(auth: AuthRequest) -> Consent:
        sb = org_of(auth)
        user, org = sb.data.current_user, sb.data.org
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
        find_client=registry.find_client,
        consent=consent,
        issue_code=lambda auth, org_ids: org_of(auth).oauth.authorize(auth),
        accounts_server=base_url(request),
    )


def _store_client(request: Request, client: Client) -> None:
    orgs(request).for_client(client.client_id).oauth.client = client


async def token(request: Request) -> Response:
    params = await _params(request)
    sb = orgs(request).for_client(params.get("client_id", ""))
    try:
        body = sb.oauth.token(params, sb.limits.token_expires_in, sb.limits.access_tokens_per_window)
    except OAuthFailure as exc:
        return JSONResponse(exc.body, status_code=400)
    return JSONResponse(body | {"api_domain": base_url(request)})


async def revoke(request: Request) -> Response:
    orgs(request).revoke((await _params(request)).get("token", ""))
    return JSONResponse({"status": "success"})


routes = [
    *auth_routes(_site),
    *client_routes(lambda request, client_id: orgs(request).find_client(client_id), _store_client),
    Route("/oauth/v2/token", token, methods=["POST"]),
    Route("/oauth/v2/token/revoke", revoke, methods=["POST"]),
]
