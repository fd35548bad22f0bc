"""Write or check layers/shared/requirements.txt from pyproject.toml's [project].dependencies,
less what the Lambda runtime provides (boto3, which only the operator command line needs).

    python scripts/requirements.py          # write it
    python scripts/requirements.py --check  # exit 1 when it drifted
"""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "layers/shared/requirements.txt"
HEADER = "# Generated from pyproject.toml by scripts/requirements.py; do not edit.\n"
PROVIDED_BY_LAMBDA = {"boto3", "botocore"}


def render() -> str:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return HEADER + "".join(f"{dep}\n" for dep in deps if _name(dep) not in PROVIDED_BY_LAMBDA)


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].strip().lower()


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET.relative_to(ROOT)} drifted from pyproject.toml: run `make requirements`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
