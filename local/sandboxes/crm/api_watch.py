"""`/crm/v8/actions/watch`: enable, list, replace, patch and disable notification channels."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .api_meta import paged
from .clock import iso
from .errors import CrmError, required_param
from .web import base_url, json_body, sandbox

MESSAGES = {
    "enable": "Successfully subscribed for actions-watch of the given module",
    "replace": "Successfully updated the subscribe details",
    "patch": "Successfully updated the subscribe details",
    "disable": "Successfully unsubscribed from actions-watch of the given module",
}


async def _apply(request: Request, mode: str) -> Response:
    sb = sandbox(request)
    body = await json_body(request)
    items = body.get("watch") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise required_param("watch")
    results: list[dict[str, Any]] = []
    for item in items:
        try:
            channel = sb.notifier.subscribe(item, sb.data, mode)
        except CrmError as exc:
            results.append(exc.body())
            continue
        removing = mode == "patch" and isinstance(item, dict) and item.get("_delete_events")
        results.append(
            {
                "code": "SUCCESS",
                "details": {"events": sb.notifier.describe_events(channel, base_url(request), sb.data)},
                "message": MESSAGES["disable" if removing else mode],
                "status": "success",
            }
        )
    ok = sum(1 for r in results if r["status"] == "success")
    status = 200 if ok == len(results) else 400 if ok == 0 else 207
    return JSONResponse({"watch": results}, status_code=status)


async def enable(request: Request) -> Response:
    return await _apply(request, "enable")


async def replace(request: Request) -> Response:
    return await _apply(request, "replace")


async def patch(request: Request) -> Response:
    return await _apply(request, "patch")


async def listing(request: Request) -> Response:
    sb = sandbox(request)
    wanted_channel = request.query_params.get("channel_id")
    wanted_module = request.query_params.get("module")
    entries = []
    for channel in sb.notifier.active():
        if wanted_channel and channel.channel_id != wanted_channel:
            continue
        for module in sorted(channel.events):
            if wanted_module and module != wanted_module:
                continue
            entries.append(
                {
                    "channel_id": channel.channel_id,
                    "events": channel.event_names(module),
                    "notify_url": channel.notify_url,
                    "token": channel.token,
                    "channel_expiry": iso(channel.expiry, sb.data.org.zone),
                    "resource_uri": f"{base_url(request)}/crm/v8/{module}",
                    "resource_id": sb.data.modules[module].id,
                    "resource_name": module,
                    "return_affected_field_values": channel.return_affected_field_values,
                    "notify_on_related_action": channel.notify_on_related_action,
                    "notification_condition": channel.notification_condition,
                }
            )
    return paged(request, "watch", entries)


async def disable(request: Request) -> Response:
    sb = sandbox(request)
    raw = request.query_params.get("channel_ids")
    if not raw:
        raise required_param("channel_ids")
    results: list[dict[str, Any]] = []
    for channel_id in (c.strip() for c in raw.split(",") if c.strip()):
        try:
            channel = sb.notifier.unsubscribe(channel_id)
        except CrmError as exc:
            results.append(exc.body())
            continue
        events = sb.notifier.describe_events(channel, base_url(request), sb.data)
        results.append(
            {
                "code": "SUCCESS",
                "details": {"events": events},
                "message": MESSAGES["disable"],
                "status": "success",
            }
        )
    ok = sum(1 for r in results if r["status"] == "success")
    return JSONResponse(
        {"watch": results}, status_code=200 if ok == len(results) else 400 if ok == 0 else 207
    )


routes = [
    Route("/crm/v8/actions/watch", enable, methods=["POST"]),
    Route("/crm/v8/actions/watch", listing, methods=["GET"]),
    Route("/crm/v8/actions/watch", replace, methods=["PUT"]),
    Route("/crm/v8/actions/watch", patch, methods=["PATCH"]),
    Route("/crm/v8/actions/watch", disable, methods=["DELETE"]),
]
