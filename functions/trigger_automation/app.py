"""SQS consumer for CRM deal events: deal-stage automation (A1-A5)."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmsync.api.messages import DealEventMessage
from crmsync.runtime.container import get_container
from crmsync.runtime.observability import logger, metrics, tracer
from crmsync.services.automation import handle_deal_event

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    handle_deal_event(get_container(), DealEventMessage.model_validate_json(record.body))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
