"""A fresh table of the template's shape in moto, for adapters beside the store that keep their own
items (shared tokens, shared budgets). Load with `pytest_plugins = ["tests.integration.table_fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from crmsync.adapters.dynamodb import DynamoStore
from crmsync.adapters.dynamodb.table import Table
from local.dynamodb_local import create_tables
from local.template import Template
from tests.conftest import AtomicRequests

CREDENTIALS = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}


@pytest.fixture
def moto_table(monkeypatch) -> Iterator[Table]:
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = AtomicRequests(boto3.client("dynamodb"))
        create_tables(None, Template(), names={"Table": "shared"}, only={"Table"}, client=client)
        yield DynamoStore("shared", client=client).table
