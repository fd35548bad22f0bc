"""Send queue messages to SQS (boto3 built lazily; AWS_ENDPOINT_URL_SQS points it at a local SQS)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from itertools import batched

from pydantic import BaseModel

from crmsync.domain.errors import UnavailableError

ENTRIES_PER_CALL = 10  # SendMessageBatch takes at most 10 entries
CONCURRENT_CALLS = 10
BATCH_ATTEMPTS = 3


class SqsQueue:
    def __init__(self, queue_url: str):
        self.queue_url = queue_url

    @cached_property
    def _client(self):
        import boto3

        return boto3.client("sqs")

    def send(self, message: BaseModel, *, delay_seconds: int = 0) -> str:
        reply = self._client.send_message(
            QueueUrl=self.queue_url, MessageBody=message.model_dump_json(), DelaySeconds=delay_seconds
        )
        return reply["MessageId"]

    def send_batch(self, messages: Sequence[BaseModel]) -> None:
        """SendMessageBatch calls of ten entries, up to ten at a time (boto3 clients are thread-safe); one
        call of up to ten in this thread (most notifications name one record: no thread to start)."""
        bodies = [message.model_dump_json() for message in messages]
        chunks = list(batched(bodies, ENTRIES_PER_CALL))
        if len(chunks) <= 1:
            left = sum(map(self._send_chunk, chunks))
        else:
            with ThreadPoolExecutor(min(CONCURRENT_CALLS, len(chunks))) as pool:
                left = sum(pool.map(self._send_chunk, chunks))
        if left:
            raise UnavailableError(f"SQS did not take {left} of {len(messages)} messages", retry_after=1)

    def _send_chunk(self, bodies: Sequence[str]) -> int:
        """Send up to ten messages, retrying the entries SQS failed; returns how many it never took."""
        pending = {str(n): body for n, body in enumerate(bodies)}
        for _ in range(BATCH_ATTEMPTS):
            entries = [{"Id": entry_id, "MessageBody": body} for entry_id, body in pending.items()]
            reply = self._client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            for sent in reply.get("Successful", []):
                pending.pop(sent["Id"], None)
            if not pending:
                return 0
        return len(pending)
