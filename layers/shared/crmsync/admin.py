"""The former operator command line, kept as an alias of `crmsync` (`crmsync.cli`).

    python -m crmsync.admin [--local] create-tenant --name "Acme Ltd"    # same as: crmsync ...

Every `crmsync` command works here too; see `crmsync --help`.
"""

from __future__ import annotations

import sys

from crmsync.cli.main import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
