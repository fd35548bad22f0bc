"""Create an inventory document exactly once, however often a run is retried and wherever a worker dies.

- before creating a document the run writes a `TriggerClaim` (conditional put keyed by
  integration, source record, action and generation) carrying the document's deterministic
  `reference_number`;
- a claim already done means the document exists: nothing more happens;
- a pending claim (a worker died, or is still working) is resolved by searching inventory for
  its reference number: found, the claim is completed with it; not found and younger than
  `CLAIM_LEASE`, the run is retried later; older, the run takes the claim over and creates;
- a retryable vendor failure releases the claim (status failed) so that the retry searches
  by reference number before creating again.

Shared by the deal triggers and the CRM-side transactions (`crmsync.services.transactions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from crmsync.domain.automation import NUMBER_KEYS, ClaimStatus, DealLink, TriggerAction, TriggerClaim
from crmsync.domain.errors import AlreadyExistsError, ConflictError, UnavailableError
from crmsync.observability import logger, metrics
from crmsync.ports.clock import Clock
from crmsync.ports.errors import Unavailable, VendorError
from crmsync.ports.inventory import InventoryPort, InventoryRecord
from crmsync.ports.store import Store

CLAIM_LEASE = timedelta(seconds=90)  # longer than the trigger function's 60 s timeout
RECOVERED = "found by its reference number after an interrupted run"


class ClaimInProgress(UnavailableError):
    """Another run holds the claim and its document is not in inventory yet: retry later."""


@dataclass(frozen=True)
class LinkTo:
    """The deal a created document is associated with (W3; A5 when trigger-made)."""

    deal_id: str
    deal_name: str | None
    trigger_made: bool


class CreateOnce:
    """Claim, search by reference number, create, link, complete."""

    def __init__(
        self,
        store: Store,
        inventory: InventoryPort,
        integration_id: str,
        clock: Clock,
        link_to: LinkTo | None = None,
    ):
        self.store = store
        self.inventory = inventory
        self.integration_id = integration_id
        self.clock = clock
        self.link_to = link_to

    def create(
        self, source_id: str, action: TriggerAction, generation: int, kind: str, values: dict[str, Any]
    ) -> TriggerClaim | None:
        """The done claim of the document made (or recovered) by this call; None when another run made it."""
        reference = values["reference_number"]
        claim = self.take_claim(source_id, action, generation, kind, reference)
        if claim is None or claim.status is ClaimStatus.DONE:
            return claim
        try:
            record = self.inventory.create_transaction(kind, values)
        except Unavailable as exc:
            self.release(claim, exc)  # it may have been created: the retry searches by reference number first
            raise UnavailableError(f"inventory did not confirm the {kind} create; retried later") from exc
        except VendorError as exc:
            self.release(claim, exc)
            raise
        return self.complete(claim, record, kind)

    def take_claim(
        self, source_id: str, action: TriggerAction, generation: int, kind: str, reference: str
    ) -> TriggerClaim | None:
        """A pending claim this call owns; a done one when an interrupted run's document turned up by its
        reference number; None when another run finished the work."""
        now = self.clock()
        fresh = TriggerClaim(
            integration_id=self.integration_id,
            source_id=source_id,
            action=action,
            generation=generation,
            reference_number=reference,
            transaction_kind=kind,
            claimed_at=now,
        )
        try:
            return self.store.claim_trigger(fresh)
        except AlreadyExistsError as taken:
            held: TriggerClaim = taken.current
        if held.status in (ClaimStatus.DONE, ClaimStatus.SKIPPED):
            return None
        found = self.inventory.find_transaction_by_reference(kind, reference)
        if found is not None:
            return self.complete(held, found, kind, reason=RECOVERED)
        if held.status is ClaimStatus.PENDING and self.leased(held):
            raise ClaimInProgress(f"{action} of {source_id} is claimed by another run")
        try:
            return self.store.save_trigger_claim(
                held.model_copy(update={"status": ClaimStatus.PENDING, "claimed_at": now, "reason": None})
            )
        except ConflictError:
            raise ClaimInProgress(f"{action} of {source_id} was claimed by another run just now") from None

    def leased(self, claim: TriggerClaim) -> bool:
        """Whether the run that took the claim may still be working on it."""
        return self.clock() - claim.claimed_at < CLAIM_LEASE

    def complete(
        self, claim: TriggerClaim, record: InventoryRecord, kind: str, reason: str | None = None
    ) -> TriggerClaim:
        """Link first, then mark the claim done: a run that dies between the two is completed by the next."""
        if self.link_to:
            link_deal(self.store, self.clock, self.integration_id, self.link_to, kind, record.id)
        number = record.values.get(NUMBER_KEYS.get(kind, ""))
        metrics.add_metric(name="AutomatedDocumentsCreated", unit="Count", value=1)
        return self.store.save_trigger_claim(
            claim.model_copy(
                update={
                    "status": ClaimStatus.DONE,
                    "transaction_id": record.id,
                    "transaction_number": number,
                    "reason": reason,
                }
            )
        )

    def release(self, claim: TriggerClaim, exc: VendorError) -> None:
        """After a failed create: the next run searches by reference number before creating again."""
        try:
            self.store.save_trigger_claim(
                claim.model_copy(update={"status": ClaimStatus.FAILED, "reason": exc.message[:500]})
            )
        except ConflictError:
            logger.warning("claim changed while its create failed", extra={"source_id": claim.source_id})


def link_deal(
    store: Store, clock: Clock, integration_id: str, link_to: LinkTo, kind: str, transaction_id: str
) -> None:
    """Associate an inventory document with its deal; a trigger's link (A5) is final, so re-linking it
    to the same deal is a no-op and to another deal a ConflictError."""
    link = DealLink(
        integration_id=integration_id,
        transaction_kind=kind,
        transaction_id=transaction_id,
        deal_id=link_to.deal_id,
        deal_name=link_to.deal_name,
        trigger_made=link_to.trigger_made,
        linked_at=clock(),
    )
    try:
        store.save_deal_link(link)
    except ConflictError as exc:
        if exc.current is None or exc.current.deal_id != link_to.deal_id:
            raise
