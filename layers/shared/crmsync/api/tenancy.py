"""Who is calling: the tenant the authorizer resolved the API key to."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from crmsync.api.errors import Unauthorized
from crmsync.observability import bind


def current_tenant(router: Router) -> str:
    tenant_id = router.current_event.request_context.authorizer.get_context().get("tenant_id")
    if not tenant_id:
        raise Unauthorized()
    bind(tenant_id=tenant_id)
    return tenant_id
