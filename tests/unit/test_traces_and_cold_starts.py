"""Tenant and integration ids reach the trace as X-Ray annotations, and every handler reports its cold
start as a metric (issue 12 point 2)."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.metrics.provider import cold_start

from crmsync import observability
from crmsync.observability import OffTracer, bind, logger
from tests.conftest import FakeContext, load_handler, sample_event


class RecordingTracer:
    """Stands in for Powertools' Tracer with tracing on (the real one needs X-Ray's daemon and segment)."""

    def __init__(self, fail: bool = False, disabled: bool = False):
        self.annotations: dict[str, str] = {}
        self.fail = fail
        self.disabled = disabled

    def put_annotation(self, key, value):
        if self.fail:
            raise RuntimeError("no segment is open")
        self.annotations[key] = value


@pytest.fixture
def traced(monkeypatch):
    recording = RecordingTracer()
    monkeypatch.setattr(observability, "tracer", recording)
    yield recording
    logger.remove_keys(["tenant_id", "integration_id", "run_id", "sync_module"])


def test_bind_annotates_the_trace_with_tenant_integration_and_run_ids(traced):
    bind(tenant_id="t1", integration_id="i1", run_id=None, sync_module="customers")
    bind(run_id="r1")

    assert traced.annotations == {"tenant_id": "t1", "integration_id": "i1", "run_id": "r1"}


def test_bind_still_appends_the_log_keys(traced):
    bind(tenant_id="t1", integration_id="i1")

    assert {"tenant_id": "t1", "integration_id": "i1"}.items() <= logger.get_current_keys().items()


def test_bind_never_fails_when_the_trace_refuses_an_annotation(monkeypatch):
    monkeypatch.setattr(observability, "tracer", RecordingTracer(fail=True))

    bind(tenant_id="t1")  # no exception


def test_bind_does_not_touch_the_tracer_when_tracing_is_disabled(monkeypatch):
    assert isinstance(observability.tracer, OffTracer)  # XRAY_TRACING unset in tests, as on the local stack
    disabled = RecordingTracer(disabled=True)
    monkeypatch.setattr(observability, "tracer", disabled)

    bind(tenant_id="t1", integration_id="i1")

    assert disabled.annotations == {}


EVENTS = {
    "authorizer": "request",
    "integration_lifecycle": "list_integrations",
    "webhook_intake": "crm_notification",
    "scheduled_sync": "schedule",
    "sync_worker": "batch",
    "trigger_automation": "deal_event",
}


@pytest.mark.parametrize("function", sorted(EVENTS))
def test_handler_emits_a_cold_start_metric_on_its_first_invocation(aws, function, monkeypatch, capsys):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.setattr(cold_start, "is_cold_start", True)
    event = sample_event(function, EVENTS[function])
    if function == "authorizer":
        _, raw_key = aws.tenants.issue_key(aws.tenants.create_tenant("Acme").tenant_id)
        event["headers"] = {"Authorization": f"Bearer {raw_key}"}
    handler = load_handler(function)
    capsys.readouterr()

    handler(event, FakeContext())
    handler(event, FakeContext())  # warm: no second cold start

    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [cold] = [blob for blob in blobs if "ColdStart" in blob]
    assert cold["ColdStart"] in (1.0, [1.0])
    assert cold["function_name"] == FakeContext.function_name
    assert cold["service"] == "crmsync"
