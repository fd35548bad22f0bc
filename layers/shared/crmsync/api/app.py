"""The REST resolvers: one per function, built from routers split by area."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from crmsync.api import errors
from crmsync.api.routers import integrations, webhooks

LIFECYCLE_ROUTERS = (integrations.router,)
WEBHOOK_ROUTERS = (webhooks.router,)


def create_resolver(*routers) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    errors.register(app)
    for router in routers:
        app.include_router(router)
    return app


def lifecycle_resolver() -> APIGatewayRestResolver:
    return create_resolver(*LIFECYCLE_ROUTERS)


def webhook_resolver() -> APIGatewayRestResolver:
    return create_resolver(*WEBHOOK_ROUTERS)
