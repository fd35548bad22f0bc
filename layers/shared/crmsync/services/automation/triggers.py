"""One deal event against the integration's automation preferences (A1-A5).

The deal is re-read (notifications carry ids only); won or lost comes from the CRM's `Stage`
settings (`Deps.stage_rules`); the actions it asks for come from `trigger_actions`; each document is
made through `CreateOnce`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmsync.contracts.queues import DealEventMessage
from crmsync.domain.automation import (
    ClaimStatus,
    Deal,
    InvoiceStanding,
    TriggerAction,
    TriggerClaim,
    automation_wanted,
    invoice_generation,
    invoice_reference,
    quote_reference,
    stage_matters,
    trigger_actions,
    void_refusal,
)
from crmsync.domain.crm_modules import crm_module_of_kind
from crmsync.domain.errors import AlreadyExistsError, CrmsyncError, NotFoundError
from crmsync.domain.models import STOPPED_STATES, CrmSource, Integration, IntegrationState, Module, Role, Side
from crmsync.domain.sync.model import RecordKind
from crmsync.domain.sync_state import Mapping
from crmsync.observability import bind, logger, metrics
from crmsync.ports.errors import AuthorizationExpired, NotFound, ValidationFailed, VendorError
from crmsync.ports.inventory import InventoryPort
from crmsync.ports.vendors import VendorClients
from crmsync.services import reauthorization
from crmsync.services.activity import record_activity
from crmsync.services.automation.create_once import (
    RECOVERED,
    ClaimInProgress,
    CreateOnce,
    LinkTo,
)
from crmsync.services.deps import Deps

ACTIVITY_KIND = "deal_trigger"
DROPPED_STATES = STOPPED_STATES | {IntegrationState.PAUSED}


class SkipTrigger(CrmsyncError):
    """The trigger deliberately does nothing for this deal; the reason goes to the activity log."""


def handle_deal_event(deps: Deps, message: DealEventMessage) -> None:
    bind(integration_id=message.integration_id)
    integration = deps.store.get_integration(message.integration_id)
    if integration is None or integration.state in DROPPED_STATES:
        logger.info(
            "deal event dropped",
            extra={"reason": "integration missing or not active", "deal_id": message.deal_id},
        )
        return
    bind(tenant_id=integration.tenant_id)
    if integration.state is IntegrationState.REAUTHORIZE:
        reauthorization.hold_deal_event(deps, message)
        return
    if not automation_wanted(integration.automation) or message.operation == "delete":
        logger.info(
            "deal event needs no automation",
            extra={"deal_id": message.deal_id, "operation": message.operation},
        )
        return
    run = TriggerRun(deps, integration, message.deal_id)
    if integration.role is Role.SECONDARY:
        run.record(None, "none", "skipped", "a secondary integration does not automate deals")
        return
    try:
        run.execute(created=message.operation == "insert")
    except AuthorizationExpired as refused:  # kept until the integration is re-authorized
        reauthorization.needed(deps, integration.integration_id, refused)
        reauthorization.hold_deal_event(deps, message)
        return
    # The CRM's change (its notification's server_time) to the trigger done: the dashboard's latency.
    latency_ms = deps.clock().timestamp() * 1000 - message.server_time
    if latency_ms >= 0:
        metrics.add_metric(name="AutomationLatency", unit="Milliseconds", value=latency_ms)


class TriggerRun:
    """One deal, re-read, against the integration's automation preferences."""

    def __init__(self, deps: Deps, integration: Integration, deal_id: str):
        self.deps = deps
        self.store = deps.store
        self.integration = integration
        self.deal_id = deal_id
        self.clients: VendorClients = deps.vendors.for_integration(integration)

    @property
    def inventory(self) -> InventoryPort:
        return self.clients.inventory

    def execute(self, *, created: bool) -> None:
        try:
            self.run(created=created)
        except VendorError as exc:
            if exc.retryable or isinstance(exc, AuthorizationExpired):
                raise
            self.record(None, "none", "failed", f"{exc.system} refused: {exc.message}")

    def run(self, *, created: bool) -> None:
        try:
            deal = self.clients.crm.get_deal(self.deal_id)
        except NotFound:
            logger.info("deal is gone; nothing to automate", extra={"deal_id": self.deal_id})
            return
        outcome = self.deps.stage_rules.outcome(self.integration.integration_id, self.clients.crm, deal.stage)
        prefs = self.integration.automation
        steps: dict[TriggerAction, Callable[[Deal], None]] = {
            TriggerAction.CREATE_QUOTE: self.create_quote,
            TriggerAction.CREATE_INVOICE: self.create_invoice,
            TriggerAction.VOID_INVOICE: self.void_invoice,
        }
        if outcome is None and stage_matters(prefs):
            self.record(deal, "none", "skipped", f"stage {deal.stage!r} is not in the CRM's Stage settings")
        for action in trigger_actions(prefs, outcome, created=created):
            try:
                steps[action](deal)
            except SkipTrigger as skip:
                self.record(deal, action, "skipped", str(skip))
            except NotFoundError as gone:  # the deal's account or contact vanished before its import
                self.record(deal, action, "skipped", str(gone))
            except VendorError as exc:
                if exc.retryable or isinstance(exc, AuthorizationExpired):
                    raise
                self.record(deal, action, "failed", f"{exc.system} refused: {exc.message}")

    # -------------------------------------------------------------- A1 quote and invoice
    def create_quote(self, deal: Deal) -> None:
        claim = self.create_once(deal, TriggerAction.CREATE_QUOTE, 1, "estimates", quote_reference(deal.id))
        if claim:
            self.record(deal, TriggerAction.CREATE_QUOTE, "created", claim.reason, claim)

    def create_invoice(self, deal: Deal) -> None:
        generation = invoice_generation(self.claims(deal.id))
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
        return self.once(deal).create(deal.id, action, generation, kind, values)

    def once(self, deal: Deal) -> CreateOnce:
        return CreateOnce(
            self.store,
            self.inventory,
            self.integration.integration_id,
            self.deps.clock,
            LinkTo(deal.id, deal.name, trigger_made=True),
        )

    def customer_id(self, deal: Deal) -> str:
        """A2: the deal's account (Accounts, Accounts and contacts) or contact (Contacts) as an inventory
        customer, imported first when it is not mapped yet."""
        preferences = self.store.get_module(self.integration.integration_id, Module.CUSTOMERS)
        if preferences is None or preferences.version == 0:
            raise SkipTrigger("the customers module is not configured yet")
        source = preferences.settings.crm_source or CrmSource.ACCOUNTS
        kind = RecordKind.CONTACT if source is CrmSource.CONTACTS else RecordKind.ACCOUNT
        crm_id = deal.contact_id if kind is RecordKind.CONTACT else deal.account_id
        crm_module = crm_module_of_kind(kind).name
        if not crm_id:
            raise SkipTrigger(
                f"the deal has no {crm_module[:-1].lower()}; with {crm_module} as the customer source "
                "the trigger needs one"
            )
        return customer_for(self.deps, self.integration, crm_module, crm_id)

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
        standing: InvoiceStanding = self.inventory.get_invoice_standing(invoice.transaction_id)
        reason = void_refusal(standing, invoice.transaction_number)
        claim = previous or self.take_void_claim(invoice)
        if reason is None and not standing.void:
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
            "it was void already" if standing.void else None,
            done,
        )

    def settle_pending(self, deal: Deal, invoice: TriggerClaim) -> TriggerClaim | None:
        """The invoice of an interrupted run, found by its reference number; None when it was never made."""
        found = self.inventory.find_transaction_by_reference("invoices", invoice.reference_number or "")
        if found is not None:
            return self.once(deal).complete(invoice, found, "invoices", reason=RECOVERED)
        if self.once(deal).leased(invoice):
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
            claimed_at=self.deps.clock(),
        )
        try:
            return self.store.claim_trigger(claim)
        except AlreadyExistsError as taken:
            return taken.current

    def set_void(self, invoice: TriggerClaim) -> str | None:
        """Void the invoice; the reason it stays when inventory refuses because it changed meanwhile."""
        try:
            self.inventory.void_invoice(invoice.transaction_id)
        except ValidationFailed as exc:
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
        record_activity(
            self.store,
            self.deps.clock,
            self.integration.integration_id,
            ACTIVITY_KIND,
            result,
            reason=reason,
            details=details,
        )
        logger.info(
            "deal trigger",
            extra={"action": str(action), "result": result, "reason": reason, "deal_id": self.deal_id},
        )


def customer_for(deps: Deps, integration: Integration, crm_module: str, crm_id: str) -> str:
    """The inventory customer of a CRM account or contact, imported first when it is not mapped."""
    mapping = deps.store.get_mapping(integration.integration_id, Module.CUSTOMERS, Side.CRM, crm_id)
    if not usable(mapping):
        from crmsync.services.sync.imports import import_crm_record  # the sync runtime loads only when needed

        mapping = import_crm_record(deps, integration, crm_module, crm_id)
    return mapping.inventory_id


def usable(mapping: Mapping | None) -> bool:
    return bool(
        mapping and mapping.inventory_id and mapping.crm_id and mapping.tombstone_side is not Side.INVENTORY
    )
