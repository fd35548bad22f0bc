"""Store contract: tenants and API keys."""

from __future__ import annotations

import pytest

from crmsync.domain.errors import AlreadyExistsError, InvalidCursorError, NotFoundError
from crmsync.domain.models import ApiKeyRecord, hash_api_key


def api_key(make, tenant_id: str, raw: str = "csk_secret") -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=make.id("k"), tenant_id=tenant_id, key_hash=hash_api_key(raw), created_at=make.clock()
    )


def test_tenant_round_trips_when_created(store, make):
    tenant = make.tenant()
    store.create_tenant(tenant)
    assert store.get_tenant(tenant.tenant_id) == tenant
    assert store.get_tenant("nobody") is None


def test_create_tenant_raises_already_exists_when_id_taken(store, make):
    tenant = make.tenant()
    store.create_tenant(tenant)
    with pytest.raises(AlreadyExistsError):
        store.create_tenant(tenant.model_copy(update={"name": "Other"}))
    assert store.get_tenant(tenant.tenant_id).name == "Acme"


def test_list_tenants_pages_oldest_first_when_more_than_a_page(store, make, clock):
    tenants = []
    for _ in range(5):
        tenants.append(make.tenant())
        store.create_tenant(tenants[-1])
        clock.advance(seconds=1)
    seen, cursor, pages = [], None, 0
    while True:
        page = store.list_tenants(limit=2, cursor=cursor)
        seen += page.items
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == tenants
    assert pages == 3


def test_list_tenants_raises_invalid_cursor_when_cursor_is_not_ours(store, make):
    for _ in range(3):
        store.create_tenant(make.tenant())
    with pytest.raises(InvalidCursorError):
        store.list_tenants(cursor="not-a-cursor!")
    with pytest.raises(ValueError):  # the typed error is also a ValueError
        store.list_tenants(cursor="eyJwayI6IDF9")  # {"pk": 1}


def test_find_api_key_returns_record_when_hash_known(store, make):
    tenant = make.tenant()
    store.create_tenant(tenant)
    key = api_key(make, tenant.tenant_id)
    store.add_api_key(key)
    assert store.find_api_key(hash_api_key("csk_secret")) == key
    assert store.find_api_key(hash_api_key("csk_other")) is None
    assert store.list_api_keys(tenant.tenant_id) == [key]


def test_add_api_key_raises_not_found_when_tenant_missing(store, make):
    key = api_key(make, "t-missing")
    with pytest.raises(NotFoundError):
        store.add_api_key(key)
    assert store.find_api_key(key.key_hash) is None


def test_add_api_key_raises_already_exists_when_hash_taken(store, make):
    tenant = make.tenant()
    store.create_tenant(tenant)
    store.add_api_key(api_key(make, tenant.tenant_id))
    with pytest.raises(AlreadyExistsError):
        store.add_api_key(api_key(make, tenant.tenant_id))
    assert len(store.list_api_keys(tenant.tenant_id)) == 1


def test_revoke_api_key_removes_both_lookups_when_key_exists(store, make):
    tenant = make.tenant()
    store.create_tenant(tenant)
    kept, revoked = api_key(make, tenant.tenant_id, "csk_kept"), api_key(make, tenant.tenant_id, "csk_gone")
    store.add_api_key(kept)
    store.add_api_key(revoked)
    store.revoke_api_key(tenant.tenant_id, revoked.key_id)
    assert store.find_api_key(revoked.key_hash) is None
    assert store.list_api_keys(tenant.tenant_id) == [kept]
    with pytest.raises(NotFoundError):
        store.revoke_api_key(tenant.tenant_id, revoked.key_id)


def test_revoke_api_key_raises_not_found_when_key_belongs_to_another_tenant(store, make):
    owner, other = make.tenant(), make.tenant()
    store.create_tenant(owner)
    store.create_tenant(other)
    key = api_key(make, owner.tenant_id)
    store.add_api_key(key)
    with pytest.raises(NotFoundError):
        store.revoke_api_key(other.tenant_id, key.key_id)
    assert store.find_api_key(key.key_hash) == key
