"""What every area of the DynamoDB store shares: the table and the clock."""

from __future__ import annotations

from crmsync.adapters.dynamodb.table import Table
from crmsync.ports.clock import Clock


class StoreBase:
    _table: Table
    _clock: Clock
