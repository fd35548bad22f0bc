"""Compile the `sam build` output to bytecode for the Lambda runtime (python3.12), in place.

    python3.12 scripts/compile_build.py .aws-sam/build

`sam build` copies no `.pyc`, and Lambda's `/opt` and `/var/task` are read-only, so without this every
cold start compiles the whole layer again (about twice the import time). The pycs are hash-based and
unchecked (`--invalidation-mode unchecked-hash`): the zip of a deployment does not keep the sources'
timestamps, and nothing edits the sources after this step (`scripts/check_build.py` checks each pyc
against its source). Paths inside the bytecode are those Lambda sees (`/opt/python/...`,
`/var/task/...`), so tracebacks name them.
"""

import compileall
import py_compile
import sys
from pathlib import Path

LAYER_MOUNT = "/opt/python"
FUNCTION_MOUNT = "/var/task"


def compile_tree(root: Path, mount: str) -> bool:
    return compileall.compile_dir(
        root,
        ddir=mount,
        quiet=1,
        workers=0,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )


def main(build_dir: str) -> int:
    if sys.version_info[:2] != (3, 12):
        print(
            f"compile build: needs Python 3.12 (the Lambda runtime), not {sys.version.split()[0]}",
            file=sys.stderr,
        )
        return 1
    build = Path(build_dir)
    trees = [(build / "SharedLayer" / "python", LAYER_MOUNT)]
    trees += [(function, FUNCTION_MOUNT) for function in sorted(build.glob("*Function")) if function.is_dir()]
    failed = [str(root) for root, mount in trees if not compile_tree(root, mount)]
    if failed:
        print(f"compile build: some files did not compile in {failed}", file=sys.stderr)
        return 1
    print(f"compile build: {len(trees) - 1} functions and the layer compiled for python3.12")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
