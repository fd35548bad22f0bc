"""Zoho Accounts as both sandboxes serve it: the consent step and refresh tokens good at both sandboxes.

Real Zoho has one accounts server per data centre; one consent there covers CRM and Inventory
scopes at once. Here each sandbox is its own accounts server, and a refresh token made by a consent
on either one carries a signature (HMAC with a key both sandboxes share, `DEFAULT_ACCOUNTS_KEY`
unless set) over the client's id and secret and the scope families asked for. The other sandbox
checks that signature when the token is first presented, so one consent serves both sandboxes
without them ever talking to each other (different processes, free ports, restarts all work).

Nothing here is module-level state: each sandbox keeps its own clients, codes and grants.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

DEFAULT_ACCOUNTS_KEY = "zoho-sandbox-accounts"
CODE_LIFETIME_SECONDS = 120  # Zoho: a grant code lives 2 minutes
LOCATION = "us"  # the data centre every sandbox says it is in
AUTH_PATH = "/oauth/v2/auth"

Family = Literal["crm", "inventory"]
FAMILY_PRODUCTS: dict[Family, str] = {"crm": "Zoho CRM", "inventory": "Zoho Inventory"}
_FAMILY_OF_SERVICE: dict[str, Family] = {"zohocrm": "crm", "zohosearch": "crm", "zohoinventory": "inventory"}
_SCOPE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9_]+)+$")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


# --- scopes ---------------------------------------------------------------------------------------


def split_scope(raw: str) -> list[str]:
    """`ZohoCRM.modules.ALL,ZohoInventory.FullAccess.all` (commas; spaces tolerated), without repeats."""
    return list(dict.fromkeys(part for part in re.split(r"[,\s]+", raw.strip()) if part))


def families(scopes: Iterable[str]) -> frozenset[Family]:
    """Which sandboxes a grant asked for: ZohoCRM and ZohoSearch scopes -> crm, ZohoInventory -> inventory."""
    found = (_FAMILY_OF_SERVICE.get(scope.split(".", 1)[0].lower()) for scope in scopes)
    return frozenset(family for family in found if family is not None)


_OPERATIONS = {
    "all": "create, read, update and delete",
    "read": "read",
    "create": "create",
    "write": "create and update",
    "update": "update",
    "delete": "delete",
}


def describe_scope(scope: str) -> str:
    """A line a person can read; scopes the sandbox does not know say so."""
    parts = scope.split(".")
    service, rest = parts[0].lower(), [p.lower() for p in parts[1:]]
    operation = _OPERATIONS.get(rest[-1], rest[-1]) if rest else ""
    if service == "zohocrm" and rest:
        if rest[0] == "modules":
            what = "records in every module" if len(rest) == 2 else f"{parts[2]} records"
            return f"Zoho CRM: {operation} {what}"
        if rest[0] == "settings":
            what = "settings and metadata" if len(rest) == 2 else f"{parts[2]} settings"
            return f"Zoho CRM: {operation} {what}"
        if rest[0] == "notifications":
            return f"Zoho CRM: {operation} notification channels"
        if rest[0] == "coql":
            return "Zoho CRM: run COQL queries"
        if rest[0] == "org":
            return f"Zoho CRM: {operation} the organization's details"
        return f"Zoho CRM: {operation} {parts[1]}"
    if service == "zohosearch":
        return "Zoho CRM: search records"
    if service == "zohoinventory" and rest:
        if rest[0] == "fullaccess":
            return "Zoho Inventory: full access to every module and setting"
        return f"Zoho Inventory: {operation} {parts[1]}"
    return "Not known to this sandbox; granted as asked, never checked"


# --- the authorization request -----------------------------------------------------------------


class ConsentError(Exception):
    """A request the page refuses without redirecting (bad client, redirect URI or parameters)."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title = title
        self.detail = detail


@dataclass(frozen=True)
class Client:
    """An OAuth client as the sandbox's API console knows it. No `redirect_uris`: any http(s) URI."""

    client_id: str
    client_secret: str
    name: str
    redirect_uris: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "name": self.name, "redirect_uris": list(self.redirect_uris)}


@dataclass(frozen=True)
class AuthRequest:
    """A checked `GET /oauth/v2/auth` (or the consent form posted back)."""

    client: Client
    redirect_uri: str
    scopes: tuple[str, ...]
    access_type: Literal["offline", "online"]
    state: str | None
    prompt: str | None

    @property
    def scope(self) -> str:
        return ",".join(self.scopes)

    @property
    def offline(self) -> bool:
        return self.access_type == "offline"

    def hidden_fields(self) -> dict[str, str]:
        fields = {
            "response_type": "code",
            "client_id": self.client.client_id,
            "scope": self.scope,
            "redirect_uri": self.redirect_uri,
            "access_type": self.access_type,
        }
        if self.prompt is not None:
            fields["prompt"] = self.prompt
        if self.state is not None:
            fields["state"] = self.state
        return fields


def check_redirect_uri(client: Client, redirect_uri: str) -> None:
    parts = urlsplit(redirect_uri)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.fragment:
        raise ConsentError(
            "Invalid redirect URI",
            "redirect_uri must be an absolute http or https URL without a fragment.",
        )
    if client.redirect_uris and redirect_uri not in client.redirect_uris:
        raise ConsentError("Invalid redirect URI", "This redirect_uri is not registered for the client.")


FindClient = Callable[[str], Client | None]


def parse_auth_request(params: dict[str, str], find_client: FindClient) -> AuthRequest:
    """Checks in the order OAuth wants them: the client and redirect URI first (no redirect if bad)."""
    client = find_client(params.get("client_id", ""))
    if client is None:
        raise ConsentError("Invalid client", "No OAuth client has this client_id.")
    check_redirect_uri(client, params.get("redirect_uri", ""))
    if params.get("response_type") != "code":
        raise ConsentError("Unsupported response type", "response_type must be code.")
    scopes = split_scope(params.get("scope", ""))
    if not scopes:
        raise ConsentError("Scope missing", "scope must name at least one scope, comma separated.")
    bad = [scope for scope in scopes if not _SCOPE.match(scope)]
    if bad:
        raise ConsentError("Invalid scope", f"Not a scope: {bad[0]}")
    access_type = params.get("access_type") or "online"
    if access_type not in {"offline", "online"}:
        raise ConsentError("Invalid access type", "access_type must be offline or online.")
    return AuthRequest(
        client,
        params["redirect_uri"],
        tuple(scopes),
        "offline" if access_type == "offline" else "online",
        params.get("state"),
        params.get("prompt"),
    )


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """An `application/x-www-form-urlencoded` body as (name, value) pairs, repeats kept."""
    return parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)


# --- answers ------------------------------------------------------------------------------------


def redirect_to(redirect_uri: str, params: dict[str, str]) -> RedirectResponse:
    """302 to `redirect_uri` with `params` added to whatever query it already has."""
    parts = urlsplit(redirect_uri)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *params.items()])
    return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=302)


def accepted(request: AuthRequest, code: str, accounts_server: str) -> RedirectResponse:
    params = {"code": code, "location": LOCATION, "accounts-server": accounts_server}
    return redirect_to(request.redirect_uri, params | _state(request))


def denied(request: AuthRequest) -> RedirectResponse:
    return redirect_to(request.redirect_uri, {"error": "access_denied"} | _state(request))


def _state(request: AuthRequest) -> dict[str, str]:
    return {} if request.state is None else {"state": request.state}


@dataclass(frozen=True)
class Org:
    """One organization the signed-in user may grant."""

    id: str
    name: str
    detail: str


@dataclass(frozen=True)
class Consent:
    """What the consent page shows besides the request."""

    product: str  # "Zoho CRM sandbox"
    family: Family
    user_name: str
    user_email: str
    orgs: Sequence[Org]
    multiple: bool  # several organizations may be ticked (Inventory) or just one (CRM)

    def chosen(self, pairs: list[tuple[str, str]]) -> list[str]:
        """The organization ids ticked on the form, or ConsentError when none or a foreign one."""
        known = {org.id for org in self.orgs}
        picked = list(dict.fromkeys(value for name, value in pairs if name == "org"))
        if not picked:
            raise ConsentError("Choose an organization", "Tick the organization to grant access to.")
        if any(org_id not in known for org_id in picked) or (len(picked) > 1 and not self.multiple):
            raise ConsentError("Choose an organization", "That organization cannot be granted here.")
        return picked


STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b1f24}
main{max-width:40rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;
box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.35rem}h2{font-size:1.05rem;margin-top:1.5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}dd{margin:0}
code{overflow-wrap:anywhere}ul.scopes li{margin:.35rem 0}fieldset{border:1px solid #ccd;border-radius:6px}
.choice{margin:.3rem 0}.error{color:#a40000;font-weight:600}.note{color:#555;font-size:.9rem}
.actions{display:flex;gap:1rem;margin-top:1.5rem}
button{font-size:1rem;padding:.55rem 1.6rem;border-radius:6px;border:1px solid #1565c0;cursor:pointer}
button[value=accept]{background:#1565c0;color:#fff}button[value=deny]{background:#fff;color:#1565c0}
""".strip()


def _page(title: str, body: str, status: int) -> HTMLResponse:
    html = (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>\n{STYLE}\n</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def error_page(error: ConsentError, product: str) -> HTMLResponse:
    """HTTP 400, no redirect: the client or redirect URI cannot be trusted."""
    body = (
        f"<h1>{escape(error.title)}</h1>\n"
        f'<p class="error" role="alert">{escape(error.detail)}</p>\n'
        f'<p class="note">{escape(product)} (sandbox accounts server). '
        "The application that sent you here made an invalid authorization request; "
        "nothing was granted.</p>"
    )
    return _page(f"{error.title} - {product}", body, 400)


def consent_page(
    request: AuthRequest, consent: Consent, *, problem: str | None = None, status: int = 200
) -> HTMLResponse:
    """The consent form: client, scopes one per line, organizations, Accept and Deny (a plain POST)."""
    client = request.client
    hidden = "\n".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in request.hidden_fields().items()
    )
    scopes = "\n".join(
        f"<li><code>{escape(scope)}</code><br>{escape(describe_scope(scope))}</li>"
        for scope in request.scopes
    )
    others = sorted(FAMILY_PRODUCTS[f] for f in families(request.scopes) if f != consent.family)
    reach = (
        f'<p class="note">The refresh token from this grant also works at the {escape(" and ".join(others))} '
        "sandbox's token endpoint, with the same client id and secret.</p>"
        if others
        else ""
    )
    access = (
        "Offline: the application gets a refresh token and keeps access until it is revoked."
        if request.offline
        else "Online: the application gets an access token for one hour, no refresh token."
    )
    alert = f'<p class="error" role="alert">{escape(problem)}</p>\n' if problem else ""
    body = (
        f"<h1>{escape(client.name)} wants to access your {escape(consent.product)} data</h1>\n"
        f"{alert}"
        f"<p>Signed in as <strong>{escape(consent.user_name)}</strong> "
        f"(<span>{escape(consent.user_email)}</span>).</p>\n"
        '<section aria-labelledby="client-heading">\n<h2 id="client-heading">Application</h2>\n<dl>\n'
        f"<dt>Name</dt><dd>{escape(client.name)}</dd>\n"
        f"<dt>Client ID</dt><dd><code>{escape(client.client_id)}</code></dd>\n"
        f"<dt>Returns to</dt><dd><code>{escape(request.redirect_uri)}</code></dd>\n"
        f"<dt>Access</dt><dd>{escape(access)}</dd>\n"
        "</dl>\n</section>\n"
        '<section aria-labelledby="scope-heading">\n<h2 id="scope-heading">Permissions requested</h2>\n'
        f'<ul class="scopes">\n{scopes}\n</ul>\n{reach}</section>\n'
        f'<form method="post" action="{AUTH_PATH}">\n{hidden}\n'
        f"{_org_choice(consent)}\n"
        '<div class="actions">\n'
        '<button type="submit" name="decision" value="accept">Accept</button>\n'
        '<button type="submit" name="decision" value="deny">Deny</button>\n'
        "</div>\n</form>"
    )
    return _page(f"Authorize {client.name} - {consent.product}", body, status)


def _org_choice(consent: Consent) -> str:
    kind = "checkbox" if consent.multiple else "radio"
    legend = "Organizations to grant access to" if consent.multiple else "Organization to grant access to"
    if not consent.orgs:
        return f"<fieldset>\n<legend>{legend}</legend>\n<p>No organization to grant.</p>\n</fieldset>"
    rows = "\n".join(
        f'<div class="choice"><input type="{kind}" id="org-{i}" name="org" value="{escape(org.id)}"'
        f"{' checked' if consent.multiple or i == 0 else ''}"
        f"{' required' if not consent.multiple else ''}> "
        f'<label for="org-{i}">{escape(org.name)} <span class="note">({escape(org.detail)}, '
        f"id {escape(org.id)})</span></label></div>"
        for i, org in enumerate(consent.orgs)
    )
    return f"<fieldset>\n<legend>{legend}</legend>\n{rows}\n</fieldset>"


IssueCode = Callable[[AuthRequest, list[str]], str]


@dataclass(frozen=True)
class AccountsSite:
    """What one sandbox tells the consent routes about itself, for one request."""

    product: str  # "Zoho CRM sandbox"
    find_client: FindClient
    consent: Callable[[AuthRequest], Consent]
    issue_code: IssueCode  # (request, organization ids ticked) -> a one-time code
    accounts_server: str  # this sandbox's base URL, sent back as `accounts-server`


def auth_routes(site: Callable[[Request], AccountsSite]) -> list[Route]:
    """`GET /oauth/v2/auth` (the consent page) and `POST /oauth/v2/auth` (its Accept or Deny)."""

    async def show(request: Request) -> Response:
        here = site(request)
        try:
            auth = parse_auth_request(dict(request.query_params), here.find_client)
        except ConsentError as exc:
            return error_page(exc, here.product)
        return consent_page(auth, here.consent(auth))

    async def answer(request: Request) -> Response:
        here = site(request)
        pairs = await form_pairs(request)
        try:
            auth = parse_auth_request(dict(reversed(pairs)), here.find_client)  # first value wins
        except ConsentError as exc:
            return error_page(exc, here.product)
        consent = here.consent(auth)
        decision = next((value for name, value in pairs if name == "decision"), "")
        if decision == "deny":
            return denied(auth)
        if decision != "accept":
            return consent_page(auth, consent, problem="Choose Accept or Deny.", status=400)
        try:
            org_ids = consent.chosen(pairs)
        except ConsentError as exc:
            return consent_page(auth, consent, problem=exc.detail, status=400)
        return accepted(auth, here.issue_code(auth, org_ids), here.accounts_server)

    return [Route(AUTH_PATH, show, methods=["GET"]), Route(AUTH_PATH, answer, methods=["POST"])]


# --- refresh tokens good at every sandbox -------------------------------------------------------


class GrantSigner:
    """Makes and checks consent refresh tokens shaped like Zoho's: `1000.<32 hex>.<32 hex>`.

    The second part is random, the third an HMAC over the client id, the client secret, the random
    part and the scope families, so a sandbox holding the same key can accept the token for its own
    family without having seen it, and only with the client credentials it was issued to.
    """

    def __init__(self, key: str = DEFAULT_ACCOUNTS_KEY) -> None:
        self._key = key.encode()

    def _mac(self, client_id: str, client_secret: str, nonce: str, fams: Iterable[str]) -> str:
        message = "\n".join([client_id, client_secret, nonce, ",".join(sorted(fams))]).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def mint(self, client_id: str, client_secret: str, scopes: Iterable[str]) -> str:
        nonce = secrets.token_hex(16)
        return f"1000.{nonce}.{self._mac(client_id, client_secret, nonce, families(scopes))}"

    def accepts(self, token: str, client_id: str, client_secret: str, family: Family) -> bool:
        """True when `token` was minted by a consent that asked for `family`'s scopes, for this client."""
        prefix, _, rest = token.partition(".")
        nonce, _, mac = rest.partition(".")
        if prefix != "1000" or len(nonce) != 32 or len(mac) != 32:
            return False
        other: Family = "inventory" if family == "crm" else "crm"
        return any(
            hmac.compare_digest(mac, self._mac(client_id, client_secret, nonce, fams))
            for fams in ({family}, {family, other})
        )


# --- the API console, as a control route ----------------------------------------------------------


class ClientUpdate(BaseModel):
    """`PUT /_sandbox/oauth/clients/{client_id}`: register redirect URIs (empty: any) and a name."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    redirect_uris: list[str] | None = None

    def apply(self, client: Client) -> Client:
        uris = client.redirect_uris if self.redirect_uris is None else tuple(self.redirect_uris)
        for uri in uris:
            check_redirect_uri(Client(client.client_id, client.client_secret, client.name), uri)
        return Client(client.client_id, client.client_secret, self.name or client.name, uris)


def client_routes(
    find_client: Callable[[Request, str], Client | None], store_client: Callable[[Request, Client], None]
) -> list[Route]:
    """`GET|PUT /_sandbox/oauth/clients/{client_id}`: the client's name and registered redirect URIs."""

    async def show(request: Request) -> Response:
        client = find_client(request, request.path_params["client_id"])
        if client is None:
            return JSONResponse({"error": "unknown client_id"}, status_code=404)
        return JSONResponse(client.describe())

    async def update(request: Request) -> Response:
        client = find_client(request, request.path_params["client_id"])
        if client is None:
            return JSONResponse({"error": "unknown client_id"}, status_code=404)
        try:
            changed = ClientUpdate.model_validate_json((await request.body()) or b"{}").apply(client)
        except ValidationError as exc:
            return JSONResponse(
                {"error": "invalid body", "details": exc.errors(include_url=False)}, status_code=400
            )
        except ConsentError as exc:
            return JSONResponse({"error": "invalid redirect_uri", "details": exc.detail}, status_code=400)
        store_client(request, changed)
        return JSONResponse(changed.describe())

    path = "/_sandbox/oauth/clients/{client_id}"
    return [Route(path, show, methods=["GET"]), Route(path, update, methods=["PUT"])]


__all__ = [
    "AUTH_PATH",
    "CODE_LIFETIME_SECONDS",
    "DEFAULT_ACCOUNTS_KEY",
    "AccountsSite",
    "AuthRequest",
    "Client",
    "ClientUpdate",
    "Consent",
    "ConsentError",
    "GrantSigner",
    "Org",
    "auth_routes",
    "client_routes",
    "consent_page",
    "describe_scope",
    "error_page",
    "families",
    "parse_auth_request",
    "split_scope",
]
