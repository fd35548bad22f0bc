"""Zoho CRM wire format: from response bodies to port models, and request values to the wire."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from crmsync.domain.automation import Deal, DealChange, StageRule
from crmsync.ports.crm import (
    MAX_FIELDS_PER_LIST,
    Criterion,
    CrmField,
    CrmPicklistValue,
    CrmRecord,
    WatchChannel,
    WatchOutcome,
    WriteOutcome,
)

PER_PAGE = 200
DISCRETE_PAGING_LIMIT = 2000  # records reachable with `page`; past it only `page_token` works


class ListInfo(BaseModel):
    """The `info` block of a list or search answer."""

    model_config = ConfigDict(extra="ignore")

    page: int | None = None
    more_records: bool = False
    next_page_token: str | None = None


class Position(BaseModel):
    """Where a listing continues: a page number or a page token (the opaque cursor's content)."""

    model_config = ConfigDict(frozen=True)

    page: int | None = None
    token: str | None = None

    def as_params(self) -> dict[str, Any]:
        return {"page_token": self.token} if self.token else {"page": self.page or 1}

    def encode(self) -> str:
        return f"token:{self.token}" if self.token else f"page:{self.page}"

    @classmethod
    def decode(cls, cursor: str | None) -> Position:
        if not cursor:
            return cls(page=1)
        kind, _, value = cursor.partition(":")
        if kind == "token" and value:
            return cls(token=value)
        if kind == "page" and value.isdigit():
            return cls(page=int(value))
        raise ValueError(f"not a CRM listing cursor: {cursor!r}")

    def following(self, info: ListInfo) -> Position | None:
        """The next position after a page with this `info`; None when the listing is complete."""
        if not info.more_records:
            return None
        if self.page is not None and (self.page + 1) * PER_PAGE <= DISCRETE_PAGING_LIMIT:
            return Position(page=self.page + 1)
        if info.next_page_token:
            return Position(token=info.next_page_token)
        raise ValueError("the CRM reports more records but gave no next_page_token")


def list_info(body: Any) -> ListInfo:
    info = body.get("info") if isinstance(body, dict) else None
    return ListInfo.model_validate(info or {})


def items(body: Any, key: str) -> list[dict[str, Any]]:
    """The list under `key` of an answer (empty for a 204 or a missing key)."""
    value = body.get(key) if isinstance(body, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def record(data: Mapping[str, Any]) -> CrmRecord:
    return CrmRecord(id=str(data["id"]), modified_time=data.get("Modified_Time"), values=dict(data))


def field(data: Mapping[str, Any]) -> CrmField:
    """Field settings; `lookup.module` is `{"api_name": ...}` in v8 and a plain name in older answers."""
    lookup = data.get("lookup") or {}
    module = lookup.get("module") if isinstance(lookup, dict) else None
    if isinstance(module, dict):
        module = module.get("api_name")
    return CrmField.model_validate({**data, "lookup_module": module})


def outcome(data: Mapping[str, Any]) -> WriteOutcome:
    details = data.get("details") if isinstance(data.get("details"), dict) else {}
    ok = data.get("status") == "success"
    return WriteOutcome(
        ok=ok,
        code=str(data.get("code") or ("SUCCESS" if ok else "UNKNOWN")),
        message=data.get("message"),
        id=details.get("id") if ok else None,
        field=None if ok else details.get("api_name"),
        action=data.get("action"),
        duplicate_field=data.get("duplicate_field"),
        details=details,
    )


def watch_outcome(data: Mapping[str, Any]) -> WatchOutcome:
    details = data.get("details") if isinstance(data.get("details"), dict) else {}
    events = [e for e in details.get("events") or [] if isinstance(e, dict)]
    first = events[0] if events else details
    return WatchOutcome(
        ok=data.get("status") == "success",
        code=str(data.get("code") or "UNKNOWN"),
        message=data.get("message"),
        channel_id=first.get("channel_id"),
        channel_expiry=first.get("channel_expiry"),
    )


def watch_body(channels: Sequence[WatchChannel]) -> dict[str, Any]:
    """`channel_id` is a long on the wire: sent as a number when it is all digits."""
    watch = []
    for channel in channels:
        item = channel.model_dump(mode="json", exclude_none=True)
        if channel.channel_id.isdigit():
            item["channel_id"] = int(channel.channel_id)
        watch.append(item)
    return {"watch": watch}


def fields_param(fields: Sequence[str]) -> str:
    """The mandatory `fields` parameter of list calls: 1 to 50 distinct API names."""
    names = list(dict.fromkeys(fields))
    if not names or len(names) > MAX_FIELDS_PER_LIST:
        raise ValueError(f"a CRM listing takes 1 to {MAX_FIELDS_PER_LIST} fields, got {len(names)}")
    return ",".join(names)


def if_modified_since(moment: datetime | None) -> dict[str, str]:
    if moment is None:
        return {}
    if moment.tzinfo is None:
        raise ValueError("modified_since must be timezone-aware")
    return {"If-Modified-Since": moment.isoformat(timespec="seconds")}


def criteria_param(criteria: Sequence[Criterion], match: str) -> str:
    """`((A:equals:x)and(B:starts_with:y))`, with `(`, `)`, `,` and `\\` escaped in values."""
    parts = [f"({c.field}:{c.operator}:{_criterion_value(c.value)})" for c in criteria]
    return parts[0] if len(parts) == 1 else "(" + match.join(parts) + ")"


def _criterion_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_escape(str(v)) for v in value)
    return _escape(str(value))


def _escape(text: str) -> str:
    for char in ("\\", "(", ")", ","):
        text = text.replace(char, "\\" + char)
    return text


# ------------------------------------------------------------------ deals
def deal(record: CrmRecord) -> Deal:
    values = record.values
    return Deal(
        id=record.id,
        name=str(values.get("Deal_Name") or ""),
        stage=str(values.get("Stage") or ""),
        amount=float(values.get("Amount") or 0),
        description=str(values.get("Description") or ""),
        owner_name=_lookup(values.get("Owner"), "name"),
        account_id=_lookup(values.get("Account_Name"), "id"),
        contact_id=_lookup(values.get("Contact_Name"), "id"),
    )


def stage_rule(value: CrmPicklistValue) -> StageRule:
    return StageRule(
        value=value.actual_value,
        probability=value.probability,
        deal_category=value.deal_category or value.forecast_type,
    )


def deal_change(record: CrmRecord) -> DealChange:
    return DealChange(
        id=record.id, modified=record.modified_time, created=_moment(record.values.get("Created_Time"))
    )


def _lookup(value: Any, key: str) -> str | None:
    return str(value[key]) if isinstance(value, dict) and value.get(key) else None


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
