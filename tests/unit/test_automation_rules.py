"""Pure rules of deal-stage automation: won and lost from the Stage settings, the settings cache,
the document a deal becomes, reference numbers, the automation queue's messages."""

from __future__ import annotations

import pytest

from crmsync.adapters.crm.wire import deal as deal_of
from crmsync.contracts.queues import AutomationQueueMessage, CrmTransactionEventMessage, DealEventMessage
from crmsync.domain.automation import (
    StageOutcome,
    StageRule,
    StageRules,
    crm_transaction_reference,
    invoice_reference,
    quote_reference,
)
from crmsync.ports.crm import CrmRecord
from crmsync.services.stage_rules import StageRuleCache


@pytest.mark.parametrize(
    "probability, category, outcome",
    [
        (100, "Closed Won", StageOutcome.WON),
        (0, "Closed Lost", StageOutcome.LOST),
        (90, "Closed Won", StageOutcome.WON),  # the category decides over the probability
        (0, "Open", StageOutcome.OPEN),  # a dormant open stage at 0 % is not lost
        (100, None, StageOutcome.WON),  # no category: probability 100 is won
        (0, None, StageOutcome.LOST),
        (50, None, StageOutcome.OPEN),
        (None, " closed lost ", StageOutcome.LOST),
    ],
)
def test_outcome_comes_from_category_then_probability_when_settings_say_so(probability, category, outcome):
    assert StageRule(value="any name", probability=probability, deal_category=category).outcome is outcome


def test_stage_names_do_not_decide_when_settings_disagree():
    rules = StageRules.of(
        [
            StageRule(value="Closed Won", probability=10, deal_category="Open"),
            StageRule(value="Signed", probability=100, deal_category="Closed Won"),
        ]
    )
    assert rules.outcome("Closed Won") is StageOutcome.OPEN and rules.outcome("Signed") is StageOutcome.WON
    assert rules.outcome("Unknown") is None


class StagesCrm:
    """A CRM whose Stage picklist can change; counts the settings reads."""

    def __init__(self, *values: tuple[str, int, str]):
        self.values, self.reads = list(values), 0

    def list_deal_stages(self) -> list[StageRule]:
        self.reads += 1
        return [StageRule(value=v, probability=p, deal_category=c) for v, p, c in self.values]


def test_stage_settings_are_cached_and_read_again_once_for_an_unknown_stage():
    crm, cache = StagesCrm(("Won it", 100, "Closed Won")), StageRuleCache()
    assert cache.outcome("int-1", crm, "Won it") is StageOutcome.WON
    assert cache.outcome("int-1", crm, "Won it") is StageOutcome.WON
    assert crm.reads == 1
    crm.values.append(("Lost it", 0, "Closed Lost"))
    assert cache.outcome("int-1", crm, "Lost it") is StageOutcome.LOST
    assert crm.reads == 2
    assert cache.outcome("int-1", crm, "Nobody knows") is None
    assert crm.reads == 3
    assert StageRuleCache().outcome("int-1", crm, "Won it") is StageOutcome.WON and crm.reads == 4


def test_deal_becomes_one_line_document_for_its_customer():
    record = CrmRecord(
        id="9001",
        values={
            "Deal_Name": "Ten chairs",
            "Stage": "Closed Won",
            "Amount": 450,
            "Description": "Oak",
            "Owner": {"id": "u1", "name": "Anna Schäfer"},
            "Account_Name": {"id": "a1", "name": "Acme"},
        },
    )
    deal = deal_of(record)
    assert (deal.account_id, deal.contact_id, deal.owner_name) == ("a1", None, "Anna Schäfer")
    assert deal.document("c-7", "REF") == {
        "customer_id": "c-7",
        "reference_number": "REF",
        "salesperson_name": "Anna Schäfer",
        "line_items": [{"name": "Ten chairs", "description": "Oak", "rate": 450.0, "quantity": 1}],
        "zcrm_potential_id": "9001",
        "zcrm_potential_name": "Ten chairs",
    }


def test_deal_without_amount_or_owner_still_becomes_a_document():
    deal = deal_of(CrmRecord(id="1", values={"Deal_Name": "X", "Stage": "Qualification"}))
    document = deal.document("c", "R")
    assert document["line_items"][0]["rate"] == 0 and "salesperson_name" not in document


def test_reference_numbers_are_deterministic_and_distinct_per_generation():
    assert invoice_reference("123", 1) == "CRM-DEAL-123-INV-1" != invoice_reference("123", 2)
    assert quote_reference("123") == "CRM-DEAL-123-QUOTE"
    assert crm_transaction_reference("Sales_Orders", "9") == "CRM-SALESORDERS-9"
    assert len(invoice_reference("1" * 19, 999)) <= 50


def test_the_automation_queue_carries_deal_events_and_crm_transactions():
    deal = AutomationQueueMessage.validate_json(
        '{"integration_id": "i", "deal_id": "d", "operation": "insert", "server_time": 1}'
    )
    assert isinstance(deal, DealEventMessage)
    txn = AutomationQueueMessage.validate_json(
        '{"kind": "crm_transaction", "integration_id": "i", "crm_module": "Quotes", "record_id": "r", "server_time": 1}'
    )
    assert isinstance(txn, CrmTransactionEventMessage)
    with pytest.raises(ValueError):
        AutomationQueueMessage.validate_json('{"integration_id": "i", "deal_oops": 1}')
