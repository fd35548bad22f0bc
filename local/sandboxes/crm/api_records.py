"""`/crm/v8/{module}` record routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import field_updates, reads
from .errors import CrmError, invalid_param, required_param
from .web import (
    base_url,
    fields_param,
    int_param,
    json_body,
    modified_since,
    module_param,
    principal,
    respond,
    sandbox,
)
from .writes import Writer, WriteResult

MAX_WRITE = 100


def ambiguity(*params: str) -> CrmError:
    return CrmError(
        "AMBIGUITY_DURING_PROCESSING", "ambiguity while processing the request", ambiguity_due_to=list(params)
    )


async def list_records(request: Request) -> Response:
    sb, module, q = sandbox(request), module_param(request), request.query_params
    fields = fields_param(request, module, required=True) or []
    if q.get("page") and q.get("page_token"):
        raise ambiguity("page", "page_token")
    if q.get("cvid") and q.get("sort_by"):
        raise ambiguity("cvid", "sort_by")
    sort_by, sort_order = q.get("sort_by", "id"), q.get("sort_order", "desc")
    cvid = q.get("cvid") or None
    if cvid is not None and cvid in sb.data.views:
        sort_by, sort_order = sb.data.views[cvid].sort_by, q.get("sort_order", sb.data.views[cvid].sort_order)
    if sort_by not in reads.SORT_FIELDS:
        raise invalid_param("sort_by")
    if sort_order not in ("asc", "desc"):
        raise invalid_param("sort_order")
    ids = tuple(i.strip() for i in q["ids"].split(",") if i.strip()) if q.get("ids") else None
    query = reads.ListQuery(
        module,
        tuple(fields),
        int_param(request, "per_page", 200, 200),
        sort_by,
        sort_order,
        cvid,
        ids,
        modified_since(request),
    )
    status, body = reads.list_records(
        sb.data,
        query,
        page=int_param(request, "page", 1),
        page_token=q.get("page_token") or None,
        tokens=sb.page_tokens,
        principal=principal(request),
        now=sb.clock(),
        token_ttl=sb.limits.page_token_ttl,
        ceiling=sb.limits.page_token_ceiling,
    )
    return respond(status, body)


async def get_record(request: Request) -> Response:
    sb, module = sandbox(request), module_param(request)
    record = sb.data.store.get(module, request.path_params["id"])
    if record is None:
        return Response(status_code=204)
    fields = fields_param(request, module, required=False)
    rendered = (
        sb.data.render_full(module, record) if fields is None else sb.data.render(module, record, fields)
    )
    return JSONResponse({"data": [rendered]})


async def records_body(request: Request) -> tuple[dict[str, Any], list[Any]]:
    body = await json_body(request)
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise required_param("data")
    if len(items) > MAX_WRITE:
        raise CrmError(
            "LIMIT_EXCEEDED", "the number of records exceeds the limit", limit=MAX_WRITE, json_path="$.data"
        )
    sandbox(request).charge_records(len(items))
    return body, items


def answer(request: Request, result: WriteResult, all_ok: int) -> Response:
    sb = sandbox(request)
    field_updates.run(sb.data, result.changes)
    sb.notifier.publish(result.changes, base_url(request), sb.data, sb.limits)
    return JSONResponse({"data": result.items}, status_code=result.status_code(all_ok))


def writer(request: Request) -> Writer:
    sb = sandbox(request)
    return Writer(sb.data, sb.write_clock.tick(), sb.data.current_user.id)


async def insert_records(request: Request) -> Response:
    module = module_param(request)
    _, items = await records_body(request)
    return answer(request, writer(request).insert(module, items), 201)


async def update_records(request: Request) -> Response:
    module = module_param(request)
    _, items = await records_body(request)
    return answer(request, writer(request).update(module, items), 200)


async def update_record(request: Request) -> Response:
    module = module_param(request)
    _, items = await records_body(request)
    return answer(request, writer(request).update(module, items[:1], path_id=request.path_params["id"]), 200)


async def upsert_records(request: Request) -> Response:
    module = module_param(request)
    body, items = await records_body(request)
    check_fields = body.get("duplicate_check_fields")
    if check_fields is not None and not (
        isinstance(check_fields, list) and all(isinstance(f, str) for f in check_fields)
    ):
        raise invalid_param("duplicate_check_fields")
    result = writer(request).upsert(module, items, check_fields)
    inserted = any(item.get("action") == "insert" for item in result.items)
    return answer(request, result, 201 if inserted else 200)


async def delete_records(request: Request) -> Response:
    module = module_param(request)
    raw = request.query_params.get("ids")
    if not raw:
        raise required_param("ids")
    ids = [i.strip() for i in raw.split(",") if i.strip()]
    if len(ids) > MAX_WRITE:
        raise CrmError(
            "LIMIT_EXCEEDED", "the number of records exceeds the limit", limit=MAX_WRITE, param="ids"
        )
    return answer(request, writer(request).delete(module, ids), 200)


async def delete_record(request: Request) -> Response:
    module = module_param(request)
    return answer(request, writer(request).delete(module, [request.path_params["id"]]), 200)


async def deleted_records(request: Request) -> Response:
    sb, module = sandbox(request), module_param(request)
    kind = request.query_params.get("type", "all")
    if kind not in ("all", "recycle", "permanent"):
        raise invalid_param("type")
    status, body = reads.deleted_records(
        sb.data,
        module,
        kind=kind,
        page=int_param(request, "page", 1),
        per_page=int_param(request, "per_page", 200, 200),
        since=modified_since(request),
    )
    return respond(status, body)


async def search_records(request: Request) -> Response:
    sb, module = sandbox(request), module_param(request)
    status, body = reads.search_records(
        sb.data,
        module,
        dict(request.query_params),
        page=int_param(request, "page", 1),
        per_page=int_param(request, "per_page", 200, 200),
        fields=fields_param(request, module, required=False),
    )
    return respond(status, body)


async def count_records(request: Request) -> Response:
    sb, module = sandbox(request), module_param(request)
    return JSONResponse({"count": reads.count_records(sb.data, module, dict(request.query_params))})


routes = [
    Route("/crm/v8/{module}/search", search_records, methods=["GET"]),
    Route("/crm/v8/{module}/deleted", deleted_records, methods=["GET"]),
    Route("/crm/v8/{module}/actions/count", count_records, methods=["GET"]),
    Route("/crm/v8/{module}/upsert", upsert_records, methods=["POST"]),
    Route("/crm/v8/{module}/{id}", get_record, methods=["GET"]),
    Route("/crm/v8/{module}/{id}", update_record, methods=["PUT"]),
    Route("/crm/v8/{module}/{id}", delete_record, methods=["DELETE"]),
    Route("/crm/v8/{module}", list_records, methods=["GET"]),
    Route("/crm/v8/{module}", insert_records, methods=["POST"]),
    Route("/crm/v8/{module}", update_records, methods=["PUT"]),
    Route("/crm/v8/{module}", delete_records, methods=["DELETE"]),
]
