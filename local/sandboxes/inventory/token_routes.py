"""Zoho's accounts server as the inventory sandbox serves it: the consent page `/oauth/v2/auth`,
`POST /oauth/v2/token` (refresh and code grants), `/oauth/v2/token/revoke`, and the API console
control route `/_sandbox/oauth/clients/{client_id}` (name and registered redirect URIs)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..accounts import AccountsSite, AuthRequest, Client, Consent, Org, auth_routes, client_routes
from .oauth import OAuthError
from .store import SandboxState

PRODUCT = "Zoho Inventory sandbox"


async def _params(request: Request) -> dict[str, str]:
    """Zoho's docs send the parameters in the query; the SDK sends a form body. Both work."""
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    return dict(request.query_params) | form


def _base_url(request: Request) -> str:
    state: SandboxState = request.app.state.sandbox
    return state.settings.public_url or str(request.base_url).rstrip("/")


def _site(request: Request) -> AccountsSite:
    """The sandbox user is every organization's admin; the page offers every organization."""
    state: SandboxState = request.app.state.sandbox

    def consent(auth: AuthRequest) -> Consent:
        home = state.orgs.get(state.oauth.client_orgs.get(auth.client.client_id, ""))
        admin = home.users[0] if home else {"name": "Sandbox user", "email": ""}
        orgs = [
            Org(
                org.organization_id,
                org.organization["name"],
                f"{org.organization['plan_name'].title()} plan, {org.organization['currency_code']}",
            )
            for _, org in sorted(state.orgs.items())
        ]
        return Consent(PRODUCT, "inventory", admin["name"], admin["email"], orgs, multiple=True)

    return AccountsSite(
        product=PRODUCT,
        find_client=state.oauth.find_client,
        consent=consent,
        issue_code=lambda auth, org_ids: state.oauth.authorize(auth, org_ids, state.epoch()),
        accounts_server=_base_url(request),
    )


def _store_client(request: Request, client: Client) -> None:
    state: SandboxState = request.app.state.sandbox
    state.oauth.clients[client.client_id] = client


async def token(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    params = await _params(request)
    grant_type = params.get("grant_type")
    extra: dict[str, str] = {}
    try:
        if grant_type == "refresh_token":
            access = state.oauth.refresh(
                params.get("client_id", ""),
                params.get("client_secret", ""),
                params.get("refresh_token", ""),
                state.epoch(),
                state.limits,
            )
        elif grant_type == "authorization_code":
            access, grant, offline = state.oauth.exchange(params, state.epoch(), state.limits)
            extra = {"scope": grant.scope or ""} | ({"refresh_token": grant.refresh_token} if offline else {})
        else:
            return JSONResponse({"error": "unsupported_grant_type"})
    except OAuthError as exc:
        return JSONResponse(exc.body, exc.http_status)
    return JSONResponse(
        {
            "access_token": access.token,
            **extra,
            "api_domain": _base_url(request),
            "token_type": "Bearer",
            "expires_in": state.limits.token_expires_in,
        }
    )


async def revoke(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    state.oauth.revoke((await _params(request)).get("token", ""))
    return JSONResponse({"status": "success"})


ROUTES = [
    *auth_routes(_site),
    *client_routes(
        lambda request, client_id: request.app.state.sandbox.oauth.find_client(client_id), _store_client
    ),
    Route("/oauth/v2/token", token, methods=["POST"]),
    Route("/oauth/v2/token/revoke", revoke, methods=["POST"]),
]
