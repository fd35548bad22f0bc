"""CRM notification callbacks: authenticated by channel token; work is queued, never done inline."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmsync.api.app import resolve, webhook_resolver
from crmsync.api.routers.webhooks import preload as preload_intake
from crmsync.observability import logger, metrics, tracer
from crmsync.runtime.container import get_container
from crmsync.runtime.snapshot import preload_adapters, prepare_snapshot

app = webhook_resolver()
prepare_snapshot(preload_adapters, preload_intake)  # SnapStart only: imported before the snapshot


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    app.append_context(deps=get_container().deps)
    return resolve(app, event, context)
