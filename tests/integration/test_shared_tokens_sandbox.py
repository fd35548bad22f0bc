"""Shared access tokens against the CRM sandbox's real token endpoint (issue 13, point 2).

Each client here stands for one execution environment: its own HTTP client, its own in-process
token cache and its own lease holder, sharing only the table. The sandbox counts the token calls.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from crmsync.adapters.crm import ZohoCrmClient
from crmsync.adapters.dynamodb.tokens import DynamoTokenRecords
from crmsync.adapters.token_sharing import SharedTokens
from crmsync.ports.errors import AuthorizationExpired

pytest_plugins = ["tests.integration.sandbox_fixtures", "tests.integration.table_fixtures"]

TOKEN_CALLS = "POST /oauth/v2/token"
CONTAINERS = 6


@pytest.fixture
def records(moto_table) -> DynamoTokenRecords:
    return DynamoTokenRecords(moto_table)


def cold_containers(sandbox, seed, records, count: int = CONTAINERS) -> list[ZohoCrmClient]:
    return [
        ZohoCrmClient.connect(
            sandbox.credentials(seed), policy=sandbox.retry_policy, shared_tokens=SharedTokens(records)
        )
        for _ in range(count)
    ]


def all_at_once(clients: list[ZohoCrmClient]) -> list[str]:
    start = threading.Barrier(len(clients))

    def call(client: ZohoCrmClient) -> str:
        start.wait()
        return client.get_org().id

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(call, clients))


def test_cold_containers_starting_together_make_one_token_call(crm_sandbox, records):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})
    org_ids = all_at_once(cold_containers(crm_sandbox, seed, records))
    assert len(set(org_ids)) == 1
    assert crm_sandbox.calls()[TOKEN_CALLS] == 1


def test_after_expiry_the_containers_make_one_refresh_between_them(crm_sandbox, records):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})
    crm_sandbox.set_limits(token_expires_in=2)  # usable 1.8 s: the margin is a tenth of the lifetime
    clients = cold_containers(crm_sandbox, seed, records)
    all_at_once(clients)
    threading.Event().wait(2.0)
    all_at_once(clients)
    assert crm_sandbox.calls()[TOKEN_CALLS] == 2


def test_a_revoked_refresh_token_is_refused_once_and_every_container_says_reconnect(crm_sandbox, records):
    seed = crm_sandbox.seed({"generate": {"Accounts": 1}})
    credentials = crm_sandbox.credentials(seed)
    httpx.post(
        f"{credentials.base_url}/oauth/v2/token/revoke",
        params={"token": credentials.refresh_token.get_secret_value()},
    ).raise_for_status()
    outcomes = []
    for client in cold_containers(crm_sandbox, seed, records, count=3):
        with pytest.raises(AuthorizationExpired) as refused:
            client.get_org()
        outcomes.append(refused.value)
    assert crm_sandbox.calls()[TOKEN_CALLS] == 1
    assert len(outcomes) == 3
