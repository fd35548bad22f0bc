"""The generated contract is complete: every operation documents its success and every error it can
answer, in the error shape (issue "Hardening every edge", point 5)."""

from __future__ import annotations

import pytest

from crmsync.api.openapi import build_openapi

DOCUMENT = build_openapi()
ERROR_REF = "#/components/schemas/ErrorResponse"
BODYLESS = {"202", "204"}  # may document no body, but only explicitly (an empty `content`)

OPERATIONS = [
    pytest.param(method, path, operation, id=f"{method.upper()} {path}")
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]


def _schema(response: dict) -> dict | None:
    return (response.get("content") or {}).get("application/json", {}).get("schema")


def _public(operation: dict) -> bool:
    return operation.get("security") == []


def _page(response: dict) -> bool:
    """A page for a browser (a route the vendor's consent sends the admin's browser to), not JSON."""
    content = response.get("content") or {}
    return bool(content) and "application/json" not in content


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_every_operation_documents_a_success_with_its_model(method, path, operation):
    successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
    redirects = {code for code, r in operation["responses"].items() if code.startswith("3") and _page(r)}
    assert successes or redirects, "no 2xx response (or a page's redirect) documented"
    for code, response in successes.items():
        if response.get("content") == {}:
            assert code in BODYLESS, f"{code} documents no body"
        elif not _page(response):
            assert "$ref" in (_schema(response) or {}), f"{code} is not a named model"


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_every_error_is_in_the_error_shape(method, path, operation):
    for code, response in operation["responses"].items():
        if code[0] in "45" and not _page(response):
            assert _schema(response) == {"$ref": ERROR_REF}, f"{code} is not the error shape"


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_errors_every_route_may_answer(method, path, operation):
    responses = operation["responses"]
    assert {"422", "429", "503"} <= responses.keys()
    for code in ("429", "503"):
        assert "Retry-After" in responses[code].get("headers", {}), f"{code} without Retry-After"
    if not _public(operation):
        assert "401" in responses


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_a_route_with_a_body_documents_the_bad_body_errors(method, path, operation):
    if "requestBody" in operation:
        assert {"400", "413", "415", "422"} <= operation["responses"].keys()


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_a_route_with_a_path_parameter_documents_404(method, path, operation):
    # On the webhook only a path no route matches is 404: an unknown integration is 401 there.
    if "{" in path:
        assert "404" in operation["responses"]


def test_the_webhook_documents_401_for_a_bad_channel_token():
    webhook = DOCUMENT["paths"]["/webhooks/crm/{integration_id}"]["post"]
    assert _public(webhook) and "401" in webhook["responses"]


def test_the_created_and_accepted_routes():
    paths = DOCUMENT["paths"]
    assert "201" in paths["/integrations"]["post"]["responses"]
    assert "202" in paths["/integrations/{integration_id}"]["delete"]["responses"]
    assert "202" in paths["/integrations/{integration_id}/sync"]["post"]["responses"]
    assert paths["/integrations/{integration_id}/transactions/{type}/{txn_id}/deal"]["delete"]["responses"][
        "204"
    ]["content"] == {}
