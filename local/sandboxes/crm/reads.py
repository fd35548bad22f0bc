"""Record reads: list with page/page_token rules, search, count and the recycle bin."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .clock import iso
from .criteria import Matcher, invalid_query, parse
from .data import CrmData
from .errors import CrmError, invalid_param

DISCRETE_LIMIT = 2_000  # records reachable with page/per_page
SEARCH_LIMIT = 2_000
SORT_FIELDS = ("id", "Created_Time", "Modified_Time")
TEXT_KINDS = {"text", "textarea", "email", "phone", "website", "picklist", "autonumber"}

Page = tuple[int, dict[str, Any] | None]  # HTTP status and JSON body (None: empty body)


@dataclass(frozen=True)
class ListQuery:
    module: str
    fields: tuple[str, ...]
    per_page: int
    sort_by: str
    sort_order: str
    cvid: str | None
    ids: tuple[str, ...] | None
    modified_since: datetime | None

    def binding(self) -> tuple[Any, ...]:
        """What a page token is bound to (everything but the position)."""
        return (
            self.module,
            tuple(sorted(self.fields)),
            self.per_page,
            self.sort_by,
            self.sort_order,
            self.cvid,
            self.ids,
            self.modified_since,
        )


@dataclass
class PageToken:
    principal: str
    binding: tuple[Any, ...]
    after: tuple[Any, ...]
    served: int
    expires_at: datetime


@dataclass
class PageTokens:
    tokens: dict[str, PageToken] = field(default_factory=dict)

    def issue(self, token: PageToken) -> str:
        value = secrets.token_hex(40)
        self.tokens[value] = token
        return value

    def resolve(self, value: str, principal: str, binding: tuple[Any, ...], now: datetime) -> PageToken:
        token = self.tokens.get(value)
        if token is None or token.principal != principal:
            raise invalid_param("page_token", "invalid page token")
        if now >= token.expires_at:
            raise CrmError("EXPIRED_VALUE", "the page token has expired", param="page_token")
        if token.binding != binding:
            raise CrmError(
                "TOKEN_BOUND_DATA_MISMATCH", "the parameters do not match the page token", param="page_token"
            )
        return token


def sort_key(sort_by: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if sort_by == "id":
        return lambda record: (int(record["id"]),)
    return lambda record: (record[sort_by], int(record["id"]))


def list_records(
    data: CrmData,
    query: ListQuery,
    *,
    page: int | None,
    page_token: str | None,
    tokens: PageTokens,
    principal: str,
    now: datetime,
    token_ttl: int,
    ceiling: int,
) -> Page:
    rows = filtered(data, query.module, view_id=query.cvid)
    if query.ids is not None:
        wanted = set(query.ids)
        rows = [r for r in rows if r["id"] in wanted]
    if query.modified_since is not None:
        rows = [r for r in rows if r["Modified_Time"] > query.modified_since]
    key = sort_key(query.sort_by)
    desc = query.sort_order == "desc"
    rows.sort(key=key, reverse=desc)
    if page_token is not None:
        token = tokens.resolve(page_token, principal, query.binding(), now)
        start = next(
            (i for i, r in enumerate(rows) if (key(r) < token.after if desc else key(r) > token.after)),
            len(rows),
        )
        served, limit = token.served, ceiling
        if served >= ceiling:
            raise CrmError("PAGINATION_LIMIT_EXCEEDED", "pagination limit exceeded", limit=ceiling)
    else:
        start = served = ((page or 1) - 1) * query.per_page
        limit = DISCRETE_LIMIT
        if start >= DISCRETE_LIMIT:
            raise CrmError(
                "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                "use page_token to fetch records beyond 2000",
                limit=DISCRETE_LIMIT,
            )
    chunk = rows[start : start + min(query.per_page, limit - served)]
    if not chunk:
        return (304 if query.modified_since is not None else 204), None
    more = start + len(chunk) < len(rows)
    next_token, expiry = None, None
    if more:
        expires_at = now + timedelta(seconds=token_ttl)
        next_token = tokens.issue(
            PageToken(principal, query.binding(), key(chunk[-1]), served + len(chunk), expires_at)
        )
        expiry = iso(expires_at, data.org.zone)
    info = {
        "per_page": query.per_page,
        "count": len(chunk),
        "page": served // query.per_page + 1,
        "sort_by": query.sort_by,
        "sort_order": query.sort_order,
        "more_records": more,
        "next_page_token": next_token,
        "previous_page_token": None,
        "page_token_expiry": expiry,
        "call": False,
        "email": False,
    }
    return 200, {"data": [data.render(query.module, r, list(query.fields)) for r in chunk], "info": info}


def filtered(
    data: CrmData, module: str, *, view_id: str | None = None, match: Matcher | None = None
) -> list[dict[str, Any]]:
    rows = list(data.store.records[module].values())
    if view_id is not None:
        view = data.views.get(view_id)
        if view is None or view.module != module:
            raise invalid_param("cvid", "the given custom view id is invalid")
        if view.criteria is not None:
            view_match = data.matchers(module).build(view.criteria, contains=False)
            rows = [r for r in rows if view_match(r)]
    if match is not None:
        rows = [r for r in rows if match(r)]
    return rows


def search_matcher(data: CrmData, module: str, params: dict[str, str]) -> Matcher:
    """Precedence criteria > email > phone > word; values need at least 2 characters."""
    meta = data.modules[module]
    for name in ("criteria", "email", "phone", "word"):
        value = params.get(name)
        if value:
            break
    else:
        raise CrmError(
            "REQUIRED_PARAM_MISSING",
            "One of the expected parameter is missing",
            param="criteria|email|phone|word",
        )
    if name == "criteria":
        return data.matchers(module).build(parse(value), contains=True, min_length=2)
    term = value.strip().casefold()
    if len(term) < 2:
        raise invalid_query("the search term should have at least 2 characters", param=name)
    if name == "email":
        names = [f.api_name for f in meta.fields.values() if f.data_type == "email"]
        return lambda r: any(str(r.get(n) or "").casefold() == term for n in names)
    if name == "phone":
        digits = re.sub(r"\D", "", term)
        names = [f.api_name for f in meta.fields.values() if f.data_type == "phone"]
        return lambda r: bool(digits) and any(digits in re.sub(r"\D", "", str(r.get(n) or "")) for n in names)
    names = [f.api_name for f in meta.fields.values() if f.data_type in TEXT_KINDS]
    return lambda r: any(term in str(r.get(n) or "").casefold() for n in names)


def search_records(
    data: CrmData, module: str, params: dict[str, str], *, page: int, per_page: int, fields: list[str] | None
) -> Page:
    rows = filtered(data, module, view_id=params.get("cvid"), match=search_matcher(data, module, params))
    rows.sort(key=sort_key("id"))
    start = (page - 1) * per_page
    if start >= SEARCH_LIMIT:
        raise CrmError("LIMIT_REACHED", "search results are limited to 2000 records", limit=SEARCH_LIMIT)
    chunk = rows[start : start + min(per_page, SEARCH_LIMIT - start)]
    if not chunk:
        return 204, None
    info = {
        "per_page": per_page,
        "count": len(chunk),
        "page": page,
        "more_records": start + len(chunk) < len(rows),
    }
    return 200, {"data": [data.render(module, r, fields) for r in chunk], "info": info}


def count_records(data: CrmData, module: str, params: dict[str, str]) -> int:
    searching = any(params.get(name) for name in ("criteria", "email", "phone", "word"))
    match = search_matcher(data, module, params) if searching else None
    return len(filtered(data, module, view_id=params.get("cvid"), match=match))


def deleted_records(
    data: CrmData, module: str, *, kind: str, page: int, per_page: int, since: datetime | None
) -> Page:
    entries = [] if kind == "permanent" else list(reversed(data.store.deleted[module]))
    if since is not None:
        entries = [e for e in entries if e.deleted_time > since]
    start = (page - 1) * per_page
    chunk = entries[start : start + per_page]
    if not chunk:
        return 204, None
    zone = data.org.zone

    def who(user_id: str) -> dict[str, str]:
        return {"name": data.user_name(user_id), "id": user_id}

    rows = [
        {
            "deleted_by": who(e.deleted_by),
            "id": e.id,
            "display_name": e.display_name,
            "type": "recycle",
            "created_by": who(e.created_by),
            "deleted_time": iso(e.deleted_time, zone),
        }
        for e in chunk
    ]
    info = {
        "per_page": per_page,
        "count": len(chunk),
        "page": page,
        "more_records": start + len(chunk) < len(entries),
    }
    return 200, {"data": rows, "info": info}
