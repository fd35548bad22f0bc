"""Store contract: concurrent callers racing for the same thing; exactly one wins, on every backend."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from crmsync.domain.errors import ConflictError
from crmsync.domain.journal import DeliveryProgress, WebhookDelivery
from crmsync.domain.models import IntegrationState, MappingStatus, Module, ModulePreferences, RunStatus, Side
from crmsync.ports.sync_state_store import StepClaim

RACERS = 8


def race(attempt: Callable[[int], object]) -> list[object]:
    """Runs `attempt(n)` in RACERS threads released together; returns what each returned or raised."""
    start = threading.Barrier(RACERS)

    def run(n: int) -> object:
        start.wait()
        try:
            return attempt(n)
        except ConflictError as err:  # AlreadyExistsError included
            return err

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(run, range(RACERS)))


def winners(outcomes: list[object]) -> list[object]:
    return [outcome for outcome in outcomes if not isinstance(outcome, ConflictError)]


def test_one_claim_wins_when_racers_claim_the_same_record(store, make):
    outcomes = race(lambda n: store.claim_mapping(make.claim("int-1", Side.CRM, "c-1")))
    assert len(winners(outcomes)) == 1
    assert store.get_mapping("int-1", Module.CUSTOMERS, Side.CRM, "c-1").status is MappingStatus.PENDING


def test_one_completion_wins_when_racers_complete_the_same_claim(store, make):
    claim = store.claim_mapping(make.claim("int-1", Side.CRM, "c-1"))

    def complete(n: int):
        return store.complete_claim(
            claim.model_copy(update={"status": MappingStatus.LINKED, "inventory_id": f"i-{n}"})
        )

    [winner] = winners(race(complete))
    assert store.get_mapping("int-1", Module.CUSTOMERS, Side.CRM, "c-1") == winner
    linked = store.list_mappings("int-1", Module.CUSTOMERS, Side.INVENTORY).items
    assert linked == [winner]


def test_one_transition_wins_when_racers_pause_the_same_integration(store, make):
    integration = store.create_integration(make.integration())
    active, paused = IntegrationState.ACTIVE, IntegrationState.PAUSED
    outcomes = race(
        lambda n: store.transition_integration(integration.integration_id, allowed_from={active}, to=paused)
    )
    [winner] = winners(outcomes)
    assert winner.version == 2
    assert all(outcome.current is paused for outcome in outcomes if outcome is not winner)


def test_one_primary_wins_when_racers_connect_the_same_crm_org(store, make):
    outcomes = race(lambda n: store.create_integration(make.integration(crm_org_id="crm-shared")))
    [winner] = winners(outcomes)
    assert store.primary_integration_id("crm-shared") == winner.integration_id
    assert store.list_integration_ids(IntegrationState.ACTIVE).items == [winner.integration_id]


def test_one_save_wins_when_racers_save_the_same_module_version(store):
    saved = store.save_module_settings(ModulePreferences(integration_id="int-1", module=Module.ITEMS))
    outcomes = race(lambda n: store.save_module_settings(saved))
    assert len(winners(outcomes)) == 1
    assert store.get_module("int-1", Module.ITEMS).version == 2


def test_one_delivery_is_first_when_racers_record_the_same_delivery(store):
    delivery = WebhookDelivery(channel_id="1000", ids=("1", "2"), operation="update", server_time=1)
    taken = race(lambda n: store.begin_delivery(delivery, timedelta(seconds=30)))
    assert [t for t in taken if t is not None] == [DeliveryProgress()]


def test_one_worker_takes_a_step_however_often_its_message_is_delivered(store, make):
    run = make.run("int-1", status=RunStatus.RUNNING, step=3)
    store.create_run(run)
    at = make.clock()
    outcomes = race(lambda n: store.claim_run_step(run, at=at, until=at + timedelta(minutes=5)).taken)
    assert outcomes.count(True) == 1


def test_a_step_lease_ends_when_it_lapses_is_released_or_the_step_is_saved(store, make):
    run = make.run("int-1", status=RunStatus.RUNNING, step=3)
    store.create_run(run)
    at, until = make.clock(), make.clock() + timedelta(minutes=5)
    assert store.claim_run_step(run, at=at, until=until) == StepClaim(taken=True)
    held = store.claim_run_step(run, at=at + timedelta(minutes=4), until=until)
    assert (held.taken, held.held_until) == (False, until)  # comes back when the lease ends
    lapsed = store.claim_run_step(run, at=until + timedelta(seconds=1), until=until + timedelta(minutes=5))
    assert lapsed == StepClaim(taken=True, interrupted=True)  # the holder never saved nor released it
    store.release_run_step(run)
    assert store.claim_run_step(run, at=at, until=until) == StepClaim(taken=True)  # released: not interrupted
    store.save_run_step(run.model_copy(update={"step": 4}), expected_step=3)
    assert store.claim_run_step(run, at=at, until=until) == StepClaim(taken=False)  # step 3 is over
    assert store.claim_run_step(run.model_copy(update={"step": 4}), at=at, until=until).taken
    store.save_run_step(run.model_copy(update={"step": 4, "status": RunStatus.DONE}), expected_step=4)
    assert not store.claim_run_step(run.model_copy(update={"step": 4}), at=at, until=until).taken  # finished
