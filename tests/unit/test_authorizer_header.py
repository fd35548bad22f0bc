"""Parsing of the Authorization header by the REQUEST authorizer."""

import json
from pathlib import Path

import pytest

from crmsync.api.authorizer import Unauthorized, authorize, bearer_key

EVENT = json.loads(Path("events/authorizer/request.json").read_text())


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({"Authorization": "Bearer csk_abc"}, "csk_abc"),
        ({"authorization": "bearer   csk_abc  "}, "csk_abc"),
        ({"Authorization": "Basic csk_abc"}, None),
        ({"Authorization": "Bearer "}, None),
        ({}, None),
    ],
)
def test_bearer_key_is_read_case_insensitively_when_scheme_is_bearer(headers, expected):
    assert bearer_key(headers) == expected


def test_authorizer_allows_every_route_of_the_stage_with_tenant_context_when_key_resolves():
    policy = authorize(EVENT, lambda key: "tenant-1" if key == "API_KEY" else None)
    assert policy["principalId"] == "tenant-1"
    assert policy["context"] == {"tenant_id": "tenant-1"}
    statement = policy["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == ["arn:aws:execute-api:us-east-1:123456789012:abcdef123/dev/*/*"]


def test_authorizer_raises_unauthorized_when_key_is_unknown():
    with pytest.raises(Unauthorized, match="^Unauthorized$"):
        authorize(EVENT, lambda key: None)
