"""Zoho Accounts OAuth as the sandbox serves it: one client, refresh and code grants, token checks."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .clock import Clock

TOKEN_WINDOW = timedelta(minutes=10)  # at most N access tokens per refresh token in this window
MAX_LIVE_ACCESS_TOKENS = 30
MAX_REFRESH_TOKENS = 20
CODE_LIFETIME = timedelta(minutes=2)
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
    scope: str
    issued: list[datetime] = field(default_factory=list)
    access_tokens: list[str] = field(default_factory=list)


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    scope: str
    offline: bool
    expires_at: datetime


class OAuthServer:
    """Holds the sandbox's OAuth client and every grant made to it."""

    def __init__(self, clock: Clock, seed: int = 8081) -> None:
        rng = random.Random(seed)
        alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        self.clock = clock
        self.client_id = "1000." + "".join(rng.choice(alnum) for _ in range(30))
        self.client_secret = f"{rng.getrandbits(168):042x}"
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.access_tokens: dict[str, tuple[str, datetime]] = {}  # token -> (refresh token, expiry)
        self.codes: dict[str, AuthorizationCode] = {}
        self.seeded_refresh_token = f"1000.{rng.getrandbits(128):032x}.{rng.getrandbits(128):032x}"
        self.refresh_tokens[self.seeded_refresh_token] = RefreshGrant(self.client_id, DEFAULT_SCOPE)

    def authorize(self, client_id: str, redirect_uri: str, scope: str, access_type: str) -> str:
        """Consent is automatic in the sandbox: returns a one-time code for the redirect."""
        if client_id != self.client_id:
            raise OAuthFailure("invalid_client")
        code = opaque_token()
        self.codes[code] = AuthorizationCode(
            client_id,
            redirect_uri,
            scope or DEFAULT_SCOPE,
            access_type == "offline",
            self.clock() + CODE_LIFETIME,
        )
        return code

    def token(self, params: dict[str, str], expires_in: int, per_window: int) -> dict[str, object]:
        """The token endpoint body for a grant; raises OAuthFailure."""
        if params.get("client_id") != self.client_id or params.get("client_secret") != self.client_secret:
            raise OAuthFailure("invalid_client")
        grant_type = params.get("grant_type")
        if grant_type == "refresh_token":
            refresh_token = params.get("refresh_token", "")
            grant = self.refresh_tokens.get(refresh_token)
            if grant is None or grant.client_id != self.client_id:
                raise OAuthFailure("invalid_code")
            return self._access(refresh_token, grant, expires_in, per_window)
        if grant_type == "authorization_code":
            code = self.codes.pop(params.get("code", ""), None)
            if code is None or code.expires_at <= self.clock():
                raise OAuthFailure("invalid_code")
            if params.get("redirect_uri") != code.redirect_uri:
                raise OAuthFailure("invalid_redirect_uri")
            refresh_token = opaque_token()
            grant = RefreshGrant(self.client_id, code.scope)
            self.refresh_tokens[refresh_token] = grant
            self._evict_refresh_tokens()
            body = self._access(refresh_token, grant, expires_in, per_window)
            if not code.offline:
                del self.refresh_tokens[refresh_token]
                return body
            return {**body, "refresh_token": refresh_token}
        raise OAuthFailure("unsupported_grant_type")

    def _access(
        self, refresh_token: str, grant: RefreshGrant, expires_in: int, per_window: int
    ) -> dict[str, object]:
        now = self.clock()
        grant.issued = [t for t in grant.issued if now - t < TOKEN_WINDOW]
        if len(grant.issued) >= per_window:
            raise OAuthFailure(
                "Access Denied",
                "You have made too many requests continuously. Please try again after some time.",
            )
        grant.issued.append(now)
        token = opaque_token()
        self.access_tokens[token] = (refresh_token, now + timedelta(seconds=expires_in))
        grant.access_tokens.append(token)
        while len(grant.access_tokens) > MAX_LIVE_ACCESS_TOKENS:
            self.access_tokens.pop(grant.access_tokens.pop(0), None)
        return {"access_token": token, "scope": grant.scope, "token_type": "Bearer", "expires_in": expires_in}

    def _evict_refresh_tokens(self) -> None:
        issued = [t for t in self.refresh_tokens if t != self.seeded_refresh_token]
        for token in issued[: max(0, len(issued) - MAX_REFRESH_TOKENS)]:
            self.revoke(token)

    def revoke(self, token: str) -> None:
        grant = self.refresh_tokens.pop(token, None)
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
