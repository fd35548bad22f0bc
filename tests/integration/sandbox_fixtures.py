"""Fixtures: a fresh CRM or inventory sandbox per test, served over real HTTP on a free port.

Load with `pytest_plugins = ["tests.integration.sandbox_fixtures"]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crmsync.adapters.http import RetryPolicy
from crmsync.ports.secrets import OAuthCredentials
from local.sandboxes.common import run_in_thread

# Retries short enough for tests, patient enough to outlast a burst of injected faults.
FAST_RETRY = RetryPolicy(
    max_attempts=8, max_total_wait=20.0, initial_backoff=0.02, max_backoff=0.2, timeout=10.0
)


class Sandbox:
    """A running sandbox, its `/_sandbox/*` control routes, and the retry policy for its clients."""

    retry_policy = FAST_RETRY

    def __init__(self, base_url: str):
        self.base_url = base_url
        self._control = httpx.Client(base_url=base_url, timeout=60.0)

    def seed(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._send("POST", "/_sandbox/seed", body)

    def set_faults(self, *rules: dict[str, Any]) -> None:
        self._send("PUT", "/_sandbox/faults", {"faults": list(rules)})

    def set_limits(self, **limits: Any) -> dict[str, Any]:
        return self._send("PUT", "/_sandbox/limits", limits)

    def calls(self) -> dict[str, int]:
        return self._send("GET", "/_sandbox/calls")["calls"]

    def credentials(self, seed: dict[str, Any]) -> OAuthCredentials:
        """The seeded OAuth client, pointed at this sandbox through `base_url`."""
        return OAuthCredentials(
            client_id=seed["client_id"],
            client_secret=seed["client_secret"],
            refresh_token=seed["refresh_token"],
            base_url=self.base_url,
        )

    def close(self) -> None:
        self._control.close()

    def _send(self, method: str, path: str, body: Any = None) -> Any:
        response = self._control.request(method, path, json=body)
        response.raise_for_status()
        return response.json()


def _serve(app: Any) -> Iterator[Sandbox]:
    server = run_in_thread(app)
    sandbox = Sandbox(server.base_url)
    try:
        yield sandbox
    finally:
        sandbox.close()
        server.stop()


@pytest.fixture
def crm_sandbox() -> Iterator[Sandbox]:
    from local.sandboxes.crm import create_app

    yield from _serve(create_app())


@pytest.fixture
def inventory_sandbox() -> Iterator[Sandbox]:
    from local.sandboxes.inventory import create_app

    yield from _serve(create_app())
