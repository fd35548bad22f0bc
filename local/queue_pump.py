"""The Lambda SQS event source mapping, locally: a poller per SQS event in the template.

Each poller long-polls its queue on the local SQS (`local.sqs_local`) and hands at most BatchSize
messages to the function as the Lambda SQS event, each batch in a thread of its own, so that up to
the source's concurrency batches are in flight at once: the event's `ScalingConfig.MaximumConcurrency`, never
more than the function's concurrency (`Invoker.concurrency`), which is the cap without it. It
receives a next batch only while fewer are in flight, as Lambda's pollers scale. After the function
answers it deletes what succeeded and makes what failed visible again. Failure rules are Lambda's:
- the function raised (or timed out): the whole batch failed, nothing is deleted;
- ReportBatchItemFailures: everything but `batchItemFailures` is deleted; an
  item without a valid itemIdentifier of this batch fails the whole batch;
- otherwise: a normal return deletes the whole batch.

A failed message would come back after the queue's VisibilityTimeout (minutes in
the template); locally ChangeMessageVisibility sets it to `retry_delay` seconds
instead. The dead-letter move is the queue's: on receive, a message already received
maxReceiveCount times goes to the RedrivePolicy's queue, as in SQS.
"""

from __future__ import annotations

import base64
import logging
import threading
from typing import Any

from local.aws_local import client
from local.invoker import FunctionError, Invoker
from local.template import QueueSource, Template

log = logging.getLogger("local.queue_pump")

MAX_MESSAGES_PER_RECEIVE = 10  # SQS's own limit; Lambda's poller has the same
WAIT_SECONDS = 1  # short long-poll, so that stop() is prompt


def to_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS message as a record of the Lambda SQS event."""
    attributes = {
        key: message["Attributes"][key]
        for key in (
            "ApproximateReceiveCount",
            "SentTimestamp",
            "SenderId",
            "ApproximateFirstReceiveTimestamp",
            "MessageGroupId",
            "MessageDeduplicationId",
            "SequenceNumber",
            "AWSTraceHeader",
        )
        if key in message.get("Attributes", {})
    }
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": {
            name: message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return out


def failed_ids(source: QueueSource, batch_ids: list[str], result: Any) -> set[str]:
    """Which messages of a batch failed, given the function's return value (it did not raise)."""
    if not source.report_batch_item_failures or not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures") or []
    ids = {item.get("itemIdentifier") if isinstance(item, dict) else None for item in failures}
    if ids - set(batch_ids):  # empty, null or foreign identifier: Lambda fails the whole batch
        return set(batch_ids)
    return ids


class QueuePump:
    """Pollers that feed the template's SQS event sources to their functions, batches concurrently."""

    def __init__(
        self,
        template: Template,
        invoker: Invoker,
        queue_refs: dict[str, str],
        sqs_endpoint: str,
        retry_delay: int = 2,
    ):
        self.template = template
        self.invoker = invoker
        self.refs = queue_refs
        self.retry_delay = retry_delay
        self.region = str(template.resolve({"Ref": "AWS::Region"}))
        self.sqs = client("sqs", sqs_endpoint, self.region)
        self._stop = threading.Event()
        self._slots = {
            source: threading.BoundedSemaphore(self.concurrency(source)) for source in template.queue_sources
        }
        self._in_flight: dict[QueueSource, int] = {source: 0 for source in template.queue_sources}
        self._peak: dict[QueueSource, int] = {source: 0 for source in template.queue_sources}
        self._count_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(source,), name=f"pump-{source.function}", daemon=True)
            for source in template.queue_sources
        ]

    def concurrency(self, source: QueueSource) -> int:
        """Batches of `source` in flight at most: its MaximumConcurrency, capped by the function's."""
        function_limit = self.invoker.concurrency(source.function)
        return min(source.maximum_concurrency or function_limit, function_limit)

    def peak_concurrency(self, function: str) -> int:
        """The most batches of `function`'s event sources that were in flight at once so far."""
        with self._count_lock:
            return max(
                (peak for source, peak in self._peak.items() if source.function == function), default=0
            )

    def start(self) -> QueuePump:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop receiving; batches in flight end with the invoker's environments (stopped after this)."""
        self._stop.set()
        for thread in self._threads:
            if thread.ident is not None:
                thread.join(WAIT_SECONDS + 10)

    def _run(self, source: QueueSource) -> None:
        slots = self._slots[source]
        while not self._stop.is_set():
            if not slots.acquire(timeout=WAIT_SECONDS):  # as many batches in flight as allowed
                continue
            try:
                batch = self.receive(source)
            except Exception:  # keep polling, as the event source mapping does
                slots.release()
                log.exception("polling %s for %s failed", source.queue, source.function)
                self._stop.wait(1)
                continue
            if not batch:
                slots.release()
                continue
            threading.Thread(
                target=self._deliver_and_release,
                args=(source, batch),
                name=f"batch-{source.function}",
                daemon=True,
            ).start()

    def _deliver_and_release(self, source: QueueSource, messages: list[dict[str, Any]]) -> None:
        with self._count_lock:
            self._in_flight[source] += 1
            self._peak[source] = max(self._peak[source], self._in_flight[source])
        try:
            self.deliver(source, messages)
        except Exception:
            log.exception("delivering a batch of %s to %s failed", source.queue, source.function)
        finally:
            with self._count_lock:
                self._in_flight[source] -= 1
            self._slots[source].release()

    def receive(self, source: QueueSource) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=self.refs[source.queue],
            MaxNumberOfMessages=min(source.batch_size, MAX_MESSAGES_PER_RECEIVE),
            WaitTimeSeconds=WAIT_SECONDS,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])

    def deliver(self, source: QueueSource, messages: list[dict[str, Any]]) -> None:
        """Invoke the function with the batch, then delete what succeeded and retry what failed."""
        records = [to_record(m, self.refs[f"{source.queue}.Arn"], self.region) for m in messages]
        batch_ids = [m["MessageId"] for m in messages]
        try:
            failed = failed_ids(source, batch_ids, self.invoker.invoke(source.function, {"Records": records}))
        except FunctionError:
            failed = set(batch_ids)
        self._settle(self.refs[source.queue], messages, failed)

    def _settle(self, url: str, messages: list[dict[str, Any]], failed: set[str]) -> None:
        done = [m for m in messages if m["MessageId"] not in failed]
        retry = [m for m in messages if m["MessageId"] in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        if retry:
            self.sqs.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": self.retry_delay}
                    for i, m in enumerate(retry)
                ],
            )
