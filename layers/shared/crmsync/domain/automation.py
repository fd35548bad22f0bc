"""Deal-stage automation and deal links (A1-A5, W3, T1): pure models and rules, no I/O.

- Won and lost come from the Deals `Stage` picklist's settings, never from stage names:
  the value's `deal_category` ("Closed Won" / "Closed Lost" / "Open") decides; where the CRM
  gives no category, probability 100 is won and 0 is lost.
- A `TriggerClaim` is the exactly-once guard of one document-making action: written with a
  conditional put keyed by (integration, source record, action, generation) before the vendor
  call, completed with the document's id after it.
- A `DealLink` associates an inventory transaction with a CRM deal; a trigger-made link is final.
- Which trigger actions a deal event asks for (`trigger_actions`), and when a lost deal's invoice
  must stay (`void_refusal`: sent is final, payments block voiding).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from crmsync.domain.models import (
    AutomationPreferences,
    DealCreatedAction,
    DealLostAction,
    DealWonAction,
    DomainModel,
    Timestamp,
)

WON_CATEGORY = "closed won"
LOST_CATEGORY = "closed lost"
OPEN_CATEGORY = "open"


class StageOutcome(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class StageRule(DomainModel):
    """What the CRM's field settings say about one `Stage` picklist value."""

    value: str
    probability: float | None = None
    deal_category: str | None = None

    @property
    def outcome(self) -> StageOutcome:
        category = (self.deal_category or "").strip().lower()
        if category == WON_CATEGORY:
            return StageOutcome.WON
        if category == LOST_CATEGORY:
            return StageOutcome.LOST
        if category == OPEN_CATEGORY:
            return StageOutcome.OPEN
        if self.probability == 100:
            return StageOutcome.WON
        if self.probability == 0:
            return StageOutcome.LOST
        return StageOutcome.OPEN


class StageRules(DomainModel):
    """The `Stage` picklist of one CRM organization, by actual value."""

    rules: dict[str, StageRule] = Field(default_factory=dict)

    @classmethod
    def of(cls, rules: Iterable[StageRule]) -> StageRules:
        return cls(rules={rule.value: rule for rule in rules})

    def outcome(self, stage: str) -> StageOutcome | None:
        """None for a stage value the settings do not know (the caller re-reads them once)."""
        rule = self.rules.get(stage)
        return rule.outcome if rule else None


# ------------------------------------------------------------------ transaction kinds
class TransactionType(StrEnum):
    """Transaction types of the public API (W3 routes and CRM-side listings)."""

    QUOTES = "quotes"
    SALES_ORDERS = "sales_orders"
    INVOICES = "invoices"
    EXPENSES = "expenses"
    PURCHASE_ORDERS = "purchase_orders"

    @property
    def inventory_kind(self) -> str:
        return INVENTORY_KINDS[self]


INVENTORY_KINDS = {
    TransactionType.QUOTES: "estimates",
    TransactionType.SALES_ORDERS: "salesorders",
    TransactionType.INVOICES: "invoices",
    TransactionType.EXPENSES: "expenses",
    TransactionType.PURCHASE_ORDERS: "purchaseorders",
}
TYPE_OF_KIND = {kind: kind_type for kind_type, kind in INVENTORY_KINDS.items()}
NUMBER_KEYS = {
    "estimates": "estimate_number",
    "salesorders": "salesorder_number",
    "invoices": "invoice_number",
    "purchaseorders": "purchaseorder_number",
}
LINKABLE = (
    TransactionType.QUOTES,
    TransactionType.SALES_ORDERS,
    TransactionType.INVOICES,
    TransactionType.EXPENSES,
)


# ------------------------------------------------------------------ claims and links
class TriggerAction(StrEnum):
    CREATE_QUOTE = "create_quote"
    CREATE_INVOICE = "create_invoice"
    VOID_INVOICE = "void_invoice"
    CRM_TRANSACTION = "crm_transaction"  # a CRM-native quote, sales order or purchase order copied over


class ClaimStatus(StrEnum):
    PENDING = "pending"  # claimed; the vendor call may or may not have happened
    DONE = "done"  # the document exists (transaction_id) or the void went through
    SKIPPED = "skipped"  # deliberately not done (e.g. A3: the invoice was sent); final
    FAILED = "failed"  # a permanent refusal; a later run may claim it again


class TriggerClaim(DomainModel):
    """The exactly-once record of one trigger action on one source record (a deal or a CRM transaction).

    `generation` counts the deal's wins that each got their own invoice (won again after the
    trigger voided the previous one). `version` counts stored writes (optimistic lock).
    """

    integration_id: str
    source_id: str
    action: TriggerAction
    generation: int = Field(default=1, ge=1)
    status: ClaimStatus = ClaimStatus.PENDING
    reference_number: str | None = None
    transaction_kind: str | None = None
    transaction_id: str | None = None
    transaction_number: str | None = None
    reason: str | None = None
    claimed_at: Timestamp
    updated_at: Timestamp | None = None
    version: int = 0


class DealLink(DomainModel):
    """An inventory transaction associated with a CRM deal (W3, A5)."""

    integration_id: str
    transaction_kind: str  # the inventory kind: estimates, salesorders, invoices, expenses, purchaseorders
    transaction_id: str
    deal_id: str
    deal_name: str | None = None
    trigger_made: bool = False
    linked_at: Timestamp


class DealWatermark(DomainModel):
    """How far the scheduled catch-up has read the CRM's Deals: the newest `Modified_Time` seen and
    the deals seen at exactly that time (so a re-read from it skips them, however the CRM rounds)."""

    integration_id: str
    position: Timestamp
    seen_ids: tuple[str, ...] = ()


# ------------------------------------------------------------------ reference numbers
def invoice_reference(deal_id: str, generation: int) -> str:
    """The inventory `reference_number` of the invoice the trigger makes for a deal's nth win."""
    return f"CRM-DEAL-{deal_id}-INV-{generation}"


def quote_reference(deal_id: str) -> str:
    return f"CRM-DEAL-{deal_id}-QUOTE"


def crm_transaction_reference(crm_module: str, record_id: str) -> str:
    """The reference number of the inventory copy of a CRM-native quote, sales order or purchase order."""
    return f"CRM-{crm_module.upper().replace('_', '')}-{record_id}"


# ------------------------------------------------------------------ the deal and its documents
@dataclass(frozen=True)
class Deal:
    """A CRM deal as the triggers read it (the CRM adapter parses the wire format)."""

    id: str
    name: str
    stage: str
    amount: float
    description: str
    owner_name: str | None
    account_id: str | None
    contact_id: str | None

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


@dataclass(frozen=True)
class DealChange:
    """A deal the catch-up found changed: when it was modified and when it was created."""

    id: str
    modified: datetime | None
    created: datetime | None


# ------------------------------------------------------------------ deciding a trigger
def automation_wanted(prefs: AutomationPreferences) -> bool:
    return (
        prefs.on_deal_created is not DealCreatedAction.NONE
        or prefs.on_deal_won is not DealWonAction.NONE
        or prefs.on_deal_lost is not DealLostAction.NONE
    )


def trigger_actions(
    prefs: AutomationPreferences, outcome: StageOutcome | None, *, created: bool
) -> list[TriggerAction]:
    """The actions a deal event asks for, in order: a quote on create, an invoice on won, a void on lost."""
    actions = []
    if created and prefs.on_deal_created is DealCreatedAction.CREATE_QUOTE:
        actions.append(TriggerAction.CREATE_QUOTE)
    if outcome is StageOutcome.WON and prefs.on_deal_won is DealWonAction.CREATE_INVOICE:
        actions.append(TriggerAction.CREATE_INVOICE)
    if outcome is StageOutcome.LOST and prefs.on_deal_lost is DealLostAction.VOID_INVOICE:
        actions.append(TriggerAction.VOID_INVOICE)
    return actions


def stage_matters(prefs: AutomationPreferences) -> bool:
    """Whether an unknown stage is worth an activity entry: only when won or lost would act."""
    return prefs.on_deal_won is not DealWonAction.NONE or prefs.on_deal_lost is not DealLostAction.NONE


def invoice_generation(claims: Sequence[TriggerClaim]) -> int:
    """The generation of the invoice a win makes: a new one after the trigger voided the latest win's."""
    invoices = [c for c in claims if c.action is TriggerAction.CREATE_INVOICE]
    generation = invoices[-1].generation if invoices else 1
    latest_voided = any(
        c.action is TriggerAction.VOID_INVOICE and c.generation == generation and c.status is ClaimStatus.DONE
        for c in claims
    )
    if invoices and invoices[-1].status is ClaimStatus.DONE and latest_voided:
        generation += 1
    return generation


# ------------------------------------------------------------------ a lost deal's invoice
SENT_STATUSES = frozenset({"sent", "overdue", "viewed", "unpaid"})
PAID_STATUSES = frozenset({"paid", "partially_paid"})
VOID_STATUS = "void"


@dataclass(frozen=True)
class InvoiceStanding:
    """What decides whether an invoice may still be voided: its status and the payments on it."""

    status: str
    payments: float

    @property
    def void(self) -> bool:
        return self.status == VOID_STATUS


def void_refusal(standing: InvoiceStanding, number: str | None) -> str | None:
    """Why a lost deal's invoice stays (A3), or None when it may be voided."""
    if standing.status in SENT_STATUSES:
        return f"invoice {number} was sent; sent is final (A3)"
    if standing.status in PAID_STATUSES or standing.payments > 0:
        return f"invoice {number} has payments"
    return None
