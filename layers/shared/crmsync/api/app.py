"""The REST resolvers: one per function, built from routers split by area.

Each function imports only its own routers (and the services behind them): the webhook intake's cold
start never loads the lifecycle API's routes, and the lifecycle function loads each of its routers with
the first request that needs it (`OnDemandRoutes`).
"""

from __future__ import annotations

import importlib

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.api_gateway import Router

from crmsync.api import errors
from crmsync.api.body_guard import refuse_body
from crmsync.api.route_index import LIFECYCLE_MODULES, ROUTES


def _router(module: str) -> Router:
    return importlib.import_module(f"crmsync.api.routers.{module}").router


def lifecycle_routers() -> tuple[Router, ...]:
    return tuple(_router(name) for name in LIFECYCLE_MODULES)


def webhook_routers() -> tuple[Router, ...]:
    return (_router("webhooks"),)


def console_routers() -> tuple[Router, ...]:
    return (_router("console"),)


def create_resolver(*routers) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    errors.register(app)
    for router in routers:
        app.include_router(router)
    return app


MAX_BODY_BYTES = 256 * 1024


def resolve(app: APIGatewayRestResolver, event: dict, context) -> dict:
    """Resolve an API Gateway event, refusing an oversize body and a body no route takes (`body_guard`)
    before anything parses it."""
    body = event.get("body") or ""
    if len(body.encode() if isinstance(body, str) else body) > MAX_BODY_BYTES:
        refused = errors.error_response(413, "body_too_large", f"The body exceeds {MAX_BODY_BYTES} bytes.")
    else:
        refused = refuse_body(event)
    if refused is not None:
        return {
            "statusCode": refused.status_code,
            "headers": {"Content-Type": "application/json"},
            "body": refused.body,
        }
    return app.resolve(event, context)


def lifecycle_resolver() -> APIGatewayRestResolver:
    return create_resolver(*lifecycle_routers())


class OnDemandRoutes:
    """The lifecycle function's resolver with its routers included as requests need them: a request's
    `METHOD /resource` names its router in `route_index.ROUTES`. A route the index does not know (it is
    regenerated with `make openapi`) loads every router, so a request is never refused for it."""

    def __init__(self, modules: tuple[str, ...] = LIFECYCLE_MODULES):
        self.app = create_resolver()
        self.modules = modules
        self.loaded: set[str] = set()

    def resolver_for(self, event: dict) -> APIGatewayRestResolver:
        module = ROUTES.get(f"{event.get('httpMethod')} {event.get('resource')}")
        self._load((module,) if module in self.modules else self.modules)
        return self.app

    def load_all(self) -> None:
        """Every router now (the init a SnapStart snapshot is taken of)."""
        self._load(self.modules)

    def _load(self, modules: tuple[str, ...]) -> None:
        for name in modules:
            if name not in self.loaded:
                self.app.include_router(_router(name))
                self.loaded.add(name)


def webhook_resolver() -> APIGatewayRestResolver:
    return create_resolver(*webhook_routers())


def console_resolver() -> APIGatewayRestResolver:
    return create_resolver(*console_routers())
