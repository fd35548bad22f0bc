"""The local stack runs each function as Lambda does (issue 13 point 5): every execution environment is
a worker process of its own with its own module state, warm ones are reused, new ones cold-start up to
the function's concurrency, and the function's Timeout ends the environment that ran past it.

The handler is a probe (tests/unit/local_lambda/), wired by a template read like template.yaml.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest

from local.invoker import FunctionError, Invocation, Invoker
from local.template import Template

PROBE_TEMPLATE = Path(__file__).resolve().parent / "local_lambda" / "template.yaml"
QUEUE_URL = "http://127.0.0.1:1/123456789012/local-probe-queue"
NAP = {"action": "sleep", "seconds": 0.6}


@pytest.fixture
def invoker():
    invoker = Invoker(Template(PROBE_TEMPLATE), {"ProbeQueue": QUEUE_URL})
    yield invoker
    invoker.stop()


def invoke_together(invoker: Invoker, function: str, events: list[dict]) -> list:
    with ThreadPoolExecutor(len(events)) as pool:
        return list(pool.map(lambda event: invoker.invoke(function, event), events))


def overlap(a: Invocation, b: Invocation) -> bool:
    def span(i: Invocation) -> tuple[float, float]:
        start = datetime.fromisoformat(i.started_at).timestamp()
        return start, start + i.duration_ms / 1000

    (a_start, a_end), (b_start, b_end) = span(a), span(b)
    return a_start < b_end and b_start < a_end


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_two_invocations_at_once_run_in_two_environments_with_their_own_module_state(invoker):
    first, second = invoke_together(invoker, "Probe", [NAP, NAP])

    assert len({first["pid"], second["pid"], os.getpid()}) == 3
    assert first["invocations"] == second["invocations"] == 1
    log = invoker.invocations
    assert [i.cold_start for i in log] == [True, True]
    assert overlap(*log)
    assert {i.environment for i in log} == {first["pid"], second["pid"]}
    assert all(i.init_duration_ms and i.init_duration_ms > 0 for i in log)


def test_a_warm_environment_is_reused_with_its_module_state(invoker):
    first = invoker.invoke("Probe", {})
    second = invoker.invoke("Probe", {})

    assert second["pid"] == first["pid"]
    assert (first["invocations"], second["invocations"]) == (1, 2)
    assert [i.cold_start for i in invoker.invocations] == [True, False]
    assert invoker.invocations[1].init_duration_ms is None
    assert invoker.environments("Probe") == 1


def test_a_function_at_its_reserved_concurrency_waits_for_its_one_environment(invoker):
    first, second = invoke_together(invoker, "SingleProbe", [NAP, NAP])

    assert invoker.concurrency("SingleProbe") == 1
    assert first["pid"] == second["pid"]
    assert sorted([first["invocations"], second["invocations"]]) == [1, 2]
    assert not overlap(*invoker.invocations)
    assert [i.cold_start for i in invoker.invocations] == [True, False]


def test_an_invocation_past_the_timeout_ends_its_environment_and_the_next_one_cold_starts(invoker):
    warm = invoker.invoke("Probe", {})

    with pytest.raises(FunctionError) as raised:
        invoker.invoke("Probe", {"action": "sleep", "seconds": 30})

    assert raised.value.error_type == "Sandbox.Timedout"
    assert raised.value.error_message == "Task timed out after 2.00 seconds"
    assert not alive(warm["pid"])
    timed_out = invoker.invocations[-1]
    assert not timed_out.ok and timed_out.error == "Sandbox.Timedout: Task timed out after 2.00 seconds"
    assert 2000 <= timed_out.duration_ms < 10_000
    after = invoker.invoke("Probe", {})
    assert after["pid"] != warm["pid"] and after["invocations"] == 1
    assert invoker.invocations[-1].cold_start


def test_a_handler_error_fails_the_invocation_and_keeps_the_environment_warm(invoker):
    with pytest.raises(FunctionError) as raised:
        invoker.invoke("Probe", {"action": "raise"})
    after = invoker.invoke("Probe", {})

    assert (raised.value.error_type, raised.value.error_message) == (
        "ValueError",
        "the probe failed on purpose",
    )
    assert any("lambda_handler" in line for line in raised.value.stack)
    assert after["invocations"] == 2
    assert [i.ok for i in invoker.invocations] == [False, True]
    assert invoker.invocations[0].environment == after["pid"]


def test_a_runtime_that_exits_fails_the_invocation_and_the_next_one_cold_starts(invoker):
    with pytest.raises(FunctionError) as raised:
        invoker.invoke("Probe", {"action": "exit"})
    after = invoker.invoke("Probe", {})

    assert raised.value.error_type == "Runtime.ExitError"
    assert raised.value.error_message == "Runtime exited with error: exit status 3"
    assert after["invocations"] == 1 and invoker.invocations[-1].cold_start


def test_a_result_that_is_not_json_fails_with_marshal_error(invoker):
    with pytest.raises(FunctionError) as raised:
        invoker.invoke("Probe", {"action": "unmarshalable"})

    assert raised.value.error_type == "Runtime.MarshalError"
    assert raised.value.error_message.startswith("Unable to marshal response:")


def test_a_handler_that_cannot_be_imported_fails_every_invocation_with_import_module_error(invoker):
    for _ in range(2):
        with pytest.raises(FunctionError) as raised:
            invoker.invoke("BrokenProbe", {})
        assert raised.value.error_type == "Runtime.ImportModuleError"
        assert "Unable to import module 'no_such_module'" in raised.value.error_message

    assert [(i.cold_start, i.ok) for i in invoker.invocations] == [(True, False), (True, False)]
    assert invoker.environments("BrokenProbe") == 0


def test_the_context_and_the_environment_come_from_the_template(invoker):
    result = invoker.invoke("Probe", {})

    assert result["function_name"] == "Probe"
    assert 0 < result["remaining_ms"] <= 2000
    assert result["queue_url"] == QUEUE_URL  # Globals' !Ref ProbeQueue, resolved
    assert Path(result["task_root"]) == PROBE_TEMPLATE.parent / "probe"


def test_stop_ends_every_environment_and_refuses_new_invocations(invoker):
    pid = invoker.invoke("Probe", {})["pid"]

    invoker.stop()

    assert not alive(pid)
    with pytest.raises(FunctionError) as raised:
        invoker.invoke("Probe", {})
    assert raised.value.error_type == "Local.Stopped"


def test_concurrency_is_reserved_concurrency_else_the_event_sources_maximum_else_the_local_default():
    template = Template(PROBE_TEMPLATE)

    assert template.concurrency("SingleProbe", 4) == 1  # ReservedConcurrentExecutions
    assert template.concurrency("QueueProbe", 4) == 3  # ScalingConfig.MaximumConcurrency
    assert template.concurrency("Probe", 4) == 4
