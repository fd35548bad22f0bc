"""Org, currencies, users and `/settings/*` metadata routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import CrmError, invalid_param, required_param
from .schema import DEAL_STAGES, MODULES, SINGULAR, describe_field, meta_id
from .web import int_param, sandbox

USER_TYPES = {
    "AllUsers": lambda u, current: True,
    "ActiveUsers": lambda u, current: u.status == "active",
    "ActiveConfirmedUsers": lambda u, current: u.status == "active" and u.confirm,
    "DeactiveUsers": lambda u, current: u.status == "disabled",
    "ConfirmedUsers": lambda u, current: u.confirm,
    "NotConfirmedUsers": lambda u, current: not u.confirm,
    "CurrentUser": lambda u, current: current,
    "AdminUsers": lambda u, current: u.profile == "Administrator",
}


def paged(request: Request, key: str, items: list[Any]) -> Response:
    page, per_page = int_param(request, "page", 1), int_param(request, "per_page", 200, 200)
    chunk = items[(page - 1) * per_page : page * per_page]
    if not chunk:
        return Response(status_code=204)
    info = {
        "per_page": per_page,
        "count": len(chunk),
        "page": page,
        "more_records": page * per_page < len(items),
    }
    return JSONResponse({key: chunk, "info": info})


def module_query(request: Request, *, allow_subforms: bool = False) -> str:
    module = request.query_params.get("module")
    if not module:
        raise required_param("module")
    if module not in MODULES and not (allow_subforms and module in sandbox(request).data.modules):
        raise CrmError("INVALID_MODULE", "the module name given seems to be invalid", param="module")
    return module


async def org(request: Request) -> Response:
    data = sandbox(request).data
    return JSONResponse({"org": [data.org.describe(str(int(data.current_user.id) % 10**9))]})


async def currencies(request: Request) -> Response:
    sb = sandbox(request)
    return JSONResponse({"currencies": sb.data.org.describe_currencies(sb.write_clock.last or sb.clock())})


async def users(request: Request) -> Response:
    data = sandbox(request).data
    kind = request.query_params.get("type", "AllUsers")
    if kind not in USER_TYPES:
        raise invalid_param("type")
    current = data.current_user.id
    chosen = [
        u.describe(data.org, u.id == current) for u in data.users if USER_TYPES[kind](u, u.id == current)
    ]
    return paged(request, "users", chosen)


async def user(request: Request) -> Response:
    data = sandbox(request).data
    found = data.user(request.path_params["id"])
    if found is None:
        return Response(status_code=204)
    return JSONResponse({"users": [found.describe(data.org, found.id == data.current_user.id)]})


async def modules(request: Request) -> Response:
    return JSONResponse({"modules": [describe_module(name) for name in MODULES]})


def describe_module(name: str) -> dict[str, Any]:
    return {
        "id": meta_id(f"module:{name}"),
        "api_name": name,
        "module_name": name,
        "singular_label": SINGULAR[name],
        "plural_label": name.replace("_", " "),
        "api_supported": True,
        "creatable": True,
        "editable": True,
        "deletable": True,
        "viewable": True,
        "visible": True,
        "generated_type": "default",
        "status": "visible",
        "profiles": [{"name": "Administrator", "id": meta_id("profile:Administrator")}],
    }


async def fields(request: Request) -> Response:
    data = sandbox(request).data
    module = module_query(request, allow_subforms=True)
    currencies_list = data.org.active_currencies()
    described = [describe_field(module, f, currencies_list) for f in data.modules[module].fields.values()]
    return JSONResponse({"fields": described})


async def layouts(request: Request) -> Response:
    data = sandbox(request).data
    module = module_query(request)
    currencies_list = data.org.active_currencies()
    section = {
        "display_label": f"{SINGULAR[module]} Information",
        "api_name": f"{SINGULAR[module]} Information",
        "sequence_number": 1,
        "fields": [describe_field(module, f, currencies_list) for f in data.modules[module].fields.values()],
    }
    layout = {
        "id": meta_id(f"layout:{module}"),
        "name": "Standard",
        "api_name": "Standard",
        "status": "active",
        "visible": True,
        "source": "crm",
        "profiles": describe_module(module)["profiles"],
        "sections": [section],
    }
    return JSONResponse({"layouts": [layout]})


async def custom_views(request: Request) -> Response:
    data = sandbox(request).data
    module = module_query(request)
    views = [v for v in data.views.values() if v.module == module]
    return paged(request, "custom_views", [v.summary() for v in views])


async def custom_view(request: Request) -> Response:
    data = sandbox(request).data
    module = module_query(request)
    view = data.views.get(request.path_params["id"])
    if view is None or view.module != module:
        raise invalid_param("id", "the given custom view id is invalid")
    return JSONResponse({"custom_views": [data.describe_view(view)]})


async def pipeline(request: Request) -> Response:
    layout_id = request.query_params.get("layout_id")
    if not layout_id:
        raise required_param("layout_id")
    if layout_id != meta_id("layout:Deals"):
        raise invalid_param("layout_id")
    maps = [
        {
            "id": meta_id(f"pick:Deals:Stage:{stage.name}"),
            "display_value": stage.name,
            "actual_value": stage.name,
            "sequence_number": index,
            "forecast_type": stage.category,
            "colour_code": None,
            "forecast_category": {"name": stage.forecast, "id": meta_id(f"forecast:{stage.forecast}")},
        }
        for index, stage in enumerate(DEAL_STAGES, 1)
    ]
    standard = {
        "id": meta_id("pipeline:Standard"),
        "display_value": "Standard",
        "actual_value": "Standard",
        "default": True,
        "child_available": False,
        "parent": None,
        "maps": maps,
    }
    return JSONResponse({"pipeline": [standard]})


routes = [
    Route("/crm/v8/org", org, methods=["GET"]),
    Route("/crm/v8/org/currencies", currencies, methods=["GET"]),
    Route("/crm/v8/users", users, methods=["GET"]),
    Route("/crm/v8/users/{id}", user, methods=["GET"]),
    Route("/crm/v8/settings/modules", modules, methods=["GET"]),
    Route("/crm/v8/settings/fields", fields, methods=["GET"]),
    Route("/crm/v8/settings/layouts", layouts, methods=["GET"]),
    Route("/crm/v8/settings/custom_views", custom_views, methods=["GET"]),
    Route("/crm/v8/settings/custom_views/{id}", custom_view, methods=["GET"]),
    Route("/crm/v8/settings/pipeline", pipeline, methods=["GET"]),
]
