"""Check what `sam build` produced: the layer lands where Lambda imports it, for the right CPU.

    python scripts/check_build.py .aws-sam/build
"""

import sys
from pathlib import Path


def main(build_dir: str) -> int:
    build = Path(build_dir)
    layer = build / "SharedLayer" / "python"
    problems = []
    if not (layer / "crmsync" / "__init__.py").exists():
        problems.append(f"{layer}/crmsync is missing: the layer would not import as /opt/python/crmsync")
    if (layer / "python").exists():
        problems.append(f"{layer}/python exists: code would land at /opt/python/python and fail to import")
    cores = list(layer.glob("pydantic_core/_pydantic_core*.so"))
    if not cores or not all("aarch64" in core.name for core in cores):
        problems.append(f"pydantic_core in the layer is not built for arm64 (the template's architecture): {cores}")
    for problem in problems:
        print("sam build check:", problem, file=sys.stderr)
    if not problems:
        print(f"sam build check: layer imports as /opt/python/crmsync, arm64 wheels ({cores[0].name})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
