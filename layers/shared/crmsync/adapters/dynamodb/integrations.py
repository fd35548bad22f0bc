"""Integrations: records, organization claims, state transitions, purge."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from itertools import batched

from crmsync.adapters.dynamodb import keys
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.batching import WRITE_CHUNK
from crmsync.adapters.dynamodb.codec import Item, decode, deserialize, encode, serialize
from crmsync.adapters.dynamodb.pagination import Listing
from crmsync.adapters.dynamodb.table import ABSENT, Condition, ConditionFailed, TransactionFailed
from crmsync.domain.errors import AlreadyExistsError, ConflictError, NotFoundError
from crmsync.domain.models import Integration, IntegrationState, Module, Role, format_timestamp
from crmsync.ports.store import Page, PurgeProgress

PURGED_PREFIXES = (
    keys.MODULE_PREFIX,
    keys.CURSOR_PREFIX,
    keys.OPENFAIL_PREFIX,
    keys.ACTIVITY_PREFIX,
    keys.DEAL_LINK_PREFIX,
    keys.TRIGGER_PREFIX,
    keys.DEAL_WATERMARK,
)


def integration_item(integration: Integration) -> Item:
    created = format_timestamp(integration.created_at)
    return encode(
        integration,
        {
            **keys.integration(integration.integration_id),
            **keys.integration_gsi1(integration.tenant_id, created, integration.integration_id),
            **keys.integration_gsi2(integration.state, integration.integration_id),
        },
    )


def owned_by(integration_id: str) -> Condition:
    return Condition("#owner = :owner", {"#owner": "integration_id"}, {":owner": integration_id})


class IntegrationArea(StoreBase):
    def create_integration(self, integration: Integration) -> Integration:
        stored = integration.model_copy(update={"version": 1})
        claim = {"integration_id": integration.integration_id}
        actions = [
            self._table.put_action(integration_item(stored), ABSENT),
            self._table.put_action(
                serialize({**keys.inventory_org(integration.inventory_org_id), **claim}), ABSENT
            ),
        ]
        if integration.role is Role.PRIMARY:
            primary = serialize({**keys.crm_org_primary(integration.crm_org_id), **claim})
            actions.append(self._table.put_action(primary, ABSENT))
        try:
            self._table.transact(actions)
        except TransactionFailed as err:
            if err.failed_at(0):
                raise AlreadyExistsError(
                    "the integration exists", current=integration.integration_id
                ) from None
            if err.failed_at(1):
                holder = self.inventory_org_integration_id(integration.inventory_org_id)
                raise AlreadyExistsError(
                    "the inventory organization is already integrated", current=holder
                ) from None
            holder = self.primary_integration_id(integration.crm_org_id)
            raise AlreadyExistsError(
                "the CRM organization already has a primary integration", current=holder
            ) from None
        return stored

    def get_integration(self, integration_id: str) -> Integration | None:
        item = self._table.get(keys.integration(integration_id))
        return decode(item, Integration) if item else None

    def get_integrations(self, integration_ids: Sequence[str]) -> list[Integration]:
        found = {
            integration.integration_id: integration
            for integration in (
                decode(item, Integration)
                for item in self._table.batch_get(keys.integration(i) for i in integration_ids)
            )
        }
        return [found[i] for i in integration_ids if i in found]

    def list_integrations(
        self, tenant_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Integration]:
        listing = Listing(keys.tenant_integrations_partition(tenant_id), index="gsi1")
        items, next_cursor = self._table.page(listing, limit=limit, cursor=cursor, newest_first=True)
        return Page([decode(item, Integration) for item in items], next_cursor)

    def list_integration_ids(
        self, state: IntegrationState, *, limit: int = 100, cursor: str | None = None
    ) -> Page[str]:
        listing = Listing(keys.integrations_in_state_partition(state), index="gsi2")
        items, next_cursor = self._table.page(listing, limit=limit, cursor=cursor, newest_first=False)
        return Page([item["gsi2sk"]["S"] for item in items], next_cursor)

    def transition_integration(
        self, integration_id: str, *, allowed_from: Collection[IntegrationState], to: IntegrationState
    ) -> Integration:
        if not allowed_from:
            raise ValueError("allowed_from must name at least one state")
        allowed = {f":from{i}": state.value for i, state in enumerate(allowed_from)}
        condition = Condition(f"#state IN ({', '.join(allowed)})", {"#state": "state"}, allowed)
        try:
            item = self._table.update(
                keys.integration(integration_id),
                "SET #state = :to, #gsi2pk = :gsi2pk, #updated = :now ADD #version :one",
                {"#gsi2pk": "gsi2pk", "#updated": "updated_at", "#version": "version"},
                {
                    ":to": to.value,
                    ":gsi2pk": keys.integrations_in_state_partition(to),
                    ":now": format_timestamp(self._clock()),
                    ":one": 1,
                },
                condition,
            )
        except ConditionFailed as err:
            if err.item is None:
                raise NotFoundError(f"integration {integration_id} does not exist") from None
            current = IntegrationState(deserialize(err.item)["state"])
            raise ConflictError(f"the integration is {current}", current=current) from None
        return decode(item, Integration)

    def save_integration(self, integration: Integration) -> Integration:
        stored = integration.model_copy(
            update={"version": integration.version + 1, "updated_at": self._clock()}
        )
        condition = Condition(
            "#version = :expected", {"#version": "version"}, {":expected": integration.version}
        )
        try:
            self._table.put(integration_item(stored), condition)
        except ConditionFailed as err:
            if err.item is None:
                raise NotFoundError(f"integration {integration.integration_id} does not exist") from None
            current = deserialize(err.item)["version"]
            raise ConflictError("the integration changed since it was read", current=current) from None
        return stored

    def primary_integration_id(self, crm_org_id: str) -> str | None:
        item = self._table.get(keys.crm_org_primary(crm_org_id))
        return item["integration_id"]["S"] if item else None

    def inventory_org_integration_id(self, inventory_org_id: str) -> str | None:
        item = self._table.get(keys.inventory_org(inventory_org_id))
        return item["integration_id"]["S"] if item else None

    def release_org_claims(self, integration: Integration) -> None:
        claims = [keys.inventory_org(integration.inventory_org_id)]
        if integration.role is Role.PRIMARY:
            claims.append(keys.crm_org_primary(integration.crm_org_id))
        for claim in claims:
            try:
                self._table.delete(claim, owned_by(integration.integration_id))
            except ConditionFailed:
                pass  # already released, or held by another integration

    def purge_integration(self, integration_id: str, *, max_items: int | None = None) -> PurgeProgress:
        deleted = 0
        for chunk in batched(self._purge_keys(integration_id), WRITE_CHUNK):
            if max_items is not None and deleted >= max_items:
                return PurgeProgress(deleted=deleted, done=False)
            deleted += self._table.batch_delete(chunk)
        return PurgeProgress(deleted=deleted, done=True)

    def _purge_keys(self, integration_id: str) -> Iterator[Item]:
        """Keys to delete, a run's failures before the run (so a resumed purge still finds them)."""
        for module in Module:
            yield from self._table.query_all(
                Listing(keys.mapping_partition(integration_id, module)), keys_only=True
            )
        partition = keys.integration_partition(integration_id)
        for run_key in self._table.query_all(Listing(partition, keys.RUN_PREFIX), keys_only=True):
            run_id = run_key["sk"]["S"].removeprefix(keys.RUN_PREFIX)
            yield from self._table.query_all(Listing(keys.run_partition(run_id)), keys_only=True)
            yield run_key
        for prefix in PURGED_PREFIXES:
            yield from self._table.query_all(Listing(partition, prefix), keys_only=True)
