"""Zoho-style OAuth: refresh grants issue short-lived access tokens sent as `Zoho-oauthtoken`."""

from __future__ import annotations

import hashlib
import secrets
from collections import deque
from dataclasses import dataclass, field

from .errors import Code, InventoryApiError
from .limits import Limits

TOKEN_WINDOW_SECONDS = 600
SCHEME = "zoho-oauthtoken"


@dataclass
class Grant:
    """One OAuth client with one refresh token, acting as one user of some organizations."""

    client_id: str
    client_secret: str
    refresh_token: str
    user_id: str
    org_ids: set[str]
    issued_at: deque[float] = field(default_factory=deque)


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
    def __init__(self) -> None:
        self._grants: dict[str, Grant] = {}  # by refresh token
        self._tokens: dict[str, AccessToken] = {}

    def register(self, seed: str, user_id: str, org_id: str) -> Grant:
        """A grant whose credentials derive from `seed`, so the same seed gives the same credentials."""
        digest = hashlib.sha256(seed.encode()).hexdigest()
        grant = Grant(
            client_id=f"1000.{digest[:30].upper()}",
            client_secret=digest[30:72],
            refresh_token=f"1000.{digest[:32]}.{digest[32:64]}",
            user_id=user_id,
            org_ids={org_id},
        )
        self._grants[grant.refresh_token] = grant
        return grant

    def refresh(
        self, client_id: str, client_secret: str, refresh_token: str, now: float, limits: Limits
    ) -> AccessToken:
        grant = self._grants.get(refresh_token)
        if grant is None:
            raise OAuthError("invalid_code")
        if grant.client_id != client_id or grant.client_secret != client_secret:
            raise OAuthError("invalid_client")
        while grant.issued_at and grant.issued_at[0] <= now - TOKEN_WINDOW_SECONDS:
            grant.issued_at.popleft()
        if len(grant.issued_at) >= limits.tokens_per_refresh_token:
            raise OAuthError(
                "Access Denied",
                "You have made too many requests continuously. Please try again after some time.",
                400,
            )
        grant.issued_at.append(now)
        token = AccessToken(
            f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}",
            refresh_token,
            now + limits.token_expires_in,
        )
        self._tokens[token.token] = token
        return token

    def revoke(self, token: str) -> None:
        """Revoking a refresh token also kills its access tokens."""
        if self._grants.pop(token, None) is not None:
            self._tokens = {k: v for k, v in self._tokens.items() if v.refresh_token != token}
        self._tokens.pop(token, None)

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
        return next((g for g in self._grants.values() if org_id in g.org_ids), None)
