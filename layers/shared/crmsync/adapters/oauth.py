"""Zoho OAuth: access tokens from a refresh token, cached, refreshed once, and replayed once on 401."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from urllib.parse import urlencode

import httpx
from pydantic import AliasChoices, BaseModel, Field, ValidationError

from crmsync.adapters.datacenters import resolve_endpoints
from crmsync.adapters.http import Classifier, RetryPolicy, VendorHttp, decode_json, retry_after_seconds
from crmsync.adapters.pacer import Pacer
from crmsync.adapters.token_sharing import FreshToken, SharedTokens, record_key
from crmsync.ports.errors import (
    AuthorizationExpired,
    PermanentError,
    RateLimited,
    Unavailable,
    VendorError,
    VendorSystem,
)
from crmsync.ports.secrets import OAuthCredentials

# Token-endpoint `error` values meaning the grant itself is dead or wrong: reconnect to fix.
_DEAD_GRANT = {
    "invalid_code",
    "invalid_client",
    "invalid_client_secret",
    "invalid_grant",
    "unauthorized_client",
    "invalid_token",
}
# Zoho Accounts' answer when tokens are requested too often (10 per 10 minutes per refresh token).
_TOKEN_THROTTLED = "Access Denied"


class _TokenReply(BaseModel):
    access_token: str
    api_domain: str | None = None
    # Older replies gave `expires_in` in milliseconds next to `expires_in_sec`: prefer the latter.
    expires_in: float = Field(default=3600.0, validation_alias=AliasChoices("expires_in_sec", "expires_in"))


class _Token(BaseModel):
    value: str
    valid_until: float


class TokenSource:
    """Hands out a cached access token and refreshes it shortly before it expires.

    Refreshes are serialised by a lock: however many threads find the token stale or rejected, one
    refresh runs and the others take its result. With `shared`, the token is also shared with every
    other process under a lease (`token_sharing`), so many cold containers make one refresh. The
    token reply's `api_domain` is the API host.
    """

    def __init__(
        self,
        system: VendorSystem,
        credentials: OAuthCredentials,
        token_url: str,
        default_api_domain: str,
        client: httpx.Client,
        *,
        early_refresh: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedTokens | None = None,
        wall: Callable[[], float] = time.time,
    ):
        self._system = system
        self._credentials = credentials
        self._token_url = token_url
        self._api_domain = default_api_domain
        self._client = client
        self._early_refresh = early_refresh
        self._clock = clock
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self._shared = shared
        self._wall = wall

    @property
    def api_domain(self) -> str:
        """The API host to call (from the last token reply), fetching a first token when needed."""
        self.access_token()
        return self._api_domain

    def access_token(self) -> str:
        token = self._token
        if token is not None and self._clock() < token.valid_until:
            return token.value
        with self._lock:
            token = self._token
            if token is None or self._clock() >= token.valid_until:
                token = self._renew(rejected=None)
            return token.value

    def refresh(self, rejected: str) -> str:
        """A new token to replace `rejected`; one refresh however many callers saw it rejected."""
        with self._lock:
            token = self._token
            if token is None or token.value == rejected or self._clock() >= token.valid_until:
                token = self._renew(rejected=rejected)
            return token.value

    def _renew(self, rejected: str | None) -> _Token:
        if self._shared is None:
            fresh = self._fetch()
        else:
            client_id = self._credentials.client_id
            refresh_token = self._credentials.refresh_token.get_secret_value()
            secret = (self._credentials.client_secret.get_secret_value() + refresh_token).encode()
            key = record_key(self._token_url, client_id, refresh_token)
            fresh = self._shared.obtain(self._system, key, secret, self._fetch, rejected=rejected)
        if fresh.api_domain:
            self._api_domain = fresh.api_domain.rstrip("/")
        self._token = _Token(value=fresh.value, valid_until=self._clock() + fresh.valid_until - self._wall())
        return self._token

    def _fetch(self) -> FreshToken:
        """A token from the vendor, usable until shortly before it expires."""
        data = {
            "grant_type": "refresh_token",
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret.get_secret_value(),
            "refresh_token": self._credentials.refresh_token.get_secret_value(),
        }
        try:
            response = self._client.post(self._token_url, data=data)
        except httpx.TransportError as exc:
            raise Unavailable(
                self._system, f"token endpoint: {type(exc).__name__}", code="CONNECTION"
            ) from exc
        reply = self._parse(response)
        margin = min(self._early_refresh, reply.expires_in / 10)
        return FreshToken(reply.access_token, reply.api_domain, self._wall() + reply.expires_in - margin)

    def _parse(self, response: httpx.Response) -> _TokenReply:
        body = decode_json(response)
        if response.status_code >= 500:
            raise Unavailable(self._system, "token endpoint failed", status=response.status_code)
        if response.status_code == 429:
            raise RateLimited(
                self._system,
                "token endpoint throttled",
                status=429,
                retry_after=retry_after_seconds(response),
            )
        if isinstance(body, dict) and "access_token" in body:
            try:
                return _TokenReply.model_validate(body)
            except ValidationError as exc:
                raise PermanentError(
                    self._system, f"unreadable token reply: {exc.error_count()} errors"
                ) from exc
        raise self._grant_error(body, response.status_code)

    def _grant_error(self, body: object, status: int) -> VendorError:
        code = str(body.get("error")) if isinstance(body, dict) and body.get("error") else None
        if code == _TOKEN_THROTTLED:
            return RateLimited(self._system, "too many token requests", code=code, status=status)
        if code in _DEAD_GRANT:
            return AuthorizationExpired(
                self._system, "refresh token refused: reconnect", code=code, status=status
            )
        return PermanentError(self._system, "token endpoint refused the refresh", code=code, status=status)


class ZohoAuth(httpx.Auth):
    """httpx auth: `Zoho-oauthtoken` header; a rejected token is refreshed and the call replayed once."""

    requires_response_body = True

    def __init__(self, tokens: TokenSource, is_rejected: Callable[[httpx.Response], bool]):
        self._tokens = tokens
        self._is_rejected = is_rejected

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._tokens.access_token()
        request.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        response = yield request
        if self._is_rejected(response):
            request.headers["Authorization"] = f"Zoho-oauthtoken {self._tokens.refresh(token)}"
            yield request


def authorized_http(
    system: VendorSystem,
    credentials: OAuthCredentials,
    api_path: str,
    classify: Classifier,
    is_rejected: Callable[[httpx.Response], bool],
    *,
    policy: RetryPolicy | None = None,
    pacer: Pacer | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
    budget_header: str | None = None,
    shared_tokens: SharedTokens | None = None,
) -> VendorHttp:
    """A VendorHttp for one side of an integration: its data centre (or base URL), tokens and retries.

    Calls go to `{api_domain}{api_path}`, `api_domain` coming from the token reply.
    """
    endpoints = resolve_endpoints(credentials.data_center, credentials.base_url)
    policy = policy or RetryPolicy()
    client = httpx.Client(timeout=policy.timeout, headers={"Accept": "application/json"})
    tokens = TokenSource(
        system, credentials, endpoints.token_url, endpoints.api_domain, client, clock=clock,
        shared=shared_tokens,
    )
    return VendorHttp(
        system,
        client,
        classify,
        lambda: tokens.api_domain + api_path,
        auth=ZohoAuth(tokens, is_rejected),
        policy=policy,
        pacer=pacer,
        sleep=sleep,
        budget_header=budget_header,
    )


# One grant for both systems: what the product reads and writes in the CRM (records, settings, the
# organization, notification channels, searches) and in inventory (everything it syncs). The README
# says which call needs which scope.
CONSENT_SCOPES = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.ALL",
    "ZohoCRM.org.READ",
    "ZohoCRM.notifications.ALL",
    "ZohoSearch.securesearch.READ",
    "ZohoInventory.FullAccess.all",
)


def consent_url(data_center: str, base_url: str | None, *, client_id: str, redirect_uri: str, state: str) -> str:
    """The accounts server's consent page: code grant, offline access, consent asked every time."""
    endpoints = resolve_endpoints(data_center, base_url)
    query = urlencode({
        "response_type": "code",
        "client_id": client_id,
        "scope": ",".join(CONSENT_SCOPES),
        "redirect_uri": redirect_uri,
        "access_type": "offline",
        "prompt": "consent",
        "state": state,
    })
    return f"{endpoints.accounts_server}/oauth/v2/auth?{query}"


def exchange_code(
    system: VendorSystem,
    *,
    data_center: str,
    base_url: str | None,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str | None = None,
) -> str:
    """Trade a one-time authorization code for a refresh token (connect with a code grant)."""
    endpoints = resolve_endpoints(data_center, base_url)
    data = {"grant_type": "authorization_code", "client_id": client_id, "client_secret": client_secret, "code": code}
    if redirect_uri:
        data["redirect_uri"] = redirect_uri
    try:
        with httpx.Client(timeout=30) as client:
            response = client.post(endpoints.token_url, data=data)
    except httpx.TransportError as exc:
        raise Unavailable(system, f"token endpoint: {type(exc).__name__}", code="CONNECTION") from exc
    body = decode_json(response)
    if response.status_code >= 500:
        raise Unavailable(system, "token endpoint failed", status=response.status_code)
    if isinstance(body, dict) and body.get("refresh_token"):
        return str(body["refresh_token"])
    error = str(body.get("error")) if isinstance(body, dict) and body.get("error") else None
    raise AuthorizationExpired(system, "the authorization code was refused", code=error, status=response.status_code)
