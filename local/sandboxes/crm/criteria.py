"""Search criteria `((Field:operator:value)and(...))`: parsing, checking against fields, matching."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .clock import parse_moment
from .errors import CrmError
from .schema import LOOKUP_TYPES, NUMBER_TYPES, ModuleMeta, meta_id

MAX_CONDITIONS = 10
MAX_IN_VALUES = 100
TEXT_OPERATORS = {"equals", "not_equal", "starts_with", "in"}
ORDERED_OPERATORS = {
    "equals",
    "not_equal",
    "greater_equal",
    "greater_than",
    "less_equal",
    "less_than",
    "between",
    "in",
}
COMPARATORS = {"equals": "equal"}  # criteria operator -> custom view comparator name
UNESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    operator: str  # and | or
    items: tuple[Condition | Group, ...]


Criteria = Condition | Group
Matcher = Callable[[dict[str, Any]], bool]


def invalid_query(reason: str, **details: Any) -> CrmError:
    return CrmError("INVALID_QUERY", "Invalid query formed", reason=reason, **details)


def parse(text: str) -> Criteria:
    parser = _Parser(text.strip())
    tree = parser.expression()
    if parser.pos != len(parser.text):
        raise invalid_query("invalid criteria syntax")
    if count_conditions(tree) > MAX_CONDITIONS:
        raise CrmError(
            "LIMIT_EXCEEDED", "criteria has too many conditions", param="criteria", limit=MAX_CONDITIONS
        )
    return tree


def count_conditions(tree: Criteria) -> int:
    return 1 if isinstance(tree, Condition) else sum(count_conditions(item) for item in tree.items)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def expression(self) -> Criteria:
        """or-separated terms of and-separated terms: `and` binds tighter."""
        ors = [self._conjunction()]
        while self._keyword("or"):
            ors.append(self._conjunction())
        return ors[0] if len(ors) == 1 else Group("or", tuple(ors))

    def _conjunction(self) -> Criteria:
        ands = [self._term()]
        while self._keyword("and"):
            ands.append(self._term())
        return ands[0] if len(ands) == 1 else Group("and", tuple(ands))

    def _keyword(self, word: str) -> bool:
        if self.text[self.pos : self.pos + len(word)].lower() == word:
            self.pos += len(word)
            return True
        return False

    def _term(self) -> Criteria:
        if self.pos >= len(self.text) or self.text[self.pos] != "(":
            raise invalid_query("invalid criteria syntax")
        self.pos += 1
        if self.text[self.pos : self.pos + 1] == "(":
            tree = self.expression()
        else:
            tree = self._condition()
        if self.text[self.pos : self.pos + 1] != ")":
            raise invalid_query("invalid criteria syntax")
        self.pos += 1
        return tree

    def _condition(self) -> Condition:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] != ")":
            self.pos += 2 if self.text[self.pos] == "\\" else 1
        parts = self.text[start : self.pos].split(":", 2)
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise invalid_query("invalid criteria syntax")
        field, operator, raw = parts
        pieces = re.split(r"(?<!\\),", raw) if operator in {"in", "between"} else [raw]
        return Condition(field.strip(), operator.strip(), tuple(UNESCAPE.sub(r"\1", p) for p in pieces))


class MatcherFactory:
    """Builds record predicates for one module; `display(module, id)` names a lookup target."""

    def __init__(
        self, meta: ModuleMeta, display: Callable[[str, str], str | None], user_name: Callable[[str], str]
    ):
        self.meta = meta
        self.display = display
        self.user_name = user_name

    def build(self, tree: Criteria, *, contains: bool, min_length: int = 0) -> Matcher:
        """`contains`: `equals` on text means contains (search); views compare exactly."""
        if isinstance(tree, Group):
            parts = [self.build(item, contains=contains, min_length=min_length) for item in tree.items]
            if tree.operator == "and":
                return lambda record: all(part(record) for part in parts)
            return lambda record: any(part(record) for part in parts)
        return self._condition(tree, contains, min_length)

    def _condition(self, cond: Condition, contains: bool, min_length: int) -> Matcher:
        name, _, suffix = cond.field.partition(".")
        f = self.meta.fields.get(name)
        if name == "id":
            kind = "id"
        elif f is None:
            raise invalid_query("invalid field found", api_name=cond.field)
        elif f.data_type in LOOKUP_TYPES:
            kind = "id" if suffix == "id" else "lookup"
        else:
            kind = f.data_type
        if cond.operator == "in" and len(cond.values) > MAX_IN_VALUES:
            raise CrmError("LIMIT_EXCEEDED", "too many values for in", param="criteria", limit=MAX_IN_VALUES)
        getter = self._getter(name, kind, f.lookup if f else None)
        if kind in NUMBER_TYPES or kind in {"date", "datetime"}:
            return self._ordered(cond, kind, getter)
        if kind == "boolean":
            if cond.operator not in {"equals", "not_equal"}:
                raise invalid_query("invalid operator found", api_name=cond.field, operator=cond.operator)
            wanted = cond.values[0].lower() == "true"
            return lambda record: (
                (getter(record) is True) == wanted
                if cond.operator == "equals"
                else ((getter(record) is True) != wanted)
            )
        return self._text(cond, getter, contains and kind != "id", min_length)

    def _getter(self, name: str, kind: str, target: str | None) -> Callable[[dict[str, Any]], Any]:
        if kind == "lookup" and not target:  # owner lookups name a user
            return lambda record: self.user_name(record[name]) if record.get(name) else None
        if kind == "lookup":
            return lambda record: self.display(target or "", record[name]) if record.get(name) else None
        return lambda record: record.get(name)

    def _text(
        self, cond: Condition, getter: Callable[[dict[str, Any]], Any], contains: bool, min_length: int
    ) -> Matcher:
        if cond.operator not in TEXT_OPERATORS:
            raise invalid_query("invalid operator found", api_name=cond.field, operator=cond.operator)
        wanted = [v.strip().casefold() for v in cond.values]
        if min_length and any(len(v) < min_length for v in wanted):
            raise invalid_query(
                f"the value should have at least {min_length} characters", api_name=cond.field
            )

        def texts(record: dict[str, Any]) -> list[str]:
            value = getter(record)
            values = value if isinstance(value, list) else [] if value is None else [value]
            return [str(v).casefold() for v in values]

        op = cond.operator
        if op == "starts_with":
            return lambda record: any(t.startswith(wanted[0]) for t in texts(record))
        if op == "in":
            return lambda record: any(t in wanted for t in texts(record))

        def hit(record: dict[str, Any]) -> bool:
            return any((wanted[0] in t) if contains else (t == wanted[0]) for t in texts(record))

        return hit if op == "equals" else lambda record: not hit(record)

    def _ordered(self, cond: Condition, kind: str, getter: Callable[[dict[str, Any]], Any]) -> Matcher:
        if cond.operator not in ORDERED_OPERATORS:
            raise invalid_query("invalid operator found", api_name=cond.field, operator=cond.operator)
        try:
            wanted = [_coerce(kind, v) for v in cond.values]
        except ValueError:
            raise invalid_query("invalid value found", api_name=cond.field) from None
        if cond.operator == "between" and len(wanted) != 2:
            raise invalid_query("between needs two values", api_name=cond.field)
        tests: dict[str, Callable[[Any], bool]] = {
            "equals": lambda v: v == wanted[0],
            "not_equal": lambda v: v != wanted[0],
            "greater_than": lambda v: v > wanted[0],
            "greater_equal": lambda v: v >= wanted[0],
            "less_than": lambda v: v < wanted[0],
            "less_equal": lambda v: v <= wanted[0],
            "between": lambda v: wanted[0] <= v <= wanted[-1],
            "in": lambda v: v in wanted,
        }
        test = tests[cond.operator]

        def match(record: dict[str, Any]) -> bool:
            value = getter(record)
            if value is None:
                return cond.operator == "not_equal"
            return test(_coerce(kind, value) if isinstance(value, str) else value)

        return match


def _coerce(kind: str, value: str) -> float | date | datetime:
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "datetime":
        return parse_moment(value)
    return float(value)


def describe(tree: Criteria, meta: ModuleMeta) -> dict[str, Any]:
    """The custom view `criteria` object as `/settings/custom_views/{id}` returns it."""
    if isinstance(tree, Group):
        return {"group_operator": tree.operator, "group": [describe(item, meta) for item in tree.items]}
    name = tree.field.partition(".")[0]
    value: Any = list(tree.values) if tree.operator in {"in", "between"} else tree.values[0]
    return {
        "comparator": COMPARATORS.get(tree.operator, tree.operator),
        "field": {"api_name": tree.field, "id": meta_id(f"field:{meta.api_name}:{name}")},
        "value": value,
    }
