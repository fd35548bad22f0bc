"""The local stack for end-to-end tests: one per module, on free ports, DynamoDB Local in memory.

Module-scoped, not session-scoped: the stack's moto server shares moto's in-process state with
the `mock_aws` fixtures of other test folders, so it must be stopped before they run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest

from local.stack import LocalStack

RETRY_DELAY_SECONDS = 1  # failed SQS messages come back after 1 s instead of the queue's VisibilityTimeout


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    if shutil.which("java") is None:
        pytest.skip("DynamoDB Local needs Java")
    with LocalStack(free_ports=True, in_memory=True, retry_delay=RETRY_DELAY_SECONDS) as running:
        yield running


@pytest.fixture
def api(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, timeout=30) as client:
        yield client
