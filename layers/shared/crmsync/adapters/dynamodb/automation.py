"""Deal links (W3, A5), trigger claims (exactly-once automation) and the deal catch-up watermark."""

from __future__ import annotations

from itertools import batched

from crmsync.adapters.dynamodb import keys
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.batching import WRITE_CHUNK
from crmsync.adapters.dynamodb.codec import decode, encode
from crmsync.adapters.dynamodb.pagination import Listing
from crmsync.adapters.dynamodb.table import ABSENT, Condition, ConditionFailed
from crmsync.domain.automation import DealLink, DealWatermark, TriggerClaim
from crmsync.domain.errors import AlreadyExistsError, ConflictError, NotFoundError
from crmsync.domain.models import format_timestamp

HAND_MADE = Condition(
    "attribute_not_exists(pk) OR #trigger_made = :false", {"#trigger_made": "trigger_made"}, {":false": False}
)
EXISTING_HAND_MADE = Condition(
    "attribute_exists(pk) AND #trigger_made = :false", {"#trigger_made": "trigger_made"}, {":false": False}
)


def claim_key(claim: TriggerClaim) -> dict[str, str]:
    return keys.trigger_claim(claim.integration_id, claim.source_id, claim.action, claim.generation)


class AutomationArea(StoreBase):
    # ------------------------------------------------------------ deal links
    def save_deal_link(self, link: DealLink) -> DealLink:
        key = keys.deal_link(link.integration_id, link.transaction_kind, link.transaction_id)
        index = keys.deal_link_gsi1(
            link.integration_id, link.deal_id, link.transaction_kind, link.transaction_id
        )
        try:
            self._table.put(encode(link, {**key, **index}), HAND_MADE)
        except ConditionFailed as err:
            current = decode(err.item, DealLink) if err.item else None
            raise ConflictError("a trigger made this link; it cannot change", current=current) from None
        return link

    def get_deal_link(
        self, integration_id: str, transaction_kind: str, transaction_id: str
    ) -> DealLink | None:
        item = self._table.get(keys.deal_link(integration_id, transaction_kind, transaction_id))
        return decode(item, DealLink) if item else None

    def list_deal_links(self, integration_id: str, deal_id: str) -> list[DealLink]:
        listing = Listing(keys.deal_links_partition(integration_id, deal_id), index="gsi1")
        return [decode(item, DealLink) for item in self._table.query_all(listing)]

    def delete_deal_link(self, integration_id: str, transaction_kind: str, transaction_id: str) -> None:
        try:
            self._table.delete(
                keys.deal_link(integration_id, transaction_kind, transaction_id), EXISTING_HAND_MADE
            )
        except ConditionFailed as err:
            if err.item is None:
                raise NotFoundError("the transaction is not associated with a deal") from None
            raise ConflictError(
                "a trigger made this link; it cannot be dissociated", current=decode(err.item, DealLink)
            ) from None

    def remove_deal_links(self, integration_id: str) -> int:
        listing = Listing(keys.integration_partition(integration_id), keys.DEAL_LINK_PREFIX)
        removed = 0
        for chunk in batched(self._table.query_all(listing, keys_only=True), WRITE_CHUNK):
            removed += self._table.batch_delete(chunk)
        return removed

    # ------------------------------------------------------------ trigger claims
    def claim_trigger(self, claim: TriggerClaim) -> TriggerClaim:
        stored = claim.model_copy(update={"version": 1, "updated_at": self._clock()})
        try:
            self._table.put(encode(stored, claim_key(stored)), ABSENT)
        except ConditionFailed as err:
            current = decode(err.item, TriggerClaim) if err.item else None
            raise AlreadyExistsError("the action is already claimed", current=current) from None
        return stored

    def save_trigger_claim(self, claim: TriggerClaim) -> TriggerClaim:
        stored = claim.model_copy(update={"version": claim.version + 1, "updated_at": self._clock()})
        at_version = Condition("#version = :version", {"#version": "version"}, {":version": claim.version})
        try:
            self._table.put(encode(stored, claim_key(stored)), at_version)
        except ConditionFailed as err:
            current = decode(err.item, TriggerClaim) if err.item else None
            raise ConflictError("the claim changed since it was read", current=current) from None
        return stored

    def list_trigger_claims(self, integration_id: str, source_id: str) -> list[TriggerClaim]:
        listing = Listing(keys.integration_partition(integration_id), keys.trigger_prefix(source_id))
        return [decode(item, TriggerClaim) for item in self._table.query_all(listing)]

    # ------------------------------------------------------------ deal watermark
    def get_deal_watermark(self, integration_id: str) -> DealWatermark | None:
        item = self._table.get(keys.deal_watermark(integration_id))
        return decode(item, DealWatermark) if item else None

    def save_deal_watermark(self, watermark: DealWatermark) -> bool:
        not_later = Condition(
            "attribute_not_exists(pk) OR #position <= :position",
            {"#position": "position"},
            {":position": format_timestamp(watermark.position)},
        )
        try:
            self._table.put(encode(watermark, keys.deal_watermark(watermark.integration_id)), not_later)
        except ConditionFailed:
            return False
        return True
