"""CRM-specific sandbox control: `POST /_sandbox/seed` and `GET /_sandbox/notifications`."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import CrmError
from .seed import SeedBody, SeedError
from .web import base_url, json_body, sandbox


async def seed(request: Request) -> Response:
    try:
        body = SeedBody.model_validate(await json_body(request))
        result = sandbox(request).seed(body)
    except ValidationError as exc:
        return JSONResponse(
            {"error": "invalid body", "details": exc.errors(include_url=False)}, status_code=400
        )
    except SeedError as exc:
        return JSONResponse(exc.body, status_code=400)
    except CrmError as exc:
        return JSONResponse({"error": "invalid seed", "details": exc.body()}, status_code=400)
    return JSONResponse(result | {"api_domain": base_url(request), "accounts_server": base_url(request)})


async def notifications(request: Request) -> Response:
    deliveries = sandbox(request).notifier.deliveries
    return JSONResponse({"notifications": [d.describe() for d in deliveries]})


routes = [
    Route("/_sandbox/seed", seed, methods=["POST"]),
    Route("/_sandbox/notifications", notifications, methods=["GET"]),
]
