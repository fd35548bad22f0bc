"""The API Gateway REQUEST authorizer: `Authorization: Bearer <key>` -> tenant.

A missing, malformed, unknown or revoked key raises Unauthorized, which API
Gateway turns into 401 (the template's UNAUTHORIZED gateway response). A good key
gets an Allow policy for every route of the stage, so API Gateway may cache the
decision per key (ReauthorizeEvery in the template), and `tenant_id` in the context.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)

from crmsync.observability import bind, logger


class Unauthorized(Exception):
    def __init__(self) -> None:
        super().__init__("Unauthorized")  # the exact text API Gateway maps to 401


def bearer_key(headers: dict[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "") or ""
    scheme, _, key = value.partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


def authorize(raw_event: dict, resolve_key) -> dict:
    """`resolve_key(raw_key) -> tenant_id | None`."""
    event = APIGatewayAuthorizerRequestEvent(raw_event)
    key = bearer_key(dict(event.headers or {}))
    tenant_id = resolve_key(key) if key else None
    if not tenant_id:
        logger.info("API key refused", extra={"reason": "missing" if not key else "unknown"})
        raise Unauthorized()
    bind(tenant_id=tenant_id)
    logger.info("API key accepted")
    arn = event.parsed_arn
    policy = APIGatewayAuthorizerResponse(
        principal_id=tenant_id,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        context={"tenant_id": tenant_id},
    )
    policy.allow_all_routes()
    return policy.asdict()
