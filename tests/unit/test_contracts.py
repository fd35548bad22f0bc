"""Generated and committed contracts stay in step: openapi.json, template routes, requirements, events."""

import json
import re
from pathlib import Path

from crmsync.api.openapi import build_openapi, render
from local.template import Template

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_matches_the_code():
    assert (ROOT / "openapi.json").read_text() == render(), "openapi.json drifted: run `make openapi`"


CONSOLE_ROUTES = {("GET", "/console"), ("GET", "/console/{asset}")}  # files, not API operations


def test_template_routes_and_openapi_paths_are_the_same_set():
    template_routes = {(r.method, r.path) for r in Template().routes} - CONSOLE_ROUTES
    openapi_routes = {(m.upper(), p) for p, ops in build_openapi()["paths"].items() for m in ops}
    assert template_routes == openapi_routes


def test_only_the_crm_webhook_the_oauth_callback_and_the_console_files_skip_the_authorizer():
    open_routes = {(r.method, r.path) for r in Template().routes if not r.authorized} - CONSOLE_ROUTES
    assert open_routes == {("POST", "/webhooks/crm/{integration_id}"), ("GET", "/oauth/callback")}
    for method, path in open_routes:
        assert build_openapi()["paths"][path][method.lower()]["security"] == []


def test_every_function_has_sample_events_that_parse():
    for function in Template().functions.values():
        samples = list((ROOT / "events" / function.name).glob("*.json"))
        assert samples, f"no sample event for {function.name}"
        for sample in samples:
            json.loads(sample.read_text())


def test_queue_visibility_is_at_least_six_times_the_consumer_timeout():
    template = Template()
    queues = template.queues()
    for source in template.queue_sources:
        timeout = template.functions[source.function].timeout
        assert queues[source.queue]["visibility_timeout"] >= 6 * timeout
        assert queues[source.queue]["dlq"] and queues[source.queue]["max_receive_count"]


def test_layer_requirements_come_from_pyproject():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "scripts/requirements.py", "--check"], cwd=ROOT)
    assert result.returncode == 0


def test_no_function_reads_the_environment_or_builds_clients_at_import():
    for app in (ROOT / "functions").glob("*/app.py"):
        text = app.read_text()
        assert not re.search(r"os\.environ|boto3\.", text), f"{app} does work that belongs in the layer"
