"""DynamoDB adapter of the store port (single-table design; see store.py for the keys)."""

from crmsync.adapters.dynamodb.store import DynamoStore

__all__ = ["DynamoStore"]
