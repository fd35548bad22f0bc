"""Cold start (issue 13 point 6): the build ships valid python3.12 bytecode, X-Ray loads only with tracing
on, each function imports only its path at init, and SnapStart's init holds nothing a copy would share."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import types
from pathlib import Path

import pytest

from crmsync.api.app import OnDemandRoutes
from crmsync.api.route_index import ROUTES, current_routes
from crmsync.observability import OffTracer, make_tracer
from crmsync.runtime import snapshot
from scripts.check_build import bytecode_problems
from scripts.compile_build import main as compile_build
from tests.conftest import sample_event

ROOT = Path(__file__).resolve().parents[2]
# Powertools imports botocore's package (under a millisecond) for its user agent; a client needs botocore.client.
HEAVY = (
    "aws_xray_sdk",
    "boto3",
    "botocore.client",
    "crmsync.services.sync.engine",
    "crmsync.adapters.dynamodb",
)


def modules_after_init(function: str, **env: str) -> set[str]:
    """Import functions/<function>/app.py in a fresh interpreter, as Lambda's init does."""
    probe = (
        f"import sys, json; sys.path[:0] = {[str(ROOT / 'functions' / function), str(ROOT / 'layers' / 'shared')]!r};"
        "import app; print(json.dumps(sorted(sys.modules)))"
    )
    environ = {**os.environ, "TABLE_NAME": "t", "LAMBDA_TASK_ROOT": "/var/task", **env}
    environ.pop("POWERTOOLS_TRACE_DISABLED", None)
    result = subprocess.run([sys.executable, "-S", "-c", probe], env=environ, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


@pytest.fixture(scope="module")
def site_path():
    return os.pathsep.join(p for p in sys.path if p.endswith("site-packages"))


@pytest.mark.parametrize("function", ["authorizer", "webhook_intake", "integration_lifecycle", "sync_worker"])
def test_init_loads_neither_x_ray_nor_boto3_nor_another_path_when_tracing_is_off(function, site_path):
    loaded = modules_after_init(function, PYTHONPATH=site_path)
    assert not {m for m in loaded if m.startswith(HEAVY)}
    assert not {m for m in loaded if m.startswith("crmsync.api.routers.") and function != "webhook_intake"}


def test_init_loads_the_x_ray_tracer_when_tracing_is_on(site_path):
    loaded = modules_after_init("authorizer", PYTHONPATH=site_path, XRAY_TRACING="true")
    assert "aws_xray_sdk.core" in loaded


def test_the_off_tracer_leaves_handlers_as_they_are():
    tracer = make_tracer({})
    assert isinstance(tracer, OffTracer) and tracer.disabled

    def handler(event, context):
        return event

    assert tracer.capture_lambda_handler(handler) is handler
    assert tracer.capture_lambda_handler(capture_response=False)(handler) is handler
    assert tracer.capture_method(handler) is handler


def test_the_route_index_matches_the_routers():
    assert ROUTES == current_routes(), "run `make openapi` to regenerate crmsync/api/route_index.py"


def test_a_lifecycle_request_loads_only_its_router():
    routes = OnDemandRoutes()
    routes.resolver_for(sample_event("integration_lifecycle", "list_integrations"))
    assert routes.loaded == {"integrations"}
    routes.resolver_for({"httpMethod": "GET", "resource": "/not/in/the/index"})
    assert routes.loaded == set(routes.modules)


def test_snapstart_init_preloads_and_reseeds_random_after_each_restore(monkeypatch):
    hooks = []
    monkeypatch.setitem(
        sys.modules, "snapshot_restore_py", types.SimpleNamespace(register_after_restore=hooks.append)
    )
    preloaded = []

    assert not snapshot.prepare_snapshot(lambda: preloaded.append(1), env={})
    assert preloaded == [] and hooks == []
    assert snapshot.prepare_snapshot(
        lambda: preloaded.append(1), env={"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
    )
    assert preloaded == [1] and hooks == [snapshot.reseed_random]

    random.seed(7)
    shared = random.random()
    random.seed(7)
    hooks[0]()  # what each restored copy runs
    assert random.random() != shared


def write_build(build: Path) -> Path:
    (build / "SharedLayer" / "python" / "crmsync").mkdir(parents=True)
    (build / "SharedLayer" / "python" / "crmsync" / "__init__.py").write_text('"""layer"""\n')
    (build / "AuthorizerFunction").mkdir()
    source = build / "AuthorizerFunction" / "app.py"
    source.write_text("def lambda_handler(event, context):\n    return event\n")
    return source


def test_the_build_check_accepts_compiled_sources_and_names_a_missing_or_stale_pyc(tmp_path):
    source = write_build(tmp_path)
    checked, problems = bytecode_problems(tmp_path)
    assert checked == 2 and len(problems) == 2 and "no app.cpython-312.pyc" in " ".join(problems)

    assert compile_build(str(tmp_path)) == 0
    assert bytecode_problems(tmp_path) == (2, [])

    source.write_text("def lambda_handler(event, context):\n    return None\n")
    [problem] = bytecode_problems(tmp_path)[1]
    assert "compiled from another version of app.py" in problem


def test_the_build_check_refuses_bytecode_of_another_python(tmp_path):
    write_build(tmp_path)
    compile_build(str(tmp_path))
    pyc = tmp_path / "AuthorizerFunction" / "__pycache__" / "app.cpython-312.pyc"
    pyc.write_bytes((3495).to_bytes(2, "little") + b"\r\n" + pyc.read_bytes()[4:])  # 3.11's magic
    [problem] = bytecode_problems(tmp_path)[1]
    assert "not python3.12 bytecode" in problem
