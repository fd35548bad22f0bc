"""The shared vendor budget counters (`adapters/shared_budget.py`) in the table.

One item per vendor organization: pk=BUDGET#{key}, sk=BUDGET, with a window and a count per limit
(`minute_w`/`minute_n`, `day_w`/`day_n`), the learned `day_cap` and `day_offset`, and a TTL. A
take is one UpdateItem whose condition holds every limit to its window and ceiling.
"""

from __future__ import annotations

import time

from crmsync.adapters.dynamodb.codec import deserialize
from crmsync.adapters.dynamodb.table import Condition, ConditionFailed, Table
from crmsync.adapters.shared_budget import Ask, Counter, Stored

BUDGET = "BUDGET"
_KEEP_S = 2 * 86_400


def _key(key: str) -> dict[str, str]:
    return {"pk": f"{BUDGET}#{key}", "sk": BUDGET}


class DynamoBudgetCounters:
    def __init__(self, table: Table, wall=time.time):
        self._table = table
        self._wall = wall

    def read(self, key: str) -> Stored:
        return _stored(self._table.get(_key(key)))

    def take(self, key: str, asks: list[Ask]) -> tuple[bool, Stored]:
        sets, adds, conditions = ["#ttl = :ttl"], [], []
        names: dict[str, str] = {"#ttl": "expires_at"}
        values: dict[str, object] = {":ttl": int(self._wall() + _KEEP_S)}
        for i, ask in enumerate(asks):
            names[f"#w{i}"], names[f"#n{i}"] = f"{ask.name}_w", f"{ask.name}_n"
            values[f":w{i}"], values[f":n{i}"] = ask.window, ask.n
            if ask.fresh:
                sets += [f"#w{i} = :w{i}", f"#n{i} = :n{i}"]
                conditions.append(f"(attribute_not_exists(#w{i}) OR #w{i} < :w{i})")
            else:
                adds.append(f"#n{i} :n{i}")
                values[f":m{i}"] = ask.most - ask.n
                conditions.append(f"(#w{i} = :w{i} AND #n{i} <= :m{i})")
        expression = "SET " + ", ".join(sets) + (" ADD " + ", ".join(adds) if adds else "")
        try:
            item = self._table.update(
                _key(key), expression, names, values, Condition(" AND ".join(conditions), {}, {})
            )
        except ConditionFailed as refused:
            return False, _stored(refused.item)
        return True, _stored(item)

    def learn(self, key: str, *, day_cap: int | None, day_offset: float | None) -> None:
        learned = {
            name: value
            for name, value in (("day_cap", day_cap), ("day_offset", day_offset))
            if value is not None
        }
        if learned:
            expression = "SET " + ", ".join(f"#{name} = :{name}" for name in learned)
            names = {f"#{name}": name for name in learned}
            self._table.update(
                _key(key), expression, names, {f":{name}": value for name, value in learned.items()}
            )

    def catch_up(self, key: str, window: int, used: int) -> None:
        condition = Condition(
            "attribute_not_exists(#w) OR #w < :w OR (#w = :w AND #n < :used)", {"#w": "day_w"}, {":w": window}
        )
        try:
            self._table.update(
                _key(key), "SET #w = :w, #n = :used", {"#n": "day_n"}, {":used": used}, condition
            )
        except ConditionFailed:
            pass  # another window by now, or the count is already higher


def _stored(item) -> Stored:
    values = deserialize(item) if item else {}
    counters = {
        name.removesuffix("_w"): Counter(int(value), int(values.get(name.removesuffix("_w") + "_n", 0)))
        for name, value in values.items()
        if name.endswith("_w")
    }
    offset = values.get("day_offset")
    return Stored(counters, values.get("day_cap"), None if offset is None else float(offset))
