"""Zoho-style OAuth: clients, consent codes, refresh grants and short-lived `Zoho-oauthtoken` tokens.

Refresh tokens from a consent are signed (`..accounts.GrantSigner`), so a consent run on the CRM
sandbox that asked for Inventory scopes gives a refresh token this sandbox accepts too.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import deque
from dataclasses import dataclass, field

from ..accounts import CODE_LIFETIME_SECONDS, AuthRequest, Client, GrantSigner
from .errors import Code, InventoryApiError
from .limits import Limits

TOKEN_WINDOW_SECONDS = 600
SCHEME = "zoho-oauthtoken"


@dataclass
class Grant:
    """One OAuth client with one refresh token, acting as one user of some organizations.

    Seeded grants act as their organization's admin; consent grants (`seeded=False`, `user_id=""`)
    act as the sandbox user, who is every organization's admin. `every_org`: a grant made on
    another sandbox's consent page reaches every organization, as a Zoho Inventory token reaches
    every organization of its user.
    """

    client_id: str
    client_secret: str
    refresh_token: str
    user_id: str
    org_ids: set[str]
    issued_at: deque[float] = field(default_factory=deque)
    peak_in_window: int = 0  # the most access tokens issued in any 10 minutes
    refused: int = 0  # refreshes refused for being over the limit
    seeded: bool = True
    every_org: bool = False
    scope: str | None = None

    def reaches(self, org_id: str) -> bool:
        return self.every_org or org_id in self.org_ids


@dataclass(frozen=True)
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    offline: bool
    org_ids: frozenset[str]
    expires_at: float

    @property
    def scope(self) -> str:
        return ",".join(self.scopes)


@dataclass(frozen=True)
class AccessToken:
    token: str
    refresh_token: str
    expires_at: float


class OAuthError(Exception):
    """A token endpoint refusal: Zoho answers `{"error": ...}` (see README for the statuses)."""

    def __init__(self, error: str, description: str | None = None, http_status: int = 200) -> None:
        super().__init__(error)
        self.body: dict[str, str] = {"error": error} | (
            {"error_description": description} if description else {}
        )
        self.http_status = http_status


class OAuthRegistry:
    def __init__(self, signer: GrantSigner | None = None) -> None:
        self.signer = signer or GrantSigner()
        self.clients: dict[str, Client] = {}
        self.client_orgs: dict[str, str] = {}  # client id -> the organization whose seed made it
        self._grants: dict[str, Grant] = {}  # by refresh token
        self._tokens: dict[str, AccessToken] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._revoked: set[str] = set()  # so a revoked consent token is not taken back on its signature

    def register(self, seed: str, user_id: str, org_id: str, org_name: str = "") -> Grant:
        """A client and grant whose credentials derive from `seed`, so the same seed gives the same ones."""
        digest = hashlib.sha256(seed.encode()).hexdigest()
        grant = Grant(
            client_id=f"1000.{digest[:30].upper()}",
            client_secret=digest[30:72],
            refresh_token=f"1000.{digest[:32]}.{digest[32:64]}",
            user_id=user_id,
            org_ids={org_id},
        )
        self._grants[grant.refresh_token] = grant
        name = f"Sandbox Inventory client ({org_name})" if org_name else "Sandbox Inventory client"
        self.clients[grant.client_id] = Client(grant.client_id, grant.client_secret, name)
        self.client_orgs[grant.client_id] = org_id
        return grant

    def find_client(self, client_id: str) -> Client | None:
        return self.clients.get(client_id)

    def authorize(self, request: AuthRequest, org_ids: list[str], now: float) -> str:
        """The one-time code for an accepted consent granting `org_ids`."""
        code = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        self._codes[code] = AuthorizationCode(
            request.client.client_id,
            request.redirect_uri,
            request.scopes,
            request.offline,
            frozenset(org_ids),
            now + CODE_LIFETIME_SECONDS,
        )
        return code

    def exchange(self, params: dict[str, str], now: float, limits: Limits) -> tuple[AccessToken, Grant, bool]:
        """`grant_type=authorization_code`: the access token, its grant and whether it is offline."""
        client = self.clients.get(params.get("client_id", ""))
        if client is None or client.client_secret != params.get("client_secret"):
            raise OAuthError("invalid_client")
        code = self._codes.pop(params.get("code", ""), None)  # any attempt uses the code up
        if code is None or now >= code.expires_at or code.client_id != client.client_id:
            raise OAuthError("invalid_code")
        if params.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_redirect_uri")
        refresh_token = self.signer.mint(client.client_id, client.client_secret, code.scopes)
        grant = Grant(
            client.client_id,
            client.client_secret,
            refresh_token,
            user_id="",
            org_ids=set(code.org_ids),
            seeded=False,
            scope=code.scope,
        )
        self._grants[refresh_token] = grant
        access = self._issue(grant, now, limits)
        if not code.offline:  # the access token lives on; no refresh token to use again
            self._revoked.add(refresh_token)
        return access, grant, code.offline

    def refresh(
        self, client_id: str, client_secret: str, refresh_token: str, now: float, limits: Limits
    ) -> AccessToken:
        grant = self._grants.get(refresh_token) or self._adopt(refresh_token, client_id, client_secret)
        if grant is None or refresh_token in self._revoked:
            raise OAuthError("invalid_code")
        if grant.client_id != client_id or grant.client_secret != client_secret:
            raise OAuthError("invalid_client")
        return self._issue(grant, now, limits)

    def _adopt(self, refresh_token: str, client_id: str, client_secret: str) -> Grant | None:
        """A consent refresh token from another sandbox (or from before a reset) that asked for
        Inventory scopes: it reaches every organization."""
        if refresh_token in self._revoked or not self.signer.accepts(
            refresh_token, client_id, client_secret, "inventory"
        ):
            return None
        grant = Grant(client_id, client_secret, refresh_token, "", set(), seeded=False, every_org=True)
        self._grants[refresh_token] = grant
        return grant

    def _issue(self, grant: Grant, now: float, limits: Limits) -> AccessToken:
        refresh_token = grant.refresh_token
        while grant.issued_at and grant.issued_at[0] <= now - TOKEN_WINDOW_SECONDS:
            grant.issued_at.popleft()
        if len(grant.issued_at) >= limits.tokens_per_refresh_token:
            grant.refused += 1
            raise OAuthError(
                "Access Denied",
                "You have made too many requests continuously. Please try again after some time.",
                400,
            )
        grant.issued_at.append(now)
        grant.peak_in_window = max(grant.peak_in_window, len(grant.issued_at))
        token = AccessToken(
            f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}",
            refresh_token,
            now + limits.token_expires_in,
        )
        self._tokens[token.token] = token
        return token

    def revoke(self, token: str) -> None:
        """Revoking a refresh token also kills its access tokens."""
        self._revoked.add(token)
        if self._grants.pop(token, None) is not None:
            self._tokens = {k: v for k, v in self._tokens.items() if v.refresh_token != token}
        self._tokens.pop(token, None)

    def refreshes(self) -> list[dict[str, object]]:
        """Per refresh token: its client, organizations, the most access tokens issued in any
        10 minutes and the refreshes refused (`GET /_sandbox/oauth/refreshes`)."""
        return [
            {
                "client_id": grant.client_id,
                "organization_ids": sorted(grant.org_ids),
                "peak_in_window": grant.peak_in_window,
                "refused": grant.refused,
            }
            for grant in self._grants.values()
        ]

    def expire_all(self) -> int:
        """Forget every access token (refresh tokens stay valid); returns how many there were."""
        count = len(self._tokens)
        self._tokens.clear()
        return count

    def authenticate(self, header: str | None, now: float) -> Grant:
        """The grant behind `Authorization: Zoho-oauthtoken <token>`, or the 401 reply."""
        scheme, _, token = (header or "").strip().partition(" ")
        if scheme.lower() != SCHEME or not token.strip():
            raise InventoryApiError(
                Code.INVALID_OAUTH_TOKEN,
                "Invalid value passed for Authorization header; expected 'Zoho-oauthtoken <access_token>'.",
                401,
            )
        access = self._tokens.get(token.strip())
        grant = self._grants.get(access.refresh_token) if access else None
        if access is None or grant is None or now >= access.expires_at:
            raise InventoryApiError(
                Code.NOT_AUTHORIZED, "You are not authorized to perform this operation", 401
            )
        return grant

    def grant_for_org(self, org_id: str) -> Grant | None:
        """The seeded grant of an organization (the credentials its seed reply names)."""
        return next((g for g in self._grants.values() if g.seeded and org_id in g.org_ids), None)
