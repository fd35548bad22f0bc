"""The public API: integrations, modules, runs, activity (spec/api.md).

Each router (and the services behind it) loads with the first request that needs it, not at cold start;
under SnapStart every router loads before the snapshot.
"""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmsync.api.app import OnDemandRoutes, resolve
from crmsync.observability import logger, metrics, tracer
from crmsync.runtime.container import get_container
from crmsync.runtime.snapshot import preload_adapters, prepare_snapshot

routes = OnDemandRoutes()
prepare_snapshot(routes.load_all, preload_adapters)  # SnapStart only: the snapshot holds every route


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    app = routes.resolver_for(event)
    app.append_context(deps=get_container().deps)
    return resolve(app, event, context)
