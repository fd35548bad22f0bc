"""The API handler through API Gateway proxy events: tenancy, error shape (issue 2 point 7)."""

import json
from datetime import UTC, datetime

import pytest

from crmsync.domain.models import Integration, Role
from tests.conftest import FakeContext, load_handler, sample_event


@pytest.fixture
def handler(aws):
    return load_handler("integration_lifecycle")


def call(handler, event):
    reply = handler(event, FakeContext())
    return reply["statusCode"], json.loads(reply["body"])


def event_for(name, tenant_id, integration_id=None):
    event = sample_event("integration_lifecycle", name)
    event["requestContext"]["authorizer"].update(principalId=tenant_id, tenant_id=tenant_id)
    if integration_id:
        event["path"] = f"/integrations/{integration_id}"
        event["pathParameters"] = {"integration_id": integration_id}
    return event


def make_integration(container, tenant_id, integration_id="int-1"):
    now = datetime.now(UTC)
    integration = Integration(
        integration_id=integration_id, tenant_id=tenant_id, role=Role.PRIMARY, crm_org_id="crm-1",
        inventory_org_id="inv-1", crm_data_center="com", inventory_data_center="com", two_way=True,
        created_at=now, updated_at=now,
    )
    container.store.create_integration(integration)
    return integration


def test_list_is_empty_when_tenant_has_no_integrations(aws, handler):
    tenant = aws.tenants.create_tenant("Acme")
    status, body = call(handler, event_for("list_integrations", tenant.tenant_id))
    assert status == 200
    assert body == {"integrations": [], "next_cursor": None}


def test_integration_is_visible_to_its_tenant_only(aws, handler):
    owner = aws.tenants.create_tenant("Owner")
    other = aws.tenants.create_tenant("Other")
    make_integration(aws, owner.tenant_id)

    status, body = call(handler, event_for("get_integration", owner.tenant_id, "int-1"))
    assert status == 200 and body["integration_id"] == "int-1" and body["state"] == "active"

    status, body = call(handler, event_for("get_integration", other.tenant_id, "int-1"))
    assert status == 404
    assert body["error"]["code"] == "not_found" and "int-1" in body["error"]["message"]
    status, body = call(handler, event_for("list_integrations", other.tenant_id))
    assert body["integrations"] == []


def test_request_without_authorizer_context_gets_401_in_error_shape(aws, handler):
    event = sample_event("integration_lifecycle", "list_integrations")
    del event["requestContext"]["authorizer"]
    status, body = call(handler, event)
    assert status == 401
    assert set(body["error"]) == {"code", "message", "details"}


def test_invalid_query_gets_422_naming_the_field(aws, handler):
    tenant = aws.tenants.create_tenant("Acme")
    event = event_for("list_integrations", tenant.tenant_id)
    event["queryStringParameters"] = {"limit": "zero"}
    event["multiValueQueryStringParameters"] = {"limit": ["zero"]}
    status, body = call(handler, event)
    assert status == 422
    assert body["error"]["details"]["fields"][0]["field"] == "query.limit"


def test_bad_pagination_cursor_gets_400(aws, handler):
    tenant = aws.tenants.create_tenant("Acme")
    event = event_for("list_integrations", tenant.tenant_id)
    event["queryStringParameters"] = {"cursor": "not-a-cursor"}
    event["multiValueQueryStringParameters"] = {"cursor": ["not-a-cursor"]}
    status, body = call(handler, event)
    assert status == 400 and body["error"]["code"] == "invalid_cursor"


def test_unknown_route_gets_404_in_error_shape(aws, handler):
    tenant = aws.tenants.create_tenant("Acme")
    event = event_for("list_integrations", tenant.tenant_id)
    event["path"] = "/nothing-here"
    status, body = call(handler, event)
    assert status == 404 and body["error"]["code"] == "not_found"
