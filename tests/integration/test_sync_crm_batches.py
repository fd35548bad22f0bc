"""CRM writes in batches of up to 100 (issue 13, point 4): a two-way sync's inserts and updates go to
the CRM 100 records per call (1 credit per 10 records), each record's outcome settling its own record;
against both sandboxes over HTTP."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from crmsync.domain.models import CrmSource, Module, RunStatus
from crmsync.domain.sync.matching import normalize_name
from crmsync.ports.errors import Unavailable
from crmsync.services.sync import phases
from tests.integration.test_sync_support import SyncEnv, sandboxes  # noqa: F401 (fixture)

INSERTS, UPDATES = "POST /crm/v8/{module}", "PUT /crm/v8/{module}"


def customers(count: int) -> list[dict]:
    return [
        {
            "contact_name": f"Batch Customer {n:03d}",
            "contact_type": "customer",
            "customer_sub_type": "business",
        }
        for n in range(count)
    ]


@pytest.fixture
def connect(aws, sandboxes):  # noqa: F811
    """An empty CRM and an inventory of these business customers, synced two ways (Accounts source)."""

    def connected(contacts: list[dict]) -> SyncEnv:
        env = SyncEnv.connect(aws, sandboxes, crm={}, inventory={"contacts": contacts})
        env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
        return env

    return connected


def credits_used(env: SyncEnv) -> int:
    return env.crm.set_limits()["limits"]["credits_used"]


def api_calls(calls: Counter) -> int:
    return sum(n for call, n in calls.items() if "/oauth/" not in call)


def account_names(env: SyncEnv) -> Counter:
    return Counter(normalize_name(r["Account_Name"]) for r in env.crm_records("Accounts", ["Account_Name"]))


def test_first_sync_of_250_customers_into_an_empty_crm_makes_3_insert_calls_at_a_credit_per_10(connect):
    env = connect(customers(250))
    credits_before = credits_used(env)
    run = env.sync(Module.CUSTOMERS)
    crm_calls, _ = env.calls()
    credits = credits_used(env) - credits_before
    assert (run.status, run.counts.added, run.counts.failed) == (RunStatus.DONE, 250, 0)
    assert crm_calls[INSERTS] == 3  # 100 + 100 + 50 records
    assert credits == api_calls(crm_calls) - 3 + (10 + 10 + 5)  # one per call, the inserts one per 10 records
    assert len(account_names(env)) == 250 and set(account_names(env).values()) == {1}
    mappings = env.mappings(Module.CUSTOMERS)
    assert len(mappings) == 250 and all(m.crm_id and m.inventory_id for m in mappings)


def test_a_record_the_crm_refuses_fails_alone_and_the_rest_of_its_batch_is_created(connect):
    contacts = customers(28)
    contacts += [
        {
            **contacts[0],
            "contact_name": "Batch Twin",
        },  # the CRM's Account_Name is unique: the second is refused
        {**contacts[0], "contact_name": "Batch Twin"},
        {**contacts[0], "contact_name": "Batch Long Phone", "billing_address": {"phone": "+1 " + "5" * 40}},
    ]
    env = connect(contacts)
    run = env.sync(Module.CUSTOMERS)
    crm_calls, _ = env.calls()
    failures = env.failures(run)
    assert crm_calls[INSERTS] == 1 and (run.counts.added, run.counts.failed) == (29, 2)
    duplicate, phone = sorted(f.reason for f in failures)
    assert duplicate.startswith(
        "the CRM refused the account: another account with the same Account_Name exists"
    )
    assert phone == "the CRM refused the account: invalid data (Phone)"
    names = account_names(env)
    assert names["batch twin"] == 1 and "batch long phone" not in names and len(names) == 29
    linked = {m.inventory_id for m in env.mappings(Module.CUSTOMERS)}
    assert len(linked) == 29 and not linked & {f.record_id for f in failures}  # refused: no mapping, no claim


def test_many_inventory_edits_go_to_the_crm_in_one_update_call_per_100(connect):
    env = connect(customers(150))
    env.sync(Module.CUSTOMERS)
    time.sleep(1.05)  # an edit in the second of our own write would look like that write
    for mapping in env.mappings(Module.CUSTOMERS):
        env.clients.inventory.update_contact(mapping.inventory_id, {"website": "https://batch.example"})
    before = env.calls()[0]
    run = env.sync(Module.CUSTOMERS)
    crm_calls = env.calls()[0] - before
    assert (run.counts.updated, run.counts.failed) == (150, 0)
    assert (crm_calls[UPDATES], crm_calls[INSERTS]) == (2, 0)  # 100 + 50 records
    websites = Counter(r["Website"] for r in env.crm_records("Accounts", ["Website"]))
    assert websites == {"https://batch.example": 150}


@pytest.mark.parametrize("failure", ["server_error", "answer_lost"])
def test_a_batch_that_fails_as_a_whole_is_retried_without_duplicates(connect, monkeypatch, failure):
    """A 500 on the insert (nothing created), or the answer lost after the CRM created the batch: the
    step fails and gives up its claims, and the retried step finds or creates each record exactly once."""
    env = connect(customers(120))
    run = env.start(Module.CUSTOMERS)
    while env.store.get_run(env.integration_id, run.run_id).phase != phases.MATCH_INVENTORY:
        env.pump(steps=1)
    crm = env.clients.crm
    real_insert = crm.insert_records
    if failure == "server_error":
        env.crm.set_faults({"kind": "server_error", "path_prefix": "/crm/v8/Accounts", "next": 1})
    else:

        def answer_lost(module, records, **kwargs):
            real_insert(module, records, **kwargs)
            raise Unavailable("crm", "connection dropped after the request was sent", code="OUTCOME_UNKNOWN")

        monkeypatch.setattr(crm, "insert_records", answer_lost)
    with pytest.raises(Unavailable):
        env.pump(steps=1)
    monkeypatch.setattr(crm, "insert_records", real_insert)
    stalled = env.store.get_run(env.integration_id, run.run_id)
    assert stalled.status is RunStatus.RUNNING and env.failures(stalled) == []
    # The failed attempt gave its claims up (its creates may have happened): the retry searches each
    # record in the CRM first, then creates what it did not find.
    env.pump()
    done = env.store.get_run(env.integration_id, run.run_id)
    assert (done.status, done.counts.added, done.counts.failed) == (RunStatus.DONE, 120, 0)
    names = account_names(env)
    assert len(names) == 120 and set(names.values()) == {1}
    mappings = env.mappings(Module.CUSTOMERS)
    assert len(mappings) == 120 and {m.crm_id for m in mappings} == {
        r["id"] for r in env.crm_records("Accounts", ["Account_Name"])
    }
    inserts = env.calls()[0][INSERTS]
    assert inserts == (3 if failure == "server_error" else 2)  # the failed call, then 100 (or none) and 20
