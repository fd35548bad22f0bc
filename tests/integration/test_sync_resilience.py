"""Exactly-once effects and failures (sync-correctness.md): a worker killed between pages, a create
whose answer was lost, a message delivered twice, a vendor outage, an expired authorization, a
stalled run, pause (S6); against both sandboxes over HTTP and moto's SQS."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import boto3
import httpx
import pytest
from pydantic import SecretStr

from crmsync.contracts.connect import ReauthorizeIn
from crmsync.domain.errors import ConflictError, InvalidFieldsError
from crmsync.domain.models import CrmSource, MappingStatus, Module, RunStatus, Side, Trigger
from crmsync.ports.errors import Unavailable
from crmsync.ports.secrets import IntegrationCredentials
from crmsync.services import reauthorization, scheduling
from crmsync.services.sync import claims, engine, match_phases, passes, runs
from crmsync.services.sync.engine import run_sync_step
from crmsync.services.sync.manual import sync_now
from tests.integration.test_sync_support import TENANT, SyncEnv, sandboxes  # noqa: F401 (fixture)
from tests.sandboxes.consent_fixtures import REDIRECT_URI, consent

GENERATED = 60


@pytest.fixture
def env(aws, sandboxes) -> SyncEnv:  # noqa: F811
    env = SyncEnv.connect(aws, sandboxes, crm={"generate": {"Accounts": GENERATED}}, inventory={})
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    return env


def each_once(env: SyncEnv) -> Counter:
    names = Counter(c["contact_name"] for c in env.inventory_contacts())
    assert len(names) == GENERATED and set(names.values()) == {1}, "a record was created twice or not at all"
    return names


def test_worker_killed_between_pages_resumes_without_duplicates(env, monkeypatch):
    monkeypatch.setattr(match_phases, "MATCH_PAGE", GENERATED // 2)  # the match phase takes two pages
    real_save = env.store.save_run_step
    killed = []

    def killed_before_checkpoint(run, *, expected_step):
        if run.phase == "match:crm" and expected_step > 0 and not killed and run.counts.added:
            killed.append(run.step)  # this step's creates are done; its checkpoint never happens
            raise RuntimeError("worker killed")
        return real_save(run, expected_step=expected_step)

    monkeypatch.setattr(env.store, "save_run_step", killed_before_checkpoint)
    run = env.start(Module.CUSTOMERS)
    with pytest.raises(RuntimeError, match="worker killed"):
        env.pump()
    env.pump()  # the same message again, as SQS redelivers it
    done = env.store.get_run(env.integration_id, run.run_id)
    assert killed and done.status is RunStatus.DONE
    each_once(env)
    assert len(env.mappings(Module.CUSTOMERS)) == GENERATED


def test_create_whose_answer_was_lost_is_found_again_not_repeated(env, monkeypatch):
    inventory = env.clients.inventory
    real_create = inventory.create_contact
    lost = []

    def answer_lost(values):
        created = real_create(values)
        if not lost:
            lost.append(created.id)
            raise Unavailable("inventory", "connection dropped after the request was sent")
        return created

    monkeypatch.setattr(inventory, "create_contact", answer_lost)
    monkeypatch.setattr(claims, "CLAIM_STALE_AFTER", timedelta(0))  # the redelivery comes "later"
    env.start(Module.CUSTOMERS)
    with pytest.raises(Unavailable):
        env.pump()
    env.pump()
    each_once(env)
    by_inventory = {m.inventory_id for m in env.mappings(Module.CUSTOMERS)}
    assert lost[0] in by_inventory


def test_fresh_claim_of_another_attempt_makes_the_step_retry_later(env, monkeypatch):
    """A claim held by another attempt still in flight is not raced; a failed attempt's own claims
    are given up with it (issue 13 point 9), so that its retry need not wait for them to go stale."""
    inventory = env.clients.inventory
    real_create = inventory.create_contact

    def answer_lost(values):
        real_create(values)
        raise Unavailable("inventory", "timed out")

    monkeypatch.setattr(inventory, "create_contact", answer_lost)
    run = env.start(Module.CUSTOMERS)
    with pytest.raises(Unavailable):
        env.pump()
    monkeypatch.setattr(inventory, "create_contact", real_create)
    [abandoned] = [m for m in env.mappings(Module.CUSTOMERS) if m.status is MappingStatus.PENDING]
    assert abandoned.updated_at is None  # the failed attempt gave its claim up
    env.store.delete_mapping(abandoned)
    env.store.claim_mapping(abandoned)  # as another attempt, still creating the record, would hold it
    with pytest.raises(claims.RecordBusy):
        env.pump()
    monkeypatch.setattr(claims, "CLAIM_STALE_AFTER", timedelta(0))  # later: search it, then create
    env.pump()
    assert env.store.get_run(env.integration_id, run.run_id).status is RunStatus.DONE
    each_once(env)


def test_same_message_delivered_twice_does_its_step_once(env):
    run = env.start(Module.CUSTOMERS)
    [(message, receipt)] = env.receive()
    run_sync_step(env.container.deps, message)
    run_sync_step(env.container.deps, message)  # a duplicate delivery: its step is no longer the run's next
    boto3.client("sqs").delete_message(QueueUrl=env.container.settings.sync_queue_url, ReceiptHandle=receipt)
    env.pump()
    done = env.store.get_run(env.integration_id, run.run_id)
    assert done.status is RunStatus.DONE and done.counts.added == GENERATED
    each_once(env)


def test_the_same_step_delivered_to_two_workers_at_once_is_done_by_one(env, monkeypatch):
    """Issue 13, point 3: a duplicate delivery racing the first (not after it) does no work."""
    run = env.start(Module.CUSTOMERS)
    env.pump(steps=2)  # the listing phases: the next step creates records
    [(message, receipt)] = env.receive()
    start, steps_done = threading.Barrier(2), []
    do_step = engine._step

    def slow_step(*args) -> None:  # both deliveries are in flight together
        steps_done.append(1)
        time.sleep(0.5)
        do_step(*args)

    monkeypatch.setattr(engine, "_step", slow_step)

    def worker(_: int) -> None:
        start.wait()
        run_sync_step(env.container.deps, message)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(worker, range(2)))
    assert len(steps_done) == 1  # the racing delivery was dropped before doing any work
    boto3.client("sqs").delete_message(QueueUrl=env.container.settings.sync_queue_url, ReceiptHandle=receipt)
    env.pump()
    done = env.store.get_run(env.integration_id, run.run_id)
    assert done.status is RunStatus.DONE and done.counts.added == GENERATED
    each_once(env)


def test_vendor_outage_fails_the_step_not_the_run_and_the_retry_completes(env, monkeypatch):
    run = env.start(Module.CUSTOMERS)
    env.pump(steps=3)  # into the match phase
    env.inventory.set_faults({"kind": "server_error", "next": 40})
    with pytest.raises(Unavailable):
        env.pump()
    stalled = env.store.get_run(env.integration_id, run.run_id)
    assert stalled.status is RunStatus.RUNNING and env.failures(stalled) == []
    env.inventory.set_faults()
    [note] = stalled.notes
    assert note.kind == "step_retried" and "The inventory system answered 500" in note.message
    env.pump()  # the failed attempt gave up its claims: the retry searches for the records, then creates
    assert env.store.get_run(env.integration_id, run.run_id).status is RunStatus.DONE
    each_once(env)


def test_a_refused_refresh_token_holds_the_integration_until_it_is_reauthorized_and_loses_nothing(
    env, monkeypatch
):
    """Issue 13, point 2: the run waits (it does not fail), the integration says `reauthorize` and
    why, schedules skip it; a new grant (a consent code) brings it back and the run completes."""
    from crmsync.observability import metrics

    emitted = []
    monkeypatch.setattr(metrics, "add_metric", lambda name, unit, value, **_: emitted.append(name))
    good = env.crm.credentials(env.crm_seed)
    env.container.credentials.put(
        env.integration_id,
        IntegrationCredentials(
            crm=good.model_copy(update={"refresh_token": SecretStr("revoked")}),
            inventory=env.inventory.credentials(env.inventory_seed),
        ),
    )
    env.container.vendors.forget(env.integration_id)
    run = env.sync(Module.CUSTOMERS)

    held = env.store.get_run(env.integration_id, run.run_id)
    assert held.status not in runs.FINISHED and held.progress.waiting_for == "re-authorization"
    integration = env.store.get_integration(env.integration_id)
    assert integration.state == "reauthorize" and "The CRM refused the refresh token" in integration.reauthorize_reason
    assert "ReauthorizationNeeded" in emitted and "SyncRunsFailed" not in emitted
    later = env.container.clock() + runs.STALL_AFTER + timedelta(hours=3)
    assert scheduling.queue_due_syncs(env.container.deps, at=later) == 0 and env.receive() == []

    sandboxes_allowed(env)
    code = consent(good.base_url, good.client_id)["code"]
    grant = {"client_id": good.client_id, "client_secret": good.client_secret.get_secret_value(),
             "code": code, "redirect_uri": REDIRECT_URI, "base_url": good.base_url}
    reauthorization.reauthorize(env.container.deps, TENANT, env.integration_id, ReauthorizeIn(crm=grant))
    assert env.store.get_integration(env.integration_id).state == "active"
    env.pump()  # the held run was queued again at once
    assert env.store.get_run(env.integration_id, run.run_id).status is RunStatus.DONE
    each_once(env)


def sandboxes_allowed(env: SyncEnv) -> None:
    """Grants name the sandboxes' base URLs, as a deployment that allows custom endpoints takes them."""
    env.container.settings = env.container.settings.model_copy(update={"allow_custom_endpoints": True})


def test_a_grant_for_another_organization_is_refused_and_nothing_changes(env):
    sandboxes_allowed(env)
    reply = httpx.post(f"{env.crm.base_url}/_sandbox/orgs", json={"org": {"iso_code": "USD"}})
    other = reply.raise_for_status().json()  # another CRM organization, with its own client and token
    before = env.container.credentials.get(env.integration_id)
    stranger = env.crm.credentials(other)
    grant = {"client_id": stranger.client_id, "client_secret": stranger.client_secret.get_secret_value(),
             "refresh_token": stranger.refresh_token.get_secret_value(), "base_url": stranger.base_url}
    with pytest.raises(InvalidFieldsError) as refused:
        reauthorization.reauthorize(env.container.deps, TENANT, env.integration_id, ReauthorizeIn(crm=grant))
    assert "reaches CRM organization" in str(refused.value.fields)
    assert env.container.credentials.get(env.integration_id) == before


def test_stalled_run_is_queued_again_by_the_scheduled_sweep(env):
    run = env.start(Module.CUSTOMERS)
    [(_, receipt)] = env.receive()
    boto3.client("sqs").delete_message(QueueUrl=env.container.settings.sync_queue_url, ReceiptHandle=receipt)
    assert scheduling.queue_due_syncs(env.container.deps) == 0
    assert env.receive() == []  # not stalled yet
    later = env.container.clock() + runs.STALL_AFTER + timedelta(minutes=1)
    scheduling.queue_due_syncs(env.container.deps, at=later)
    env.pump()
    assert env.store.get_run(env.integration_id, run.run_id).status is RunStatus.DONE
    each_once(env)


def test_paused_module_is_skipped_by_the_schedule_and_refuses_a_manual_sync(env):
    env.sync(Module.CUSTOMERS)
    env.store.set_module_paused(env.integration_id, Module.CUSTOMERS, True)
    assert scheduling.queue_due_syncs(env.container.deps) == 0
    with pytest.raises(ConflictError, match="paused"):
        sync_now(env.container.deps, TENANT, env.integration_id, [Module.CUSTOMERS])
    env.store.set_module_paused(env.integration_id, Module.CUSTOMERS, False)
    assert scheduling.queue_due_syncs(env.container.deps) == 1
    env.pump()
    [latest, first] = env.store.list_runs(env.integration_id).items
    assert (latest.trigger, latest.status, first.trigger) == (Trigger.SCHEDULE, RunStatus.DONE, Trigger.MANUAL)


def test_steps_of_a_paused_module_wait_and_continue_after_resume(env):
    run = env.start(Module.CUSTOMERS)
    env.pump(steps=2)
    env.store.set_module_paused(env.integration_id, Module.CUSTOMERS, True)
    env.pump()  # the next step is held: nothing is done while paused
    held = env.store.get_run(env.integration_id, run.run_id)
    assert held.status is RunStatus.RUNNING
    env.store.set_module_paused(env.integration_id, Module.CUSTOMERS, False)
    [again] = sync_now(env.container.deps, TENANT, env.integration_id, [Module.CUSTOMERS])
    assert again.run_id == run.run_id  # the run that was going, not a second one
    later = env.container.clock() + runs.STALL_AFTER
    scheduling.queue_due_syncs(env.container.deps, at=later)
    env.pump()
    assert env.store.get_run(env.integration_id, run.run_id).status is RunStatus.DONE
    assert env.mappings(Module.CUSTOMERS) and Side.CRM



def test_steps_cut_short_by_their_time_budget_continue_where_they_stopped(aws, sandboxes, monkeypatch):  # noqa: F811
    env = SyncEnv.connect(aws, sandboxes, crm={"generate": {"Accounts": 5}}, inventory={})
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    monkeypatch.setattr(passes, "STEP_BUDGET_S", 0.0)  # every step stops after its first record
    run = env.sync(Module.CUSTOMERS)
    assert run.status is RunStatus.DONE and run.counts.added == 5 and run.step > 5
    names = Counter(c["contact_name"] for c in env.inventory_contacts())
    assert len(names) == 5 and set(names.values()) == {1}
