"""Fuzzing the public API on the local stack from the committed openapi.json (schemathesis).

Three passes, each a schemathesis test over the operations (its examples, coverage and fuzzing
phases, positive and negative data), checking that no answer is a 5xx, that every status is one the
operation documents and that every body conforms to the documented schema:

- tenant A (the demo tenant), `integration_id` fixed to A's connected and configured integration,
  so that generated requests get past the tenancy check into the services and the vendor sandboxes;
- tenant B (a second tenant), every parameter generated;
- isolation: tenant B's key with `integration_id` fixed to A's integration: every operation that
  takes it answers 404 (positive data only). The one other answer allowed is a 422 for a body the
  schema cannot fully describe, and only when the same request for an id that exists nowhere gets
  the very same 422: B must not be able to tell A's integration from no integration.

A connect's vendor hosts are pointed at the sandboxes (see `to_sandboxes`). FUZZ_EXAMPLES sets the
fuzzing phase's examples per operation (default 5, the same cases on every run, for CI); `make fuzz`
runs more with a random seed (FUZZ_SEED=<n> replays one). Hand-written cases for the edge live
elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
import schemathesis

from tests.e2e.sandbox_api import connect_body, seed

pytestmark = pytest.mark.stack

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.json"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
SEED = os.environ.get("FUZZ_SEED")
DETERMINISTIC = "FUZZ_EXAMPLES" not in os.environ  # CI replays the same cases; `make fuzz` explores
CHECKS = ("not_a_server_error", "status_code_conformance", "response_schema_conformance")
TENANT_ROUTES = r"^/integrations/\{integration_id\}"
CRM_USER = "u-fuzz"
UNKNOWN_ID = "0" * 32


def fuzz_schema(mode: str):
    settings: dict = {
        "generation": {
            "mode": mode,
            "max-examples": EXAMPLES,
            "deterministic": DETERMINISTIC,
            "database": "none",
        },
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "phases": {"stateful": {"enabled": False}},
        "suppress-health-check": ["all"],
        "request-timeout": 60,
    }
    if SEED:
        settings["seed"] = int(SEED)
    return schemathesis.openapi.from_path(OPENAPI, config=schemathesis.Config.from_dict(settings))


# The stack's address and the tenants' keys exist only once the fixtures ran, so each case gets them
# at call time, and the passes that aim at A's integration set its id on the case before the call.
SCHEMA = fuzz_schema("all")
ISOLATION = fuzz_schema("positive").include(path_regex=TENANT_ROUTES)


@pytest.fixture(scope="module")
def world(stack) -> dict:
    """Tenant A's integration, connected to the sandboxes, every module configured, T1 on."""
    key = {"Authorization": f"Bearer {stack.api_key}"}
    # A few records only: a sync the fuzzer starts runs in the stack while it goes on.
    inventory = seed(stack.endpoints["inventory"], {"organization": {"currency_code": "USD"}})
    crm = seed(
        stack.endpoints["crm"],
        {
            "org": {"edition": "enterprise", "iso_code": "USD"},
            "records": {"Accounts": [{"Account_Name": "Fuzz Ltd"}]},
        },
    )
    with httpx.Client(base_url=stack.api_url, headers=key, timeout=60) as api:
        created = api.post("/integrations", json=connect_body(stack, crm, inventory))
        assert created.status_code == 201, created.text
        path = f"/integrations/{created.json()['integration_id']}"
        for module, prefs in {
            "customers": {"crm_source": "accounts", "duplicates": "skip"},
            "vendors": {"duplicates": "skip"},
            "items": {"duplicates": "skip"},
        }.items():
            assert api.put(f"{path}/modules/{module}", json=prefs).status_code == 200
        assert api.post(f"{path}/transactions/enable").status_code == 200
        grants = {"grants": [{"user_id": CRM_USER, "permissions": ["create_quotes", "view_invoices"]}]}
        assert api.put(f"{path}/crm-permissions", json=grants).status_code == 200
    return {"integration_id": created.json()["integration_id"], "key_b": stack.new_tenant_key("Fuzz tenant B")}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def to_sandboxes(case, stack) -> None:
    """A connect names its vendors' hosts: the sandboxes. The real Zoho hosts (no `base_url`) are out
    of reach here and any other host is retried for minutes, which would only measure the back-off."""
    if case.operation.label != "POST /integrations" or not isinstance(case.body, dict):
        return
    for side in ("crm", "inventory"):
        if isinstance(case.body.get(side), dict):
            case.body[side]["base_url"] = stack.endpoints[side]


# The isolation pass runs first, while A's integration is as the fixture left it.
@ISOLATION.parametrize()
def test_another_tenants_integration_is_404_on_every_operation(case, stack, world):
    case.path_parameters["integration_id"] = world["integration_id"]
    response = case.call_and_validate(base_url=stack.api_url, headers=bearer(world["key_b"]))
    if response.status_code != 404:
        # Only a refusal that does not depend on the id may come first: a body the schema cannot
        # fully describe (e.g. "exactly one of user_id or role_id") is refused before any lookup,
        # and the same request for an id that exists nowhere must get the very same answer.
        case.path_parameters["integration_id"] = UNKNOWN_ID
        control = case.call(base_url=stack.api_url, headers=bearer(world["key_b"]))
        assert (response.status_code, response.text) == (422, control.text) and control.status_code == 422, (
            f"{case.operation.label}: {response.status_code} {response.text[:300]}"
        )


@SCHEMA.parametrize()
def test_fuzz_every_operation_as_a_second_tenant(case, stack, world):
    to_sandboxes(case, stack)
    case.call_and_validate(base_url=stack.api_url, headers=bearer(world["key_b"]))


@SCHEMA.parametrize()
def test_fuzz_every_operation_as_the_demo_tenant_on_its_integration(case, stack, world):
    if "integration_id" in (case.path_parameters or {}):
        case.path_parameters["integration_id"] = world["integration_id"]
    to_sandboxes(case, stack)
    user = (case.headers or {}).get("x-crm-user-id")
    if isinstance(user, str) and 1 <= len(user) <= 40:  # a valid user id becomes the one with grants
        case.headers["x-crm-user-id"] = CRM_USER
    case.call_and_validate(base_url=stack.api_url, headers=bearer(stack.api_key))

