"""CRM notification callbacks: authenticated by channel token; work is queued, never done inline."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmsync.api.app import resolve, webhook_resolver
from crmsync.observability import logger, metrics, tracer
from crmsync.runtime.container import get_container

app = webhook_resolver()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    app.append_context(deps=get_container().deps)
    return resolve(app, event, context)
