"""Lambda SnapStart (template parameter `SnapStart=Enabled`): what init does when Lambda snapshots it,
and what each restored copy refreshes.

Many copies resume from one snapshot, so init holds nothing a copy must not share: no client,
connection or credential (the container builds them on first use), no clock reading, no random state
(`random`, which tenacity's and the DynamoDB batches' jitter use, is reseeded after each restore; uuid4
and secrets read the OS). Under SnapStart, init also imports what a request would (boto3 and the
adapters, every API route), so a restored copy pays none of it; without SnapStart nothing is preloaded
and a cold start stays small.
"""

from __future__ import annotations

import importlib
import os
import random
from collections.abc import Callable, Mapping

PRELOADED = (
    "boto3",
    "crmsync.adapters.dynamodb",
    "crmsync.adapters.secrets",
    "crmsync.adapters.sqs_queue",
    "crmsync.services.tenants",
)


def snapshotting(env: Mapping[str, str] = os.environ) -> bool:
    """True during the init Lambda snapshots (a SnapStart version being published)."""
    return env.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"


def prepare_snapshot(*preloads: Callable[[], object], env: Mapping[str, str] = os.environ) -> bool:
    """Under SnapStart only: run `preloads` (imports, never a client) and reseed `random` in every
    restored copy. Returns whether it did."""
    if not snapshotting(env):
        return False
    for preload in preloads:
        preload()
    from snapshot_restore_py import register_after_restore  # Lambda's python3.12 runtime provides it

    register_after_restore(reseed_random)
    return True


def reseed_random() -> None:
    random.seed()


def preload_adapters() -> None:
    """boto3, the AWS adapters and the tenant service, imported (their clients are still built on first use)."""
    for module in PRELOADED:
        importlib.import_module(module)
