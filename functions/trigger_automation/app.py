"""SQS consumer of the automation queue: deal-stage automation (A1-A5) and CRM-native transactions (T1).

Failed records are reported one by one (partial batch failures); a message that keeps failing is
moved to the dead-letter queue by the queue's redrive policy, after its reason is logged here.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmsync.api.consumers import on_automation_queue_message
from crmsync.observability import logger, metrics, tracer
from crmsync.runtime.container import get_container

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
MAX_RECEIVES = 5  # the AutomationQueue's redrive maxReceiveCount in template.yaml


def record_handler(record: SQSRecord) -> None:
    try:
        on_automation_queue_message(get_container().deps, record.body)
    except Exception as exc:
        attempt = int(record.attributes.approximate_receive_count or 1)
        logger.warning(
            "automation message failed"
            if attempt < MAX_RECEIVES
            else "automation message goes to the dead-letter queue",
            extra={
                "message_id": record.message_id,
                "attempt": attempt,
                "reason": f"{type(exc).__name__}: {exc}"[:500],
            },
        )
        metrics.add_metric(name="AutomationMessagesFailed", unit="Count", value=1)
        raise


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
