"""SQS consumer: one bounded sync step per message; failed records are reported, not the batch."""

from datetime import timedelta

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmsync.api.consumers import on_sync_queue_message
from crmsync.observability import logger, metrics, tracer
from crmsync.runtime.container import get_container

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    container = get_container()
    deadline = container.clock() + timedelta(milliseconds=lambda_context.get_remaining_time_in_millis())
    on_sync_queue_message(container.deps, record.body, deadline)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
