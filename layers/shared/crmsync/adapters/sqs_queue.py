"""Send queue messages to SQS (boto3 built lazily; AWS_ENDPOINT_URL_SQS points it at a local SQS)."""

from __future__ import annotations

from functools import cached_property

from pydantic import BaseModel


class SqsQueue:
    def __init__(self, queue_url: str):
        self.queue_url = queue_url

    @cached_property
    def _client(self):
        import boto3

        return boto3.client("sqs")

    def send(self, message: BaseModel) -> str:
        reply = self._client.send_message(QueueUrl=self.queue_url, MessageBody=message.model_dump_json())
        return reply["MessageId"]
