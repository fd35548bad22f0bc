"""Tenants and API keys end to end through the authorizer handler and the operator CLI (issue 2 points 2, 5, 6)."""

import io
import logging

import pytest

from crmsync import admin
from crmsync.api.authorizer import Unauthorized
from crmsync.observability import logger
from tests.conftest import FakeContext, load_handler, sample_event


def authorizer_event(raw_key):
    event = sample_event("authorizer", "request")
    event["headers"] = {"Authorization": f"Bearer {raw_key}"}
    return event


def test_issued_key_resolves_to_its_tenant_and_stops_working_when_revoked(aws):
    handler = load_handler("authorizer")
    tenant = aws.tenants.create_tenant("Acme")
    key_id, raw_key = aws.tenants.issue_key(tenant.tenant_id)

    policy = handler(authorizer_event(raw_key), FakeContext())
    assert policy["context"]["tenant_id"] == tenant.tenant_id

    aws.tenants.revoke_key(tenant.tenant_id, key_id)
    with pytest.raises(Exception, match="^Unauthorized$"):
        handler(authorizer_event(raw_key), FakeContext())


def test_only_the_hash_of_a_key_is_stored(aws):
    tenant = aws.tenants.create_tenant("Acme")
    _, raw_key = aws.tenants.issue_key(tenant.tenant_id)
    [record] = aws.store.list_api_keys(tenant.tenant_id)
    assert raw_key not in record.model_dump_json()
    assert len(record.key_hash) == 64


def test_key_never_reaches_the_logs_when_authorizing(aws, caplog):
    handler = load_handler("authorizer")
    tenant = aws.tenants.create_tenant("Acme")
    _, raw_key = aws.tenants.issue_key(tenant.tenant_id)
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(logger.registered_formatter)  # the formatter production uses
    logger.addHandler(capture)
    try:
        handler(authorizer_event(raw_key), FakeContext())
        with pytest.raises(Unauthorized):
            handler(authorizer_event(raw_key + "x"), FakeContext())
    finally:
        logger.removeHandler(capture)
    logged = stream.getvalue()
    assert tenant.tenant_id in logged  # the log lines exist and carry the tenant id
    assert raw_key not in logged + caplog.text


def test_cli_creates_tenant_issues_lists_and_revokes(aws):
    def cli(*argv):
        out = io.StringIO()
        assert admin.main(list(argv), out=out) == 0  # `crmsync-admin`, now an alias of `crmsync`
        return out.getvalue()

    tenant_id = cli("create-tenant", "--name", "Café Münster GmbH").split()[2]
    issued = cli("issue-key", "--tenant", tenant_id)
    key_id = issued.split()[2]
    raw_key = issued.rsplit(" ", 1)[1].strip()
    assert aws.tenants.resolve_key(raw_key) == tenant_id
    assert "Café Münster GmbH" in cli("list-tenants")
    cli("revoke-key", "--tenant", tenant_id, "--key-id", key_id)
    assert aws.tenants.resolve_key(raw_key) is None


def test_cli_reports_unknown_tenant_as_an_error(aws, capsys):
    assert admin.main(["issue-key", "--tenant", "nope"]) == 2
    assert "no tenant nope" in capsys.readouterr().err
