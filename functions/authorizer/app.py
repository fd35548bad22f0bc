"""API Gateway REQUEST authorizer: resolves the bearer API key to a tenant."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from crmsync.api.authorizer import authorize
from crmsync.observability import logger, metrics, tracer
from crmsync.runtime.container import get_container
from crmsync.runtime.snapshot import preload_adapters, prepare_snapshot

prepare_snapshot(preload_adapters)  # SnapStart only: boto3 and the store imported before the snapshot


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return authorize(event, get_container().tenants.resolve_key)
