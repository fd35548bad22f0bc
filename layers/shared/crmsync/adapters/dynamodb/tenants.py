"""Tenants and their API keys."""

from __future__ import annotations

from crmsync.adapters.dynamodb import keys
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.codec import decode, encode
from crmsync.adapters.dynamodb.pagination import Listing
from crmsync.adapters.dynamodb.table import ABSENT, PRESENT, ConditionFailed, TransactionFailed
from crmsync.domain.errors import AlreadyExistsError, NotFoundError
from crmsync.domain.models import ApiKeyRecord, Tenant, format_timestamp
from crmsync.ports.store import Page


class TenantArea(StoreBase):
    def create_tenant(self, tenant: Tenant) -> None:
        index = keys.tenant_gsi1(format_timestamp(tenant.created_at), tenant.tenant_id)
        try:
            self._table.put(encode(tenant, {**keys.tenant(tenant.tenant_id), **index}), ABSENT)
        except ConditionFailed:
            raise AlreadyExistsError(f"tenant {tenant.tenant_id} exists", current=tenant.tenant_id) from None

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        item = self._table.get(keys.tenant(tenant_id))
        return decode(item, Tenant) if item else None

    def list_tenants(self, *, limit: int = 50, cursor: str | None = None) -> Page[Tenant]:
        listing = Listing(keys.TENANTS_GSI1PK, index="gsi1")
        items, next_cursor = self._table.page(listing, limit=limit, cursor=cursor, newest_first=False)
        return Page([decode(item, Tenant) for item in items], next_cursor)

    def add_api_key(self, key: ApiKeyRecord) -> None:
        try:
            self._table.transact(
                [
                    self._table.check_action(keys.tenant(key.tenant_id), PRESENT),
                    self._table.put_action(encode(key, keys.api_key_by_hash(key.key_hash)), ABSENT),
                    self._table.put_action(
                        encode(key, keys.api_key_of_tenant(key.tenant_id, key.key_id)), ABSENT
                    ),
                ]
            )
        except TransactionFailed as err:
            if err.failed_at(0):
                raise NotFoundError(f"tenant {key.tenant_id} does not exist") from None
            raise AlreadyExistsError(f"API key {key.key_id} exists", current=key.key_id) from None

    def find_api_key(self, key_hash: str) -> ApiKeyRecord | None:
        item = self._table.get(keys.api_key_by_hash(key_hash))
        return decode(item, ApiKeyRecord) if item else None

    def list_api_keys(self, tenant_id: str) -> list[ApiKeyRecord]:
        listing = Listing(keys.tenant(tenant_id)["pk"], keys.KEY_PREFIX)
        return [decode(item, ApiKeyRecord) for item in self._table.query_all(listing)]

    def revoke_api_key(self, tenant_id: str, key_id: str) -> None:
        item = self._table.get(keys.api_key_of_tenant(tenant_id, key_id))
        if item is None:
            raise NotFoundError(f"tenant {tenant_id} has no API key {key_id}")
        record = decode(item, ApiKeyRecord)
        try:
            self._table.transact(
                [
                    self._table.delete_action(keys.api_key_of_tenant(tenant_id, key_id), PRESENT),
                    self._table.delete_action(keys.api_key_by_hash(record.key_hash)),
                ]
            )
        except TransactionFailed:
            raise NotFoundError(f"tenant {tenant_id} has no API key {key_id}") from None
