"""Tenants and their API keys (operator use case; the authorizer resolves keys).

A key is shown once, when issued; only its SHA-256 is stored. Keys carry 256 bits
of randomness, so an unsalted hash is enough to make a stolen table useless.
"""

from __future__ import annotations

import secrets
import uuid

from crmsync.domain.errors import NotFoundError
from crmsync.domain.models import ApiKeyRecord, Tenant, hash_api_key
from crmsync.ports.clock import Clock, utc_now
from crmsync.ports.store import Store

KEY_PREFIX = "csk_"


class TenantService:
    def __init__(self, store: Store, clock: Clock = utc_now):
        self.store = store
        self.clock = clock

    def create_tenant(self, name: str) -> Tenant:
        name = name.strip()
        if not name:
            raise ValueError("a tenant needs a name")
        tenant = Tenant(tenant_id=uuid.uuid4().hex, name=name, created_at=self.clock())
        self.store.create_tenant(tenant)
        return tenant

    def list_tenants(self) -> list[Tenant]:
        tenants, cursor = [], None
        while True:
            page = self.store.list_tenants(limit=100, cursor=cursor)
            tenants.extend(page.items)
            if not (cursor := page.next_cursor):
                return tenants

    def issue_key(self, tenant_id: str) -> tuple[str, str]:
        """Create an API key for the tenant; return (key_id, raw key). The raw key is never stored."""
        if self.store.get_tenant(tenant_id) is None:
            raise NotFoundError(f"no tenant {tenant_id}")
        raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
        key_id = uuid.uuid4().hex[:12]
        self.store.add_api_key(
            ApiKeyRecord(key_id=key_id, tenant_id=tenant_id, key_hash=hash_api_key(raw_key), created_at=self.clock())
        )
        return key_id, raw_key

    def revoke_key(self, tenant_id: str, key_id: str) -> None:
        self.store.revoke_api_key(tenant_id, key_id)

    def resolve_key(self, raw_key: str) -> str | None:
        """The tenant id an API key belongs to, or None."""
        if not raw_key.startswith(KEY_PREFIX):
            return None
        record = self.store.find_api_key(hash_api_key(raw_key))
        return record.tenant_id if record else None
