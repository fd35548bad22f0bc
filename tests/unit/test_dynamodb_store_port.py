"""The DynamoDB adapter offers every method of the Store port, with the port's signature."""

from __future__ import annotations

import inspect

import pytest

from crmsync.adapters.dynamodb import DynamoStore
from crmsync.ports.store import Store

PORT_METHODS = sorted(name for name in dir(Store) if not name.startswith("_"))


@pytest.mark.parametrize("name", PORT_METHODS)
def test_dynamo_store_matches_the_port_signature_when_compared(name):
    assert inspect.signature(getattr(DynamoStore, name)) == inspect.signature(getattr(Store, name))
