"""EventBridge Scheduler target: queue one sync message per due integration and module (S1), renew the CRM
notification channels that expire soon (S2), and re-queue deals changed since the last check (A1)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from crmsync.api.consumers import on_schedule
from crmsync.observability import logger, metrics, tracer
from crmsync.runtime.container import get_container


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return on_schedule(get_container().deps)
