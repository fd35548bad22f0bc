"""Zoho CRM v8 client: the CRM port over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import batched
from typing import Any, Literal

import httpx

from crmsync.adapters import ids as url_ids
from crmsync.adapters.crm import wire
from crmsync.adapters.crm.errors import CREDITS_REMAINING, classify, is_token_rejected
from crmsync.adapters.http import RetryPolicy, VendorHttp, decode_json
from crmsync.adapters.oauth import authorized_http
from crmsync.adapters.pacer import Pacer
from crmsync.adapters.token_sharing import SharedTokens
from crmsync.domain.automation import Deal, DealChange, StageRule
from crmsync.ports.budget import CallBudget
from crmsync.ports.crm import (
    MAX_RECORDS_PER_WRITE,
    Criterion,
    CrmCurrency,
    CrmCustomView,
    CrmField,
    CrmOrg,
    CrmRecord,
    CrmUser,
    DeletedPage,
    DeletedRecord,
    DeletedType,
    RecordPage,
    SortBy,
    SortOrder,
    UserType,
    WatchChannel,
    WatchOutcome,
    WatchSubscription,
    WriteOutcome,
)
from crmsync.ports.errors import NotFound, PermanentError
from crmsync.ports.secrets import OAuthCredentials

API_PATH = "/crm/v8"
_EMPTY = (204, 304)  # no rows; If-Modified-Since matched nothing
_MAX_SEARCH_PAGES = wire.DISCRETE_PAGING_LIMIT // wire.PER_PAGE


class ZohoCrmClient:
    """Implements `CrmPort` for one CRM organization (the one the OAuth grant belongs to)."""

    def __init__(self, http: VendorHttp):
        self._http = http

    @classmethod
    def connect(
        cls,
        credentials: OAuthCredentials,
        *,
        policy: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        shared_tokens: SharedTokens | None = None,
    ) -> ZohoCrmClient:
        return cls(
            authorized_http(
                "crm",
                credentials,
                API_PATH,
                classify,
                is_token_rejected,
                policy=policy,
                pacer=pacer,
                clock=clock,
                sleep=sleep,
                budget_header=CREDITS_REMAINING,
                shared_tokens=shared_tokens,
            )
        )

    def close(self) -> None:
        self._http.close()

    def call_budget(self) -> CallBudget:
        return self._http.budget()

    # organization and settings

    def get_org(self) -> CrmOrg:
        orgs = wire.items(self._get("/org"), "org")
        if not orgs:
            raise NotFound("crm", "no organization in the answer")
        return CrmOrg.model_validate(orgs[0])

    def list_currencies(self) -> list[CrmCurrency]:
        return [CrmCurrency.model_validate(c) for c in wire.items(self._get("/org/currencies"), "currencies")]

    def list_users(self, user_type: UserType = "ActiveUsers") -> list[CrmUser]:
        return [CrmUser.model_validate(u) for u in self._all_pages("/users", "users", {"type": user_type})]

    def list_fields(self, module: str) -> list[CrmField]:
        return [
            wire.field(f) for f in wire.items(self._get("/settings/fields", {"module": module}), "fields")
        ]

    def list_custom_views(self, module: str) -> list[CrmCustomView]:
        views = self._all_pages("/settings/custom_views", "custom_views", {"module": module})
        return [CrmCustomView.model_validate(v) for v in views]

    # records

    def iter_record_pages(
        self,
        module: str,
        fields: Sequence[str],
        *,
        modified_since: datetime | None = None,
        cvid: str | None = None,
        sort_by: SortBy | None = None,
        sort_order: SortOrder | None = None,
        cursor: str | None = None,
    ) -> Iterator[RecordPage]:
        if cvid and sort_by:
            raise ValueError("the CRM refuses cvid together with sort_by")
        params = {
            "fields": wire.fields_param(fields),
            "cvid": cvid,
            "sort_by": sort_by,
            "sort_order": sort_order,
        }
        headers = wire.if_modified_since(modified_since)
        for body, next_cursor in self._pages(_path(module), params, headers, cursor):
            yield RecordPage(
                records=[wire.record(r) for r in wire.items(body, "data")], next_cursor=next_cursor
            )

    def get_record(self, module: str, record_id: str, fields: Sequence[str] | None = None) -> CrmRecord:
        params = {"fields": ",".join(fields)} if fields else None
        records = wire.items(self._get(_path(module, _crm_id(record_id)), params), "data")
        if not records:
            raise NotFound("crm", f"{module} {record_id} not found", status=204)
        return wire.record(records[0])

    def insert_records(
        self, module: str, records: Sequence[Mapping[str, Any]], *, trigger: Sequence[str] | None = None
    ) -> list[WriteOutcome]:
        return self._write("POST", _path(module), records, _trigger(trigger), idempotent=False)

    def update_records(
        self, module: str, records: Sequence[Mapping[str, Any]], *, trigger: Sequence[str] | None = None
    ) -> list[WriteOutcome]:
        return self._write("PUT", _path(module), records, _trigger(trigger), idempotent=True)

    def upsert_records(
        self,
        module: str,
        records: Sequence[Mapping[str, Any]],
        *,
        duplicate_check_fields: Sequence[str] | None = None,
        trigger: Sequence[str] | None = None,
    ) -> list[WriteOutcome]:
        extra = _trigger(trigger)
        if duplicate_check_fields:
            extra["duplicate_check_fields"] = list(duplicate_check_fields)
        return self._write("POST", _path(module, "upsert"), records, extra, idempotent=True)

    def delete_records(
        self, module: str, ids: Sequence[str], *, wf_trigger: bool = False
    ) -> list[WriteOutcome]:
        outcomes: list[WriteOutcome] = []
        for chunk in batched(ids, MAX_RECORDS_PER_WRITE):
            params = {"ids": ",".join(_crm_id(i) for i in chunk), "wf_trigger": str(wf_trigger).lower()}
            outcomes += self._outcomes(self._http.request("DELETE", _path(module), params=params), len(chunk))
        return outcomes

    def iter_deleted_pages(
        self,
        module: str,
        *,
        deleted_type: DeletedType = "all",
        modified_since: datetime | None = None,
        cursor: str | None = None,
    ) -> Iterator[DeletedPage]:
        headers = wire.if_modified_since(modified_since)
        for body, next_cursor in self._pages(_path(module, "deleted"), {"type": deleted_type}, headers, cursor):
            records = [DeletedRecord.model_validate(r) for r in wire.items(body, "data")]
            yield DeletedPage(records=records, next_cursor=next_cursor)

    def search_records(
        self,
        module: str,
        *,
        criteria: Sequence[Criterion] = (),
        match: Literal["and", "or"] = "and",
        word: str | None = None,
        fields: Sequence[str] | None = None,
    ) -> list[CrmRecord]:
        if bool(criteria) == bool(word):
            raise ValueError("search takes either criteria or a word")
        params = {
            "criteria": wire.criteria_param(criteria, match) if criteria else None,
            "word": word,
            "fields": wire.fields_param(fields) if fields else None,
        }
        found: list[CrmRecord] = []
        for page, (body, _) in enumerate(self._pages(_path(module, "search"), params, {}, None), start=1):
            found += [wire.record(r) for r in wire.items(body, "data")]
            if page == _MAX_SEARCH_PAGES:
                break
        return found

    # deals (deal-stage automation)

    def get_deal(self, deal_id: str) -> Deal:
        return wire.deal(self.get_record("Deals", deal_id))

    def list_deal_stages(self) -> list[StageRule]:
        stage = next((f for f in self.list_fields("Deals") if f.api_name == "Stage"), None)
        return [wire.stage_rule(v) for v in (stage.pick_list_values if stage else [])]

    def iter_deal_changes(self, modified_since: datetime) -> Iterator[list[DealChange]]:
        pages = self.iter_record_pages(
            "Deals",
            ["Modified_Time", "Created_Time"],
            modified_since=modified_since,
            sort_by="Modified_Time",
            sort_order="asc",
        )
        for page in pages:
            yield [wire.deal_change(record) for record in page.records]

    # notifications

    def enable_watch(self, channels: Sequence[WatchChannel]) -> list[WatchOutcome]:
        response = self._http.request(
            "POST", "/actions/watch", json_body=wire.watch_body(channels), idempotent=True
        )
        return [wire.watch_outcome(w) for w in wire.items(decode_json(response), "watch")]

    def list_watches(self) -> list[WatchSubscription]:
        return [WatchSubscription.model_validate(w) for w in self._all_pages("/actions/watch", "watch", {})]

    def update_watch(self, channels: Sequence[WatchChannel]) -> list[WatchOutcome]:
        response = self._http.request("PUT", "/actions/watch", json_body=wire.watch_body(channels))
        return [wire.watch_outcome(w) for w in wire.items(decode_json(response), "watch")]

    def disable_watch(self, channel_ids: Sequence[str]) -> list[WatchOutcome]:
        response = self._http.request(
            "DELETE", "/actions/watch", params={"channel_ids": ",".join(_crm_id(i) for i in channel_ids)}
        )
        return [wire.watch_outcome(w) for w in wire.items(decode_json(response), "watch")]

    # plumbing

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self._http.request("GET", path, params=params)
        return None if response.status_code in _EMPTY else decode_json(response)

    def _pages(
        self, path: str, params: Mapping[str, Any], headers: Mapping[str, str], cursor: str | None
    ) -> Iterator[tuple[Any, str | None]]:
        """Each page's body and the cursor after it: `page` up to 2,000 records, then `page_token`."""
        query = {k: v for k, v in params.items() if v is not None} | {"per_page": wire.PER_PAGE}
        position: wire.Position | None = wire.Position.decode(cursor)
        while position is not None:
            response = self._http.request("GET", path, params=query | position.as_params(), headers=headers)
            if response.status_code in _EMPTY:
                return
            body = decode_json(response)
            try:
                position = position.following(wire.list_info(body))
            except ValueError as exc:
                raise PermanentError("crm", str(exc)) from exc
            yield body, position.encode() if position else None

    def _all_pages(self, path: str, key: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [item for body, _ in self._pages(path, params, {}, None) for item in wire.items(body, key)]

    def _write(
        self,
        method: str,
        path: str,
        records: Sequence[Mapping[str, Any]],
        extra: Mapping[str, Any],
        *,
        idempotent: bool,
    ) -> list[WriteOutcome]:
        """Batches of at most 100; outcomes in the order the records were given."""
        outcomes: list[WriteOutcome] = []
        for chunk in batched(records, MAX_RECORDS_PER_WRITE):
            body = {"data": [dict(r) for r in chunk], **extra}
            response = self._http.request(method, path, json_body=body, idempotent=idempotent)
            outcomes += self._outcomes(response, len(chunk))
        return outcomes

    @staticmethod
    def _outcomes(response: httpx.Response, expected: int) -> list[WriteOutcome]:
        results = wire.items(decode_json(response), "data")
        if len(results) != expected:
            raise PermanentError(
                "crm", f"{len(results)} results for {expected} records", status=response.status_code
            )
        return [wire.outcome(r) for r in results]


def _trigger(trigger: Sequence[str] | None) -> dict[str, Any]:
    return {} if trigger is None else {"trigger": list(trigger)}


def _path(module: str, *rest: str) -> str:
    """`/{module}/...` with the module name checked (rest: escaped ids or fixed words)."""
    return "/".join(("", url_ids.api_name(module), *rest))


def _crm_id(value: str) -> str:
    return url_ids.record_id("crm", value)
