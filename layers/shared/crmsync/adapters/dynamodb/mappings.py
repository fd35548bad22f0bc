"""Record mappings: one item per side of a pair, written together; claims before creates."""

from __future__ import annotations

from collections.abc import Sequence

from crmsync.adapters.dynamodb import keys
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.codec import Item, decode, encode
from crmsync.adapters.dynamodb.pagination import Listing
from crmsync.adapters.dynamodb.table import ABSENT, Condition, ConditionFailed, TransactionFailed
from crmsync.domain.errors import AlreadyExistsError, ConflictError, NotFoundError
from crmsync.domain.models import MappingStatus, Module, Side
from crmsync.domain.sync_state import Mapping
from crmsync.ports.store import Page

JSON_FIELDS = ("base",)


def mapping_key(mapping: Mapping, side: Side) -> dict[str, str]:
    record_id = mapping.id_on(side)
    if record_id is None:
        raise ValueError(f"the mapping has no {side} id")
    return keys.mapping(mapping.integration_id, mapping.module, side, record_id)


def mapping_item(mapping: Mapping, side: Side) -> Item:
    return encode(mapping, mapping_key(mapping, side), JSON_FIELDS)


def sides_of(mapping: Mapping) -> list[Side]:
    return [side for side in Side if mapping.id_on(side)]


def at_version(version: int) -> Condition:
    return Condition("#version = :version", {"#version": "version"}, {":version": version})


class MappingArea(StoreBase):
    def get_mapping(self, integration_id: str, module: Module, side: Side, record_id: str) -> Mapping | None:
        return self._mapping_at(keys.mapping(integration_id, module, side, record_id))

    def get_mappings(
        self, integration_id: str, module: Module, side: Side, record_ids: Sequence[str]
    ) -> dict[str, Mapping]:
        items = self._table.batch_get(keys.mapping(integration_id, module, side, i) for i in record_ids)
        mappings = (decode(item, Mapping, JSON_FIELDS) for item in items)
        return {record_id: mapping for mapping in mappings if (record_id := mapping.id_on(side))}

    def list_mappings(
        self, integration_id: str, module: Module, side: Side, *, limit: int = 100, cursor: str | None = None
    ) -> Page[Mapping]:
        listing = Listing(keys.mapping_partition(integration_id, module), keys.mapping_prefix(side))
        items, next_cursor = self._table.page(listing, limit=limit, cursor=cursor, newest_first=False)
        return Page([decode(item, Mapping, JSON_FIELDS) for item in items], next_cursor)

    def claim_mapping(self, mapping: Mapping) -> Mapping:
        if mapping.status is not MappingStatus.PENDING or mapping.claim_side is None:
            raise ValueError("a claim is a pending mapping")
        stored = mapping.model_copy(update={"version": 1, "updated_at": self._clock()})
        try:
            self._table.put(mapping_item(stored, mapping.claim_side), ABSENT)
        except ConditionFailed as err:
            current = decode(err.item, Mapping, JSON_FIELDS) if err.item else None
            raise AlreadyExistsError("the record is already mapped or claimed", current=current) from None
        return stored

    def complete_claim(self, mapping: Mapping) -> Mapping:
        claimed = mapping.claim_side
        if mapping.status is not MappingStatus.LINKED or claimed is None:
            raise ValueError("completing a claim writes a linked mapping that names its claim side")
        stored = mapping.model_copy(update={"version": mapping.version + 1, "updated_at": self._clock()})
        still_claimed = Condition(
            "#status = :pending AND #version = :version",
            {"#status": "status", "#version": "version"},
            {":pending": MappingStatus.PENDING.value, ":version": mapping.version},
        )
        try:
            self._table.transact(
                [
                    self._table.put_action(mapping_item(stored, claimed), still_claimed),
                    self._table.put_action(mapping_item(stored, claimed.other), ABSENT),
                ]
            )
        except TransactionFailed as err:
            if err.failed_at(0):
                current = self._current(mapping, claimed)
                raise ConflictError(
                    "the claim is no longer pending at this version", current=current
                ) from None
            current = self._current(mapping, claimed.other)
            raise AlreadyExistsError(
                f"the {claimed.other} record is already mapped", current=current
            ) from None
        return stored

    def link_mapping(self, mapping: Mapping) -> Mapping:
        if mapping.status is not MappingStatus.LINKED:
            raise ValueError("link_mapping writes a linked mapping")
        stored = mapping.model_copy(update={"version": 1, "updated_at": self._clock()})
        try:
            self._table.transact(
                [self._table.put_action(mapping_item(stored, side), ABSENT) for side in Side]
            )
        except TransactionFailed as err:
            side = Side.CRM if err.failed_at(0) else Side.INVENTORY
            current = self._current(mapping, side)
            raise AlreadyExistsError(f"the {side} record is already mapped", current=current) from None
        return stored

    def update_mapping(self, mapping: Mapping) -> Mapping:
        stored = mapping.model_copy(update={"version": mapping.version + 1, "updated_at": self._clock()})
        sides = sides_of(mapping)
        try:
            self._table.transact(
                [
                    self._table.put_action(mapping_item(stored, side), at_version(mapping.version))
                    for side in sides
                ]
            )
        except TransactionFailed as err:
            failed = next(side for index, side in enumerate(sides) if err.failed_at(index))
            current = self._current(mapping, failed)
            if current is None:
                raise NotFoundError(f"no mapping for the {failed} record") from None
            raise ConflictError("the mapping changed since it was read", current=current.version) from None
        return stored

    def abandon_claim(self, claim: Mapping) -> None:
        still_claimed = Condition(
            "#status = :pending AND #version = :version",
            {"#status": "status", "#version": "version"},
            {":pending": MappingStatus.PENDING.value, ":version": claim.version},
        )
        if claim.claim_side is None:
            raise ValueError("a claim is a pending mapping")
        try:
            self._table.update(
                mapping_key(claim, claim.claim_side),
                "REMOVE #updated",
                {"#updated": "updated_at"},
                {},
                still_claimed,
            )
        except ConditionFailed:
            pass  # completed, released or taken over meanwhile: nothing of this attempt is left

    def delete_mapping(self, mapping: Mapping) -> None:
        self._table.transact(
            [self._table.delete_action(mapping_key(mapping, side)) for side in sides_of(mapping)]
        )

    def _current(self, mapping: Mapping, side: Side) -> Mapping | None:
        """What the store holds now for the record `mapping` names on `side`."""
        return self._mapping_at(mapping_key(mapping, side))

    def _mapping_at(self, key: dict[str, str]) -> Mapping | None:
        item = self._table.get(key)
        return decode(item, Mapping, JSON_FIELDS) if item else None
