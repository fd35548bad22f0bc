"""Store contract: integrations, organization claims, state transitions."""

from __future__ import annotations

import pytest

from crmsync.domain.errors import AlreadyExistsError, ConflictError, InvalidCursorError, NotFoundError
from crmsync.domain.models import IntegrationState, NotificationChannel, Role, SharedOrgInfo

ACTIVE, PAUSED, DISABLED = IntegrationState.ACTIVE, IntegrationState.PAUSED, IntegrationState.DISABLED


def test_integration_round_trips_when_created(store, make, clock):
    integration = make.integration(
        inventory_org=SharedOrgInfo(name="Acme Ltd", email="ops@acme.test", country="DE", users=[]),
        channel=NotificationChannel(channel_ids=["1000"], token_hash="ab" * 32, expires_at=clock()),
    )
    stored = store.create_integration(integration)
    assert stored.version == 1
    assert store.get_integration(integration.integration_id) == stored
    assert store.get_integration("int-missing") is None


def test_create_integration_claims_both_organizations_when_primary(store, make):
    integration = store.create_integration(make.integration())
    assert store.primary_integration_id(integration.crm_org_id) == integration.integration_id
    assert store.inventory_org_integration_id(integration.inventory_org_id) == integration.integration_id


def test_create_integration_raises_already_exists_when_crm_org_has_a_primary(store, make):
    first = store.create_integration(make.integration())
    second = make.integration(crm_org_id=first.crm_org_id)
    with pytest.raises(AlreadyExistsError) as raised:
        store.create_integration(second)
    assert raised.value.current == first.integration_id
    assert store.get_integration(second.integration_id) is None
    assert store.inventory_org_integration_id(second.inventory_org_id) is None


def test_create_integration_succeeds_when_secondary_joins_a_taken_crm_org(store, make):
    primary = store.create_integration(make.integration())
    secondary = store.create_integration(make.integration(crm_org_id=primary.crm_org_id, role=Role.SECONDARY))
    assert store.get_integration(secondary.integration_id).role is Role.SECONDARY
    assert store.primary_integration_id(primary.crm_org_id) == primary.integration_id


def test_create_integration_raises_already_exists_when_inventory_org_is_integrated(store, make):
    first = store.create_integration(make.integration())
    with pytest.raises(AlreadyExistsError) as raised:
        store.create_integration(make.integration(inventory_org_id=first.inventory_org_id))
    assert raised.value.current == first.integration_id


def test_release_org_claims_frees_organizations_when_held_by_the_integration(store, make):
    first = store.create_integration(make.integration())
    store.release_org_claims(first)
    store.release_org_claims(first)  # idempotent
    assert store.primary_integration_id(first.crm_org_id) is None
    again = make.integration(crm_org_id=first.crm_org_id, inventory_org_id=first.inventory_org_id)
    assert store.create_integration(again).version == 1


def test_release_org_claims_keeps_claims_when_held_by_another_integration(store, make):
    holder = store.create_integration(make.integration())
    stranger = make.integration(crm_org_id=holder.crm_org_id, inventory_org_id=holder.inventory_org_id)
    store.release_org_claims(stranger)
    assert store.primary_integration_id(holder.crm_org_id) == holder.integration_id
    assert store.inventory_org_integration_id(holder.inventory_org_id) == holder.integration_id


def test_list_integrations_pages_newest_first_when_tenant_has_many(store, make, clock):
    created = []
    for _ in range(5):
        created.append(store.create_integration(make.integration("t-a")))
        clock.advance(minutes=1)
    store.create_integration(make.integration("t-b"))
    first = store.list_integrations("t-a", limit=3)
    second = store.list_integrations("t-a", limit=3, cursor=first.next_cursor)
    assert [i.integration_id for i in first.items + second.items] == [
        i.integration_id for i in reversed(created)
    ]
    assert second.next_cursor is None


def test_list_integrations_raises_invalid_cursor_when_cursor_is_from_another_tenant(store, make):
    for tenant in ("t-a", "t-a", "t-b", "t-b"):
        store.create_integration(make.integration(tenant))
    other_tenants_cursor = store.list_integrations("t-b", limit=1).next_cursor
    with pytest.raises(InvalidCursorError):
        store.list_integrations("t-a", cursor=other_tenants_cursor)


def test_get_integrations_returns_requested_order_when_some_are_missing(store, make):
    a, b = store.create_integration(make.integration()), store.create_integration(make.integration())
    assert store.get_integrations([b.integration_id, "int-missing", a.integration_id]) == [b, a]


def test_transition_integration_moves_state_and_state_listing_when_allowed(store, make, clock):
    integration = store.create_integration(make.integration())
    clock.advance(hours=1)
    paused = store.transition_integration(integration.integration_id, allowed_from={ACTIVE}, to=PAUSED)
    assert (paused.state, paused.version, paused.updated_at) == (PAUSED, 2, clock())
    assert store.get_integration(integration.integration_id) == paused
    assert store.list_integration_ids(ACTIVE).items == []
    assert store.list_integration_ids(PAUSED).items == [integration.integration_id]


def test_transition_integration_raises_conflict_with_current_state_when_not_allowed(store, make):
    integration = store.create_integration(make.integration())
    with pytest.raises(ConflictError) as raised:
        store.transition_integration(
            integration.integration_id, allowed_from={DISABLED}, to=IntegrationState.DELETING
        )
    assert raised.value.current is ACTIVE
    assert store.get_integration(integration.integration_id).state is ACTIVE


def test_transition_integration_raises_not_found_when_missing(store):
    with pytest.raises(NotFoundError):
        store.transition_integration("int-missing", allowed_from={ACTIVE}, to=PAUSED)


def test_list_integration_ids_pages_when_many_in_state(store, make):
    ids = sorted(store.create_integration(make.integration()).integration_id for _ in range(5))
    first = store.list_integration_ids(ACTIVE, limit=2)
    rest = store.list_integration_ids(ACTIVE, limit=10, cursor=first.next_cursor)
    assert first.items + rest.items == ids
    assert rest.next_cursor is None


def test_save_integration_bumps_version_when_read_version_is_current(store, make, clock):
    stored = store.create_integration(make.integration())
    clock.advance(minutes=5)
    saved = store.save_integration(stored.model_copy(update={"transactions_enabled": True}))
    assert (saved.version, saved.updated_at, saved.transactions_enabled) == (2, clock(), True)
    assert store.get_integration(stored.integration_id) == saved


def test_save_integration_raises_conflict_when_version_is_stale(store, make):
    stored = store.create_integration(make.integration())
    store.save_integration(stored.model_copy(update={"transactions_enabled": True}))
    with pytest.raises(ConflictError) as raised:
        store.save_integration(stored.model_copy(update={"crm_data_center": "eu"}))
    assert raised.value.current == 2
    assert store.get_integration(stored.integration_id).crm_data_center == "com"


def test_save_integration_raises_conflict_when_a_transition_came_between(store, make):
    stored = store.create_integration(make.integration())
    store.transition_integration(stored.integration_id, allowed_from={ACTIVE}, to=DISABLED)
    with pytest.raises(ConflictError):
        store.save_integration(stored.model_copy(update={"transactions_enabled": True}))
    assert store.get_integration(stored.integration_id).state is DISABLED


def test_save_integration_raises_not_found_when_missing(store, make):
    with pytest.raises(NotFoundError):
        store.save_integration(make.integration().model_copy(update={"version": 1}))
