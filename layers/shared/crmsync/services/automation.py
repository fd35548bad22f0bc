"""Deal-stage automation (A1-A5): a quote when a deal is created, an invoice when it is won, the
invoice voided when it is lost; and the scheduled catch-up of lost notifications.

Each run re-reads the deal (notifications carry ids only) and decides won or lost from the
CRM's `Stage` picklist settings (`crmsync.domain.automation.StageRule`), cached per integration
in the container and read again once when the deal's stage is not in the cache.

Exactly once, however often a notification arrives and wherever a worker dies:
- before creating a document the run writes a `TriggerClaim` (conditional put keyed by
  integration, deal, action and generation) carrying the document's deterministic
  `reference_number` (`invoice_reference`, `quote_reference`);
- a claim already done means the document exists: nothing more happens;
- a pending claim (a worker died, or is still working) is resolved by searching inventory for
  its reference number: found, the claim is completed with it; not found and younger than
  `CLAIM_LEASE`, the run is retried later; older, the run takes the claim over and creates;
- a retryable vendor failure releases the claim (status failed) so that the retry searches
  by reference number before creating again.

Choices:
- **Won again after lost: a new invoice.** When the trigger voided the invoice of the deal's
  latest win, the next win is a new generation with its own invoice and reference number
  (`CRM-DEAL-{deal_id}-INV-{generation}`). If the invoice was not voided (sent, paid, or lost
  voiding is off), winning again adds nothing: the deal still has its live invoice.
- **Lost** voids only the invoice the trigger made for the latest win, and only while it is a
  draft: sent (or later) is final (A3), and payments block voiding.
- **Activity log (A4)**: an entry for every run in which a trigger fired and did something,
  or deliberately did not (A2 no account/contact, A3 sent, payments, unknown stage, failures).
  Runs that find their work already done (duplicate deliveries, the catch-up re-reading a deal)
  and lost deals without a trigger-made invoice are only logged, so the audit trail is not
  flooded with repeats.
- A paused, disabled or deleted integration drops deal events; a secondary integration never
  automates (logged as skipped). The catch-up covers an integration again once it is active.
- The catch-up re-reads Deals modified since its watermark (first run: since the integration
  was last saved, at most `FIRST_LOOKBACK` ago) and queues them like notifications; deals
  created since the watermark count as created.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crmsync.contracts.queues import DealEventMessage
from crmsync.domain.automation import (
    NUMBER_KEYS,
    ClaimStatus,
    DealLink,
    DealWatermark,
    StageOutcome,
    StageRule,
    StageRules,
    TriggerAction,
    TriggerClaim,
    invoice_reference,
    quote_reference,
)
from crmsync.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    CrmsyncError,
    NotFoundError,
    UnavailableError,
)
from crmsync.domain.models import (
    ActivityEntry,
    CrmSource,
    DealCreatedAction,
    DealLostAction,
    DealWonAction,
    Integration,
    IntegrationState,
    Mapping,
    Module,
    Role,
    Side,
    time_sortable_id,
)
from crmsync.observability import bind, logger, metrics
from crmsync.ports.crm import CrmPort, CrmRecord
from crmsync.ports.errors import NotFound, Unavailable, ValidationFailed, VendorError
from crmsync.ports.inventory import InventoryPort, InventoryRecord, TransactionQuery

CLAIM_LEASE = timedelta(seconds=90)  # longer than the trigger function's 60 s timeout
FIRST_LOOKBACK = timedelta(hours=3)
WATERMARK_OVERLAP = timedelta(seconds=1)
DROPPED_STATES = {
    IntegrationState.PAUSED,
    IntegrationState.DISABLED,
    IntegrationState.DELETING,
    IntegrationState.DELETED,
}
SENT_STATUSES = {"sent", "overdue", "viewed", "unpaid"}
PAID_STATUSES = {"paid", "partially_paid"}
ALREADY_IN_STATUS = "1055"  # inventory: the document already has that status
ACTIVITY_KIND = "deal_trigger"
CATCH_UP_FIELDS = ["Modified_Time", "Created_Time"]
RECOVERED = "found by its reference number after an interrupted run"


class ClaimInProgress(UnavailableError):
    """Another run holds the claim and its document is not in inventory yet: retry later."""


class SkipTrigger(CrmsyncError):
    """The trigger deliberately does nothing for this deal; the reason goes to the activity log."""


# ------------------------------------------------------------------ the deal
@dataclass(frozen=True)
class Deal:
    id: str
    name: str
    stage: str
    amount: float
    description: str
    owner_name: str | None
    account_id: str | None
    contact_id: str | None

    @classmethod
    def of(cls, record: CrmRecord) -> Deal:
        values = record.values
        return cls(
            id=record.id,
            name=str(values.get("Deal_Name") or ""),
            stage=str(values.get("Stage") or ""),
            amount=float(values.get("Amount") or 0),
            description=str(values.get("Description") or ""),
            owner_name=_lookup(values.get("Owner"), "name"),
            account_id=_lookup(values.get("Account_Name"), "id"),
            contact_id=_lookup(values.get("Contact_Name"), "id"),
        )

    def document(self, customer_id: str, reference: str) -> dict[str, Any]:
        """A1's mapping: customer (name and address come with the inventory customer), sales person
        from the deal owner, one line named after the deal with its description and amount."""
        values: dict[str, Any] = {
            "customer_id": customer_id,
            "reference_number": reference,
            "line_items": [
                {"name": self.name, "description": self.description, "rate": self.amount, "quantity": 1}
            ],
            "zcrm_potential_id": self.id,
            "zcrm_potential_name": self.name,
        }
        if self.owner_name:
            values["salesperson_name"] = self.owner_name
        return values


def _lookup(value: Any, key: str) -> str | None:
    return str(value[key]) if isinstance(value, dict) and value.get(key) else None


# ------------------------------------------------------------------ stage settings cache
_stage_cache: weakref.WeakKeyDictionary[Any, dict[str, StageRules]] = weakref.WeakKeyDictionary()


def read_stage_rules(crm: CrmPort) -> StageRules:
    """The Deals `Stage` picklist: probability and deal category of every value."""
    stage = next((f for f in crm.list_fields("Deals") if f.api_name == "Stage"), None)
    values = stage.pick_list_values if stage else []
    return StageRules.of(
        StageRule(
            value=v.actual_value, probability=v.probability, deal_category=v.deal_category or v.forecast_type
        )
        for v in values
    )


def stage_outcome(container, integration_id: str, crm: CrmPort, stage: str) -> StageOutcome | None:
    """Won, lost or open from the cached settings; a stage the cache does not know re-reads them once."""
    cache = _stage_cache.setdefault(container, {})
    rules = cache.get(integration_id)
    outcome = rules.outcome(stage) if rules else None
    if outcome is None:
        cache[integration_id] = rules = read_stage_rules(crm)
        outcome = rules.outcome(stage)
    return outcome


# ------------------------------------------------------------------ one run
def handle_deal_event(container, message: DealEventMessage) -> None:
    bind(integration_id=message.integration_id)
    integration = container.store.get_integration(message.integration_id)
    if integration is None or integration.state in DROPPED_STATES:
        logger.info(
            "deal event dropped",
            extra={"reason": "integration missing or not active", "deal_id": message.deal_id},
        )
        return
    bind(tenant_id=integration.tenant_id)
    prefs = integration.automation
    wanted = (
        prefs.on_deal_created is not DealCreatedAction.NONE
        or prefs.on_deal_won is not DealWonAction.NONE
        or prefs.on_deal_lost is not DealLostAction.NONE
    )
    if not wanted or message.operation == "delete":
        logger.info(
            "deal event needs no automation",
            extra={"deal_id": message.deal_id, "operation": message.operation},
        )
        return
    run = TriggerRun(container, integration, message.deal_id)
    if integration.role is Role.SECONDARY:
        run.record(None, "none", "skipped", "a secondary integration does not automate deals")
        return
    run.execute(created=message.operation == "insert")


class TriggerRun:
    """One deal, re-read, against the integration's automation preferences."""

    def __init__(self, container, integration: Integration, deal_id: str):
        self.container = container
        self.store = container.store
        self.integration = integration
        self.deal_id = deal_id
        self.clients = container.vendor_clients(integration)

    @property
    def inventory(self) -> InventoryPort:
        return self.clients.inventory

    def execute(self, *, created: bool) -> None:
        try:
            self.run(created=created)
        except VendorError as exc:
            if exc.retryable:
                raise
            self.record(None, "none", "failed", f"{exc.system} refused: {exc.message}")

    def run(self, *, created: bool) -> None:
        try:
            deal = Deal.of(self.clients.crm.get_record("Deals", self.deal_id))
        except NotFound:
            logger.info("deal is gone; nothing to automate", extra={"deal_id": self.deal_id})
            return
        outcome = stage_outcome(self.container, self.integration.integration_id, self.clients.crm, deal.stage)
        prefs = self.integration.automation
        steps: list[tuple[str, Callable[[Deal], None]]] = []
        if created and prefs.on_deal_created is DealCreatedAction.CREATE_QUOTE:
            steps.append((TriggerAction.CREATE_QUOTE, self.create_quote))
        if outcome is StageOutcome.WON and prefs.on_deal_won is DealWonAction.CREATE_INVOICE:
            steps.append((TriggerAction.CREATE_INVOICE, self.create_invoice))
        if outcome is StageOutcome.LOST and prefs.on_deal_lost is DealLostAction.VOID_INVOICE:
            steps.append((TriggerAction.VOID_INVOICE, self.void_invoice))
        if outcome is None and (
            prefs.on_deal_won is not DealWonAction.NONE or prefs.on_deal_lost is not DealLostAction.NONE
        ):
            self.record(deal, "none", "skipped", f"stage {deal.stage!r} is not in the CRM's Stage settings")
        for action, step in steps:
            try:
                step(deal)
            except SkipTrigger as skip:
                self.record(deal, action, "skipped", str(skip))
            except NotFoundError as gone:  # the deal's account or contact vanished before its import
                self.record(deal, action, "skipped", str(gone))
            except VendorError as exc:
                if exc.retryable:
                    raise
                self.record(deal, action, "failed", f"{exc.system} refused: {exc.message}")

    # -------------------------------------------------------------- A1 quote and invoice
    def create_quote(self, deal: Deal) -> None:
        reference = quote_reference(deal.id)
        claim = self.create_once(deal, TriggerAction.CREATE_QUOTE, 1, "estimates", reference)
        if claim:
            self.record(deal, TriggerAction.CREATE_QUOTE, "created", claim.reason, claim)

    def create_invoice(self, deal: Deal) -> None:
        claims = self.claims(deal.id)
        invoices = [c for c in claims if c.action is TriggerAction.CREATE_INVOICE]
        generation = invoices[-1].generation if invoices else 1
        latest_voided = any(
            c.action is TriggerAction.VOID_INVOICE
            and c.generation == generation
            and c.status is ClaimStatus.DONE
            for c in claims
        )
        if invoices and invoices[-1].status is ClaimStatus.DONE and latest_voided:
            generation += 1  # won again after the trigger voided the previous win's invoice
        claim = self.create_once(
            deal, TriggerAction.CREATE_INVOICE, generation, "invoices", invoice_reference(deal.id, generation)
        )
        if claim:
            self.record(deal, TriggerAction.CREATE_INVOICE, "created", claim.reason, claim)

    def create_once(
        self, deal: Deal, action: TriggerAction, generation: int, kind: str, reference: str
    ) -> TriggerClaim | None:
        """The done claim of the document this run created (or recovered); None when it existed already."""
        existing = next(
            (c for c in self.claims(deal.id) if c.action is action and c.generation == generation), None
        )
        if existing and existing.status in (ClaimStatus.DONE, ClaimStatus.SKIPPED):
            logger.info("trigger already done", extra={"deal_id": deal.id, "action": str(action)})
            return None
        values = deal.document(self.customer_id(deal), reference)
        once = CreateOnce(
            self.store,
            self.inventory,
            self.integration.integration_id,
            LinkTo(deal.id, deal.name, trigger_made=True),
        )
        return once.create(deal.id, action, generation, kind, values)

    def customer_id(self, deal: Deal) -> str:
        """A2: the deal's account (Accounts, Accounts and contacts) or contact (Contacts) as an inventory
        customer, imported first when it is not mapped yet."""
        preferences = self.store.get_module(self.integration.integration_id, Module.CUSTOMERS)
        if preferences is None or preferences.version == 0:
            raise SkipTrigger("the customers module is not configured yet")
        source = preferences.settings.crm_source or CrmSource.ACCOUNTS
        if source is CrmSource.CONTACTS:
            crm_module, crm_id = "Contacts", deal.contact_id
            if not crm_id:
                raise SkipTrigger(
                    "the deal has no contact; with Contacts as the customer source the trigger needs one"
                )
        else:
            crm_module, crm_id = "Accounts", deal.account_id
            if not crm_id:
                raise SkipTrigger(
                    "the deal has no account; with Accounts as the customer source the trigger needs one"
                )
        return customer_for(self.container, self.integration, crm_module, crm_id)

    # -------------------------------------------------------------- A3 lost: void
    def void_invoice(self, deal: Deal) -> None:
        claims = self.claims(deal.id)
        invoices = [c for c in claims if c.action is TriggerAction.CREATE_INVOICE]
        if not invoices or invoices[-1].status in (ClaimStatus.FAILED, ClaimStatus.SKIPPED):
            logger.info("deal lost without a trigger-made invoice", extra={"deal_id": deal.id})
            return
        invoice = invoices[-1]
        if invoice.status is ClaimStatus.PENDING:
            invoice = self.settle_pending(deal, invoice)
            if invoice is None:
                return
        previous = next(
            (
                c
                for c in claims
                if c.action is TriggerAction.VOID_INVOICE and c.generation == invoice.generation
            ),
            None,
        )
        if previous and previous.status in (ClaimStatus.DONE, ClaimStatus.SKIPPED):
            logger.info("lost already handled", extra={"deal_id": deal.id, "generation": invoice.generation})
            return
        record = self.inventory.get_transaction("invoices", invoice.transaction_id)
        status = str(record.values.get("status") or "")
        reason = None
        if status in SENT_STATUSES:
            reason = f"invoice {invoice.transaction_number} was sent; sent is final (A3)"
        elif status in PAID_STATUSES or float(record.values.get("payment_made") or 0) > 0:
            reason = f"invoice {invoice.transaction_number} has payments"
        claim = previous or self.take_void_claim(invoice)
        if reason is None and status != "void":
            reason = self.set_void(invoice)
        if reason:
            self.store.save_trigger_claim(
                claim.model_copy(update={"status": ClaimStatus.SKIPPED, "reason": reason})
            )
            raise SkipTrigger(reason)
        done = self.store.save_trigger_claim(
            claim.model_copy(
                update={
                    "status": ClaimStatus.DONE,
                    "transaction_id": invoice.transaction_id,
                    "transaction_number": invoice.transaction_number,
                }
            )
        )
        self.record(
            deal,
            TriggerAction.VOID_INVOICE,
            "voided",
            None if status != "void" else "it was void already",
            done,
        )

    def settle_pending(self, deal: Deal, invoice: TriggerClaim) -> TriggerClaim | None:
        """The invoice of an interrupted run, found by its reference number; None when it was never made."""
        once = CreateOnce(
            self.store,
            self.inventory,
            self.integration.integration_id,
            LinkTo(deal.id, deal.name, trigger_made=True),
        )
        found = find_by_reference(self.inventory, "invoices", invoice.reference_number or "")
        if found is not None:
            return once.complete(invoice, found, "invoices", reason=RECOVERED)
        if datetime.now(UTC) - invoice.claimed_at < CLAIM_LEASE:
            raise ClaimInProgress(f"the invoice of deal {deal.id} may still be being created")
        logger.info("deal lost; its invoice was never created", extra={"deal_id": deal.id})
        return None

    def take_void_claim(self, invoice: TriggerClaim) -> TriggerClaim:
        """Voiding is idempotent in inventory, so a claim held by another run is simply shared."""
        claim = TriggerClaim(
            integration_id=invoice.integration_id,
            source_id=invoice.source_id,
            action=TriggerAction.VOID_INVOICE,
            generation=invoice.generation,
            transaction_kind="invoices",
            transaction_id=invoice.transaction_id,
            claimed_at=datetime.now(UTC),
        )
        try:
            return self.store.claim_trigger(claim)
        except AlreadyExistsError as taken:
            return taken.current

    def set_void(self, invoice: TriggerClaim) -> str | None:
        """Void the invoice; the reason it stays when inventory refuses because it changed meanwhile."""
        try:
            self.inventory.set_transaction_status("invoices", invoice.transaction_id, "void")
        except ValidationFailed as exc:
            if exc.code == ALREADY_IN_STATUS:
                return None
            return f"inventory refused to void invoice {invoice.transaction_number}: {exc.message}"
        return None

    # -------------------------------------------------------------- plumbing
    def claims(self, source_id: str) -> list[TriggerClaim]:
        return self.store.list_trigger_claims(self.integration.integration_id, source_id)

    def record(
        self,
        deal: Deal | None,
        action: str,
        result: str,
        reason: str | None,
        claim: TriggerClaim | None = None,
    ) -> None:
        """A4: deal, stage, action, result, reason and time in the activity log."""
        now = datetime.now(UTC)
        details: dict[str, Any] = {"deal_id": self.deal_id, "action": str(action)}
        if deal:
            details |= {"deal_name": deal.name, "stage": deal.stage}
        if claim:
            details |= {
                "transaction_kind": claim.transaction_kind,
                "transaction_id": claim.transaction_id,
                "transaction_number": claim.transaction_number,
                "generation": claim.generation,
                "reference_number": claim.reference_number,
            }
        self.store.add_activity(
            ActivityEntry(
                integration_id=self.integration.integration_id,
                entry_id=time_sortable_id(now),
                at=now,
                kind=ACTIVITY_KIND,
                result=result,
                reason=reason,
                details=details,
            )
        )
        logger.info(
            "deal trigger",
            extra={"action": str(action), "result": result, "reason": reason, "deal_id": self.deal_id},
        )


@dataclass(frozen=True)
class LinkTo:
    """The deal a created document is associated with (W3; A5 when trigger-made)."""

    deal_id: str
    deal_name: str | None
    trigger_made: bool


class CreateOnce:
    """Create an inventory document exactly once: claim, search by reference number, create, link, complete.

    Shared by the deal triggers and the CRM-side transactions (`crmsync.services.transactions`).
    """

    def __init__(self, store, inventory: InventoryPort, integration_id: str, link_to: LinkTo | None = None):
        self.store = store
        self.inventory = inventory
        self.integration_id = integration_id
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
        now = datetime.now(UTC)
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
        found = find_by_reference(self.inventory, kind, reference)
        if found is not None:
            return self.complete(held, found, kind, reason=RECOVERED)
        if held.status is ClaimStatus.PENDING and now - held.claimed_at < CLAIM_LEASE:
            raise ClaimInProgress(f"{action} of {source_id} is claimed by another run")
        try:
            return self.store.save_trigger_claim(
                held.model_copy(update={"status": ClaimStatus.PENDING, "claimed_at": now, "reason": None})
            )
        except ConflictError:
            raise ClaimInProgress(f"{action} of {source_id} was claimed by another run just now") from None

    def complete(
        self, claim: TriggerClaim, record: InventoryRecord, kind: str, reason: str | None = None
    ) -> TriggerClaim:
        """Link first, then mark the claim done: a run that dies between the two is completed by the next."""
        if self.link_to:
            link_deal(self.store, self.integration_id, self.link_to, kind, record.id)
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


def link_deal(store, integration_id: str, link_to: LinkTo, kind: str, transaction_id: str) -> None:
    """Associate an inventory document with its deal; a trigger's link (A5) is final, so re-linking it
    to the same deal is a no-op and to another deal a ConflictError."""
    link = DealLink(
        integration_id=integration_id,
        transaction_kind=kind,
        transaction_id=transaction_id,
        deal_id=link_to.deal_id,
        deal_name=link_to.deal_name,
        trigger_made=link_to.trigger_made,
        linked_at=datetime.now(UTC),
    )
    try:
        store.save_deal_link(link)
    except ConflictError as exc:
        if exc.current is None or exc.current.deal_id != link_to.deal_id:
            raise


def find_by_reference(inventory: InventoryPort, kind: str, reference: str) -> InventoryRecord | None:
    """The document with exactly this reference number (the list filter may match more loosely)."""
    for page in inventory.iter_transaction_pages(kind, TransactionQuery(reference_number=reference)):
        for record in page.records:
            if record.values.get("reference_number") == reference:
                return record
    return None


def customer_for(container, integration: Integration, crm_module: str, crm_id: str) -> str:
    """The inventory customer of a CRM account or contact, imported first when it is not mapped."""
    mapping = container.store.get_mapping(integration.integration_id, Module.CUSTOMERS, Side.CRM, crm_id)
    if not usable(mapping):
        from crmsync.services.sync.imports import import_crm_record  # the sync runtime loads only when needed

        mapping = import_crm_record(container, integration, crm_module, crm_id)
    return mapping.inventory_id


def usable(mapping: Mapping | None) -> bool:
    return bool(
        mapping and mapping.inventory_id and mapping.crm_id and mapping.tombstone_side is not Side.INVENTORY
    )


# ------------------------------------------------------------------ the scheduled catch-up
def automation_on(integration: Integration) -> bool:
    prefs = integration.automation
    return integration.role is Role.PRIMARY and (
        prefs.on_deal_created is not DealCreatedAction.NONE
        or prefs.on_deal_won is not DealWonAction.NONE
        or prefs.on_deal_lost is not DealLostAction.NONE
    )


def catch_up(container) -> int:
    """Queue every deal modified since the last check, so a lost notification is caught within one period."""
    queued = 0
    for integration in _active_integrations(container.store):
        if not automation_on(integration):
            continue
        bind(integration_id=integration.integration_id)
        try:
            queued += catch_up_integration(container, integration)
        except (CrmsyncError, VendorError):
            logger.exception("deal catch-up failed", extra={"integration_id": integration.integration_id})
    logger.info("deal catch-up queued", extra={"queued": queued})
    return queued


def catch_up_integration(container, integration: Integration) -> int:
    store, now = container.store, datetime.now(UTC)
    watermark = store.get_deal_watermark(integration.integration_id) or DealWatermark(
        integration_id=integration.integration_id, position=max(integration.updated_at, now - FIRST_LOOKBACK)
    )
    newest, seen, queued = watermark.position, set(watermark.seen_ids), 0
    crm = container.vendor_clients(integration).crm
    pages = crm.iter_record_pages(
        "Deals",
        CATCH_UP_FIELDS,
        modified_since=watermark.position - WATERMARK_OVERLAP,
        sort_by="Modified_Time",
        sort_order="asc",
    )
    for page in pages:
        for record in page.records:
            modified = record.modified_time
            if (
                modified is None
                or modified < watermark.position
                or (modified == watermark.position and record.id in watermark.seen_ids)
            ):
                continue
            created = _moment(record.values.get("Created_Time"))
            operation = "insert" if created is not None and created >= watermark.position else "update"
            container.automation_queue.send(
                DealEventMessage(
                    integration_id=integration.integration_id,
                    deal_id=record.id,
                    operation=operation,
                    server_time=int(modified.timestamp() * 1000),
                )
            )
            queued += 1
            if modified > newest:
                newest, seen = modified, {record.id}
            elif modified == newest:
                seen.add(record.id)
    store.save_deal_watermark(
        DealWatermark(
            integration_id=integration.integration_id, position=newest, seen_ids=tuple(sorted(seen))
        )
    )
    return queued


def _active_integrations(store) -> Iterator[Integration]:
    """Active integrations by the state index (one GetItem each: the scheduled function reads no batches)."""
    cursor = None
    while True:
        page = store.list_integration_ids(IntegrationState.ACTIVE, limit=100, cursor=cursor)
        for integration_id in page.items:
            if (integration := store.get_integration(integration_id)) is not None:
                yield integration
        if not (cursor := page.next_cursor):
            return


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
