"""Zoho Accounts OAuth as the sandbox serves it: one client, consent codes, refresh and code grants.

Refresh tokens from a consent are signed (`..accounts.GrantSigner`), so a consent run on the
inventory sandbox that asked for CRM scopes gives a refresh token this sandbox accepts too.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..accounts import CODE_LIFETIME_SECONDS, AuthRequest, Client, GrantSigner
from .clock import Clock

TOKEN_WINDOW = timedelta(minutes=10)  # at most N access tokens per refresh token in this window
MAX_LIVE_ACCESS_TOKENS = 30
MAX_REFRESH_TOKENS = 20
CODE_LIFETIME = timedelta(seconds=CODE_LIFETIME_SECONDS)
CLIENT_NAME = "Sandbox CRM client"
DEFAULT_SCOPE = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ"


def opaque_token() -> str:
    """Tokens and codes shaped like Zoho's: `1000.<32 hex>.<32 hex>`."""
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


class OAuthFailure(Exception):
    """A token endpoint refusal: HTTP 400 with `{"error": ...}`."""

    def __init__(self, error: str, description: str | None = None) -> None:
        super().__init__(error)
        self.body: dict[str, str] = {"error": error}
        if description:
            self.body |= {"error_description": description, "status": "failure"}


@dataclass
class RefreshGrant:
    client_id: str
    client_secret: str
    scope: str | None  # None: a grant made on another sandbox's consent page (its scope is not known here)
    issued: list[datetime] = field(default_factory=list)
    access_tokens: list[str] = field(default_factory=list)
    peak_in_window: int = 0  # the most access tokens issued in any 10 minutes
    refused: int = 0  # refreshes refused for being over the limit


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    offline: bool
    expires_at: datetime

    @property
    def scope(self) -> str:
        return ",".join(self.scopes)


class OAuthServer:
    """Holds the sandbox's OAuth client and every grant made to it."""

    def __init__(self, clock: Clock, seed: int = 8081, signer: GrantSigner | None = None) -> None:
        rng = random.Random(seed)
        alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        self.clock = clock
        self.signer = signer or GrantSigner()
        self.client = Client(
            "1000." + "".join(rng.choice(alnum) for _ in range(30)),
            f"{rng.getrandbits(168):042x}",
            CLIENT_NAME,
        )
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.revoked: set[str] = set()  # so a revoked consent token is not taken back on its signature
        self.access_tokens: dict[str, tuple[str, datetime]] = {}  # token -> (refresh token, expiry)
        self.codes: dict[str, AuthorizationCode] = {}
        self.seeded_refresh_token = f"1000.{rng.getrandbits(128):032x}.{rng.getrandbits(128):032x}"
        self.refresh_tokens[self.seeded_refresh_token] = RefreshGrant(
            self.client_id, self.client_secret, DEFAULT_SCOPE
        )

    @property
    def client_id(self) -> str:
        return self.client.client_id

    @property
    def client_secret(self) -> str:
        return self.client.client_secret

    def find_client(self, client_id: str) -> Client | None:
        return self.client if client_id == self.client_id else None

    def authorize(self, request: AuthRequest) -> str:
        """The one-time code for an accepted consent (the CRM org is the only one to grant)."""
        code = opaque_token()
        self.codes[code] = AuthorizationCode(
            request.client.client_id,
            request.redirect_uri,
            request.scopes,
            request.offline,
            self.clock() + CODE_LIFETIME,
        )
        return code

    def token(self, params: dict[str, str], expires_in: int, per_window: int) -> dict[str, object]:
        """The token endpoint body for a grant; raises OAuthFailure."""
        client_id, client_secret = params.get("client_id", ""), params.get("client_secret", "")
        grant_type = params.get("grant_type")
        if grant_type == "refresh_token":
            refresh_token = params.get("refresh_token", "")
            grant = self.refresh_tokens.get(refresh_token) or self._adopt(
                refresh_token, client_id, client_secret
            )
            if grant is None:
                raise OAuthFailure(
                    "invalid_code" if self._own_client(client_id, client_secret) else "invalid_client"
                )
            if (grant.client_id, grant.client_secret) != (client_id, client_secret):
                raise OAuthFailure("invalid_client")
            return self._access(refresh_token, grant, expires_in, per_window)
        if not self._own_client(client_id, client_secret):
            raise OAuthFailure("invalid_client")
        if grant_type == "authorization_code":
            code = self.codes.pop(params.get("code", ""), None)  # any attempt uses the code up
            if code is None or code.expires_at <= self.clock() or code.client_id != client_id:
                raise OAuthFailure("invalid_code")
            if params.get("redirect_uri") != code.redirect_uri:
                raise OAuthFailure("invalid_redirect_uri")
            refresh_token = self.signer.mint(client_id, client_secret, code.scopes)
            grant = RefreshGrant(client_id, client_secret, code.scope)
            self.refresh_tokens[refresh_token] = grant
            self._evict_refresh_tokens()
            body = self._access(refresh_token, grant, expires_in, per_window)
            if not code.offline:
                del self.refresh_tokens[refresh_token]
                self.revoked.add(refresh_token)
                return body
            return {**body, "refresh_token": refresh_token}
        raise OAuthFailure("unsupported_grant_type")

    def _own_client(self, client_id: str, client_secret: str) -> bool:
        return (client_id, client_secret) == (self.client_id, self.client_secret)

    def _adopt(self, refresh_token: str, client_id: str, client_secret: str) -> RefreshGrant | None:
        """A consent refresh token from another sandbox (or from before a reset) that asked for CRM scopes."""
        if refresh_token in self.revoked or not self.signer.accepts(
            refresh_token, client_id, client_secret, "crm"
        ):
            return None
        grant = RefreshGrant(client_id, client_secret, None)
        self.refresh_tokens[refresh_token] = grant
        self._evict_refresh_tokens()
        return grant

    def _access(
        self, refresh_token: str, grant: RefreshGrant, expires_in: int, per_window: int
    ) -> dict[str, object]:
        now = self.clock()
        grant.issued = [t for t in grant.issued if now - t < TOKEN_WINDOW]
        if len(grant.issued) >= per_window:
            grant.refused += 1
            raise OAuthFailure(
                "Access Denied",
                "You have made too many requests continuously. Please try again after some time.",
            )
        grant.issued.append(now)
        grant.peak_in_window = max(grant.peak_in_window, len(grant.issued))
        token = opaque_token()
        self.access_tokens[token] = (refresh_token, now + timedelta(seconds=expires_in))
        grant.access_tokens.append(token)
        while len(grant.access_tokens) > MAX_LIVE_ACCESS_TOKENS:
            self.access_tokens.pop(grant.access_tokens.pop(0), None)
        scope = {} if grant.scope is None else {"scope": grant.scope}
        return {"access_token": token, **scope, "token_type": "Bearer", "expires_in": expires_in}

    def _evict_refresh_tokens(self) -> None:
        issued = [t for t in self.refresh_tokens if t != self.seeded_refresh_token]
        for token in issued[: max(0, len(issued) - MAX_REFRESH_TOKENS)]:
            self.revoke(token)

    def refreshes(self) -> list[dict[str, object]]:
        """Per refresh token: its client, the most access tokens issued in any 10 minutes and the
        refreshes refused (`GET /_sandbox/oauth/refreshes`)."""
        return [
            {"client_id": grant.client_id, "peak_in_window": grant.peak_in_window, "refused": grant.refused}
            for grant in self.refresh_tokens.values()
        ]

    def revoke(self, token: str) -> None:
        grant = self.refresh_tokens.pop(token, None)
        self.revoked.add(token)
        for access in grant.access_tokens if grant else []:
            self.access_tokens.pop(access, None)
        self.access_tokens.pop(token, None)

    def principal(self, authorization: str | None) -> str | None:
        """The refresh token behind a valid `Zoho-oauthtoken` header, else None."""
        scheme, _, token = (authorization or "").partition(" ")
        entry = self.access_tokens.get(token.strip()) if scheme == "Zoho-oauthtoken" else None
        if entry is None or entry[1] <= self.clock():
            return None
        return entry[0]
