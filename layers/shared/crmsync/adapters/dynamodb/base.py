"""What every area of the DynamoDB store shares: the table and the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from crmsync.adapters.dynamodb.table import Table

Clock = Callable[[], datetime]


class StoreBase:
    _table: Table
    _clock: Clock
