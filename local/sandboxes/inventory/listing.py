"""List mechanics shared by every list route: filters, sorting and `page_context` paging."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from starlette.datastructures import QueryParams

from .errors import invalid_value
from .store import Record
from .wire import parse_timestamp

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class ListSpec:
    report_name: str
    sort_columns: dict[str, Callable[[Record], Any]]
    default_sort: str
    default_order: str = "A"


def by_key(key: str) -> Callable[[Record], Any]:
    """A sort or filter reader for one record key."""
    return lambda record: record.get(key)


def text_filters(
    records: Iterable[Record], query: QueryParams, fields: dict[str, Callable[[Record], Any]]
) -> list[Record]:
    """`field`, `field_startswith` and `field_contains`, all case-insensitive."""
    selected = list(records)
    for name, read in fields.items():
        for suffix, test in (
            ("", lambda value, wanted: value == wanted),
            ("_startswith", lambda value, wanted: value.startswith(wanted)),
            ("_contains", lambda value, wanted: wanted in value),
        ):
            wanted = query.get(name + suffix)
            if wanted is not None:
                needle = wanted.casefold()
                selected = [r for r in selected if test(str(read(r) or "").casefold(), needle)]
    return selected


def equal_filters(records: Iterable[Record], query: QueryParams, fields: Iterable[str]) -> list[Record]:
    """Exact matches on id-like fields (`customer_id`, `zcrm_product_id`, ...)."""
    selected = list(records)
    for name in fields:
        wanted = query.get(name)
        if wanted is not None:
            selected = [r for r in selected if str(r.get(name) or "") == wanted]
    return selected


def modified_since(records: Iterable[Record], query: QueryParams, tz: tzinfo) -> list[Record]:
    """`last_modified_time=<timestamp>` keeps records modified at or after it (inclusive)."""
    raw = query.get("last_modified_time")
    if raw is None:
        return list(records)
    since = parse_timestamp(raw, "last_modified_time", tz)
    return [r for r in records if r["last_modified_time"] >= since]


def search_text(records: Iterable[Record], query: QueryParams, fields: Iterable[str]) -> list[Record]:
    raw = query.get("search_text")
    if not raw:
        return list(records)
    needle = raw.casefold()
    names = tuple(fields)
    return [r for r in records if any(needle in str(r.get(f) or "").casefold() for f in names)]


def page(
    records: list[Record], query: QueryParams, spec: ListSpec, applied_filter: str
) -> tuple[list[Record], dict[str, Any]]:
    """Sort, then cut one page; returns the page and its `page_context`."""
    column = query.get("sort_column", spec.default_sort)
    if column not in spec.sort_columns:
        raise invalid_value("sort_column")
    order = query.get("sort_order", spec.default_order)
    if order not in ("A", "D"):
        raise invalid_value("sort_order")
    number = _positive_int(query.get("page", "1"), "page")
    per_page = _positive_int(query.get("per_page", str(MAX_PER_PAGE)), "per_page")
    if per_page > MAX_PER_PAGE:
        raise invalid_value("per_page")
    read = spec.sort_columns[column]
    ordered = sorted(records, key=lambda r: _sort_key(read(r)), reverse=order == "D")
    start = (number - 1) * per_page
    context = {
        "page": number,
        "per_page": per_page,
        "has_more_page": len(ordered) > start + per_page,
        "report_name": spec.report_name,
        "applied_filter": applied_filter,
        "sort_column": column,
        "sort_order": order,
    }
    return ordered[start : start + per_page], context


def _sort_key(value: Any) -> tuple[bool, Any]:
    if isinstance(value, str):
        value = value.casefold()
    return (value is None, value if value is not None else 0)


def _positive_int(raw: str, name: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise invalid_value(name) from None
    if value < 1:
        raise invalid_value(name)
    return value
