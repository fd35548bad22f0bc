"""Check what `sam build` produced: the layer lands where Lambda imports it, for the right CPU, and every
source of the layer and the functions ships its bytecode for python3.12 (`scripts/compile_build.py`).

    python scripts/check_build.py .aws-sam/build
"""

import importlib.util
import sys
from pathlib import Path

# CPython 3.12's bytecode magic number (3531) and cache tag: a pyc of any other version is ignored by
# the runtime, which then compiles the source at every cold start.
PY312_MAGIC = (3531).to_bytes(2, "little") + b"\r\n"
PY312_TAG = "cpython-312"
UNCHECKED_HASH = 0b01  # the pyc's flags: hash-based, not checked against the source at import


def layer_problems(layer: Path) -> list[str]:
    problems = []
    if not (layer / "crmsync" / "__init__.py").exists():
        problems.append(f"{layer}/crmsync is missing: the layer would not import as /opt/python/crmsync")
    if (layer / "python").exists():
        problems.append(f"{layer}/python exists: code would land at /opt/python/python and fail to import")
    cores = list(layer.glob("pydantic_core/_pydantic_core*.so"))
    if not cores or not all("aarch64" in core.name for core in cores):
        problems.append(
            f"pydantic_core in the layer is not built for arm64 (the template's architecture): {cores}"
        )
    return problems


def bytecode_problem(source: Path) -> str | None:
    """Why `source` has no usable python3.12 pyc, or None."""
    pyc = source.parent / "__pycache__" / f"{source.stem}.{PY312_TAG}.pyc"
    if not pyc.exists():
        return f"{source}: no {pyc.name}"
    header = pyc.read_bytes()[:16]
    if header[:4] != PY312_MAGIC:
        return f"{pyc}: not python3.12 bytecode (magic {header[:4]!r})"
    if int.from_bytes(header[4:8], "little") != UNCHECKED_HASH:
        return f"{pyc}: not an unchecked-hash pyc (the deployment's timestamps would not match)"
    if header[8:16] != importlib.util.source_hash(source.read_bytes()):
        return f"{pyc}: compiled from another version of {source.name}"
    return None


def bytecode_problems(build: Path) -> tuple[int, list[str]]:
    sources = sorted(build.glob("SharedLayer/python/**/*.py")) + sorted(build.glob("*Function/**/*.py"))
    problems = [problem for source in sources if (problem := bytecode_problem(source))]
    if not sources:
        problems.append(f"{build}: no Python source at all")
    return len(sources), problems


def main(build_dir: str) -> int:
    build = Path(build_dir)
    problems = layer_problems(build / "SharedLayer" / "python")
    checked, stale = bytecode_problems(build)
    problems += stale[:20] + ([f"... and {len(stale) - 20} more"] if len(stale) > 20 else [])
    for problem in problems:
        print("sam build check:", problem, file=sys.stderr)
    if not problems:
        print(
            f"sam build check: layer imports as /opt/python/crmsync, arm64 wheels, python3.12 bytecode for all {checked} sources"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
