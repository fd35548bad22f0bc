"""The REST resolvers: one per function, built from routers split by area."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from crmsync.api import errors
from crmsync.api.body_guard import refuse_body
from crmsync.api.routers import (
    activity,
    connect,
    console,
    crm_side,
    deals,
    failures,
    integration_settings,
    integrations,
    module_views,
    modules,
    sync,
    webhooks,
)

LIFECYCLE_ROUTERS = (
    integrations.router,
    connect.router,
    integration_settings.router,
    modules.router,
    module_views.router,
    activity.router,
    deals.router,
    crm_side.router,
    sync.router,
    failures.router,
)
WEBHOOK_ROUTERS = (webhooks.router,)
CONSOLE_ROUTERS = (console.router,)


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
        return {"statusCode": refused.status_code, "headers": {"Content-Type": "application/json"}, "body": refused.body}
    return app.resolve(event, context)


def lifecycle_resolver() -> APIGatewayRestResolver:
    return create_resolver(*LIFECYCLE_ROUTERS)


def webhook_resolver() -> APIGatewayRestResolver:
    return create_resolver(*WEBHOOK_ROUTERS)


def console_resolver() -> APIGatewayRestResolver:
    return create_resolver(*CONSOLE_ROUTERS)
