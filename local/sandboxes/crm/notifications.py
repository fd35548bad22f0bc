"""Notifications API (`/actions/watch`): channels, and callbacks delivered in the background."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from tenacity import AsyncRetrying, RetryError, retry_if_exception_type, stop_after_attempt, wait_exponential

from .clock import Clock, iso, parse_moment
from .data import CrmData
from .errors import CrmError
from .limits import CrmLimits
from .schema import MODULES
from .writes import Change

OPERATIONS = {"create": "insert", "edit": "update", "delete": "delete"}
DEFAULT_EXPIRY = timedelta(hours=1)
MAX_EXPIRY = timedelta(days=7)
MAX_CONDITION_FIELDS = 10


@dataclass
class Channel:
    channel_id: str
    notify_url: str
    expiry: datetime
    events: dict[str, set[str]] = field(default_factory=dict)  # module -> create/edit/delete
    token: str | None = None
    return_affected_field_values: bool = False
    notify_on_related_action: bool = True
    conditions: dict[str, set[str]] = field(default_factory=dict)  # module -> fields whose change fires
    notification_condition: list[Any] | None = None

    def event_names(self, module: str) -> list[str]:
        ops = self.events.get(module, set())
        return [f"{module}.all"] if ops == set(OPERATIONS) else [f"{module}.{op}" for op in sorted(ops)]


class DeliveryFailed(Exception):
    pass


@dataclass
class Delivery:
    id: int
    channel_id: str
    notify_url: str
    payload: dict[str, Any]
    status: str = "pending"  # pending | delivered | failed
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel_id": self.channel_id,
            "notify_url": self.notify_url,
            "status": self.status,
            "attempts": self.attempts,
            "payload": self.payload,
        }


class Notifier:
    """Channels of the org and the deliveries they caused."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.channels: dict[str, Channel] = {}
        self.deliveries: list[Delivery] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.client: httpx.AsyncClient | None = None
        self._ids = itertools.count(1)

    # --- subscription management -------------------------------------------------------------
    def subscribe(self, item: Any, data: CrmData, mode: str) -> Channel:
        """Apply one `watch` item; mode is `enable` (POST), `replace` (PUT) or `patch` (PATCH)."""
        if not isinstance(item, dict):
            raise CrmError("INVALID_DATA", "invalid data")
        channel_id = _channel_id(item.get("channel_id"))
        existing = self.channels.get(channel_id)
        if mode != "enable" and existing is None:
            raise CrmError("NOT_SUBSCRIBED", "the channel is not subscribed", channel_id=channel_id)
        events = _events(item.get("events"), required=mode != "patch" or "events" in item)
        if mode == "patch" and item.get("_delete_events"):
            channel = existing
            assert channel is not None
            for module, ops in events.items():
                channel.events[module] = channel.events.get(module, set()) - ops
                if not channel.events[module]:
                    del channel.events[module]
            return channel
        if mode != "patch" and not item.get("notify_url"):
            raise CrmError("MANDATORY_NOT_FOUND", "required field not found", api_name="notify_url")
        channel = (
            existing if existing is not None and mode != "replace" else Channel(channel_id, "", self.clock())
        )
        if mode == "replace" or existing is None:
            channel.events = {}
        for module, ops in events.items():
            channel.events[module] = channel.events.get(module, set()) | ops
        if "notify_url" in item:
            channel.notify_url = _url(item["notify_url"])
        if "token" in item or mode != "patch":
            channel.token = _token(item.get("token"))
        if "channel_expiry" in item or mode != "patch":
            channel.expiry = self._expiry(item.get("channel_expiry"))
        for flag in ("return_affected_field_values", "notify_on_related_action"):
            if flag in item:
                setattr(channel, flag, bool(item[flag]))
        if "notification_condition" in item:
            channel.notification_condition = item["notification_condition"]
            channel.conditions = _conditions(item["notification_condition"], data)
        self.channels[channel_id] = channel
        return channel

    def unsubscribe(self, channel_id: str) -> Channel:
        channel = self.channels.pop(channel_id, None)
        if channel is None:
            raise CrmError("NOT_SUBSCRIBED", "the channel is not subscribed", channel_id=channel_id)
        return channel

    def active(self) -> list[Channel]:
        now = self.clock()
        return [c for c in self.channels.values() if c.expiry > now]

    def _expiry(self, value: Any) -> datetime:
        now = self.clock()
        if not value:
            return now + DEFAULT_EXPIRY
        try:
            moment = parse_moment(str(value))
        except ValueError:
            raise CrmError("INVALID_DATA", "invalid data", api_name="channel_expiry") from None
        return moment if now < moment <= now + MAX_EXPIRY else now + DEFAULT_EXPIRY

    def describe_events(self, channel: Channel, base_url: str, data: CrmData) -> list[dict[str, Any]]:
        return [
            {
                "channel_expiry": iso(channel.expiry, data.org.zone),
                "resource_uri": f"{base_url}/crm/v8/{module}",
                "resource_id": data.modules[module].id,
                "resource_name": module,
                "channel_id": channel.channel_id,
            }
            for module in sorted(channel.events)
        ]

    # --- delivery ----------------------------------------------------------------------------
    def publish(self, changes: list[Change], base_url: str, data: CrmData, limits: CrmLimits) -> None:
        """Start one background delivery per channel and change; never awaited by the caller."""
        for change in changes:
            for channel in self.active():
                payload = self._payload(channel, change, base_url)
                if payload is None:
                    continue
                delivery = Delivery(next(self._ids), channel.channel_id, channel.notify_url, payload)
                self.deliveries.append(delivery)
                task = asyncio.get_running_loop().create_task(self._deliver(delivery, limits))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    def _payload(self, channel: Channel, change: Change, base_url: str) -> dict[str, Any] | None:
        ops = channel.events.get(change.module, set())
        if not any(OPERATIONS[op] == change.operation for op in ops):
            return None
        ids = change.ids
        watched = channel.conditions.get(change.module)
        if change.operation == "update" and watched:
            ids = [i for i in ids if watched & set(change.affected.get(i, {}))]
        if not ids:
            return None
        url = urlsplit(channel.notify_url)
        payload: dict[str, Any] = {
            "server_time": int(self.clock().timestamp() * 1000),
            "module": change.module,
            "resource_uri": f"{base_url}/crm/v8/{change.module}",
            "ids": ids,
            "operation": change.operation,
            "channel_id": channel.channel_id,
            "token": channel.token,
            "query_params": dict(parse_qsl(url.query)),
        }
        if change.operation == "update" and channel.return_affected_field_values:
            payload["affected_fields"] = [{i: sorted(change.affected.get(i, {}))} for i in ids]
            payload["affected_values"] = [{"record_id": i, "values": change.affected.get(i, {})} for i in ids]
        return payload

    async def _deliver(self, delivery: Delivery, limits: CrmLimits) -> None:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(limits.notify_max_attempts),
            wait=wait_exponential(multiplier=limits.notify_retry_base_s),
            retry=retry_if_exception_type(DeliveryFailed),
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self._attempt(delivery, limits.notify_timeout_s)
            delivery.status = "delivered"
        except RetryError:
            delivery.status = "failed"

    async def _attempt(self, delivery: Delivery, timeout: float) -> None:
        if self.client is None:
            self.client = httpx.AsyncClient()
        record: dict[str, Any] = {
            "at": self.clock().isoformat(timespec="milliseconds"),
            "status_code": None,
            "error": None,
        }
        delivery.attempts.append(record)
        try:
            response = await self.client.post(delivery.notify_url, json=delivery.payload, timeout=timeout)
        except httpx.HTTPError as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
            raise DeliveryFailed from exc
        record["status_code"] = response.status_code
        if not response.is_success:
            raise DeliveryFailed

    async def drain(self) -> None:
        """Wait for deliveries in flight (used on shutdown)."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    def reset(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.channels.clear()
        self.deliveries.clear()


def _channel_id(value: Any) -> str:
    if value is None or value == "":
        raise CrmError("MANDATORY_NOT_FOUND", "required field not found", api_name="channel_id")
    if isinstance(value, bool) or not str(value).isdigit():
        raise CrmError("INVALID_DATA", "invalid data", api_name="channel_id")
    return str(value)


def _events(value: Any, *, required: bool) -> dict[str, set[str]]:
    if value is None and not required:
        return {}
    if not isinstance(value, list) or not value:
        raise CrmError("MANDATORY_NOT_FOUND", "required field not found", api_name="events")
    events: dict[str, set[str]] = {}
    for index, event in enumerate(value):
        module, _, op = str(event).partition(".")
        if module not in MODULES or op not in {*OPERATIONS, "all"}:
            raise CrmError("INVALID_DATA", "invalid data", api_name="events", json_path=f"$.events[{index}]")
        events.setdefault(module, set()).update(OPERATIONS if op == "all" else {op})
    return events


def _url(value: Any) -> str:
    parts = urlsplit(str(value))
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise CrmError("INVALID_DATA", "invalid data", api_name="notify_url")
    return str(value)


def _token(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > 50):
        raise CrmError("INVALID_DATA", "invalid data", api_name="token")
    return value


def _conditions(value: Any, data: CrmData) -> dict[str, set[str]]:
    """`field_selection` conditions: per module, the fields whose change makes the channel fire."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise CrmError("INVALID_DATA", "invalid data", api_name="notification_condition")
    conditions: dict[str, set[str]] = {}
    for index, condition in enumerate(value):
        path = f"$.notification_condition[{index}]"
        module = (condition.get("module") or {}).get("api_name") if isinstance(condition, dict) else None
        if module not in MODULES or condition.get("type") != "field_selection":
            raise CrmError("INVALID_DATA", "invalid data", api_name="notification_condition", json_path=path)
        fields = _selected_fields(condition.get("field_selection"))
        unknown = [f for f in fields if f not in data.modules[module].fields]
        if not fields or unknown or len(fields) > MAX_CONDITION_FIELDS:
            raise CrmError("INVALID_DATA", "invalid data", api_name="field_selection", json_path=path)
        conditions.setdefault(module, set()).update(fields)
    return conditions


def _selected_fields(selection: Any) -> set[str]:
    if not isinstance(selection, dict):
        return set()
    if "field" in selection:
        return {str((selection.get("field") or {}).get("api_name"))}
    return set().union(*(_selected_fields(item) for item in selection.get("group") or []))
