"""The store builds its own boto3 client: from the environment, as in Lambda and in the local stack."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from crmsync.adapters.dynamodb import DynamoStore
from local.dynamodb_local import create_tables

CREDENTIALS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


@pytest.fixture
def aws_environment(monkeypatch):
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_store_uses_default_client_when_given_only_a_table_name(aws_environment, template, table_name, make):
    with mock_aws():
        create_tables(None, template, names={"Table": table_name}, only={"Table"})
        store = DynamoStore(table_name)
        tenant = make.tenant()
        store.create_tenant(tenant)
        assert store.get_tenant(tenant.tenant_id) == tenant


@pytest.mark.dynamodb_local
def test_store_follows_aws_endpoint_url_dynamodb_when_set(
    aws_environment, dynamodb_local, template, table_name, make
):
    create_tables(dynamodb_local.endpoint_url, template, names={"Table": table_name}, only={"Table"})
    aws_environment.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local.endpoint_url)
    store = DynamoStore(table_name)
    tenant = make.tenant()
    store.create_tenant(tenant)
    assert DynamoStore(table_name, session=boto3.session.Session()).get_tenant(tenant.tenant_id) == tenant


@pytest.mark.dynamodb_local
def test_create_tables_skips_existing_tables_and_enables_ttl_when_run_twice(
    dynamodb_local, template, table_name
):
    names = {"Table": table_name}
    assert create_tables(dynamodb_local.endpoint_url, template, names=names) == names
    assert create_tables(dynamodb_local.endpoint_url, template, names=names) == names
    client = boto3.client(
        "dynamodb",
        endpoint_url=dynamodb_local.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    ttl = client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
