"""The admin console's page and files (no data, no AWS permission: the page calls the API with the
admin's key)."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmsync.api.app import console_resolver, resolve
from crmsync.observability import logger, metrics, tracer

app = console_resolver()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(app, event, context)
