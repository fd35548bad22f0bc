"""The shared access-token records (`adapters/token_sharing.py`) in the table.

One item per refresh token: pk=TOKEN#{key}, sk=TOKEN, written whole with the version read as its
condition, and expiring (TTL) a day after both its token and its refresh window are over.
"""

from __future__ import annotations

from dataclasses import asdict

from crmsync.adapters.dynamodb.codec import deserialize, serialize
from crmsync.adapters.dynamodb.table import ABSENT, Condition, ConditionFailed, Table
from crmsync.adapters.token_sharing import WINDOW_S, TokenRecord

TOKEN = "TOKEN"
_KEEP_S = 86_400


def _key(key: str) -> dict[str, str]:
    return {"pk": f"{TOKEN}#{key}", "sk": TOKEN}


class DynamoTokenRecords:
    def __init__(self, table: Table):
        self._table = table

    def read(self, key: str) -> TokenRecord | None:
        item = self._table.get(_key(key))
        if item is None:
            return None
        values = deserialize(item)
        return TokenRecord(
            **{name: values.get(name, default) for name, default in asdict(TokenRecord()).items()}
        )

    def write(self, key: str, record: TokenRecord) -> bool:
        expires = max(record.valid_until, record.window_start + WINDOW_S) + _KEEP_S
        values = {name: value for name, value in asdict(record).items() if value is not None}
        item = serialize({**_key(key), **values, "expires_at": int(expires)})
        condition = (
            ABSENT
            if record.version == 1
            else Condition("#v = :previous", {"#v": "version"}, {":previous": record.version - 1})
        )
        try:
            self._table.put(item, condition)
        except ConditionFailed:
            return False
        return True
