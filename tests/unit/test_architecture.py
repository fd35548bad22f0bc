"""The layers hold (architecture issue, point 6): the import-linter contracts in pyproject.toml, and
handlers that import only the runtime, the API layer and observability."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "shared" / "crmsync"
HANDLER_IMPORTS = ("crmsync.runtime", "crmsync.api", "crmsync.observability")


def lint_imports(pythonpath: Path) -> subprocess.CompletedProcess:
    command = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [str(command), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=pythonpath, env=env, capture_output=True, text=True, timeout=120,
    )


def test_every_import_contract_is_kept():
    result = lint_imports(LAYER.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_service_importing_the_api_breaks_its_contract(tmp_path):
    shutil.copytree(LAYER, tmp_path / "crmsync", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "crmsync" / "services" / "leak.py").write_text("from crmsync.api.errors import error_doc\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "services do not import api, runtime or adapters BROKEN" in result.stdout
    assert "crmsync.services.leak -> crmsync.api.errors" in result.stdout


def handler_imports(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
    return [m for m in modules if m.split(".")[0] == "crmsync"]


def test_handlers_import_only_runtime_api_and_observability():
    handlers = sorted((ROOT / "functions").glob("*/app.py"))
    assert len(handlers) == 7
    for handler in handlers:
        imports = handler_imports(handler)
        assert imports, handler
        strays = [m for m in imports if not m.startswith(HANDLER_IMPORTS)]
        assert strays == [], f"{handler.parent.name} imports {strays}"
