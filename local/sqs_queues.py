"""The queues of the local SQS (`local.sqs_local`): messages, visibility, delays, receive counts and the
redrive to a dead-letter queue, as Amazon SQS standard queues behave.

Every operation is O(log n) in the messages of a queue (a heap ordered by when each message becomes
visible), except the approximate counts of GetQueueAttributes, which scan the queue. Not thread-safe:
the server calls it from its event loop only.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import struct
import time
import uuid
from base64 import b64decode
from dataclasses import dataclass, field
from typing import Any

DEFAULT_ATTRIBUTES = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "262144",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
}
SETTABLE = set(DEFAULT_ATTRIBUTES) | {"RedrivePolicy", "Policy", "RedriveAllowPolicy", "SqsManagedSseEnabled"}
COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)
SENDER_ID = "AIDAIT2UOQQY3AUEKVGXU"  # what moto answers; any IAM-style id


class SqsError(Exception):
    """An SQS error: `code` (the JSON `__type`, the modelled exception's name) and its message."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def invalid(message: str) -> SqsError:
    return SqsError("InvalidParameterValue", message)


def md5_of_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    """SQS's MD5 of message attributes: names sorted, each as length-prefixed name, type, then value."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        for part in (name.encode(), data_type.encode()):
            digest.update(struct.pack("!I", len(part)) + part)
        if "StringValue" in value:
            raw, transport = value["StringValue"].encode(), 1
        else:
            raw, transport = b64decode(value.get("BinaryValue", "")), 2
        digest.update(bytes([transport]) + struct.pack("!I", len(raw)) + raw)
    return digest.hexdigest()


@dataclass(eq=False)
class Message:
    message_id: str
    body: str
    attributes: dict[str, dict[str, Any]]  # message attributes as sent (binary values in base64)
    sent_ms: int
    visible_at: float  # seconds (time.monotonic): delayed or in flight until then
    receive_count: int = 0
    first_receive_ms: int | None = None
    receipt: str | None = None  # the latest receive's handle
    md5_of_body: str = field(init=False)

    def __post_init__(self) -> None:
        self.md5_of_body = hashlib.md5(self.body.encode()).hexdigest()


class Queue:
    def __init__(self, name: str, arn: str, url: str, attributes: dict[str, str]):
        self.name, self.arn, self.url = name, arn, url
        now = str(int(time.time()))
        self.attributes = DEFAULT_ATTRIBUTES | {"CreatedTimestamp": now, "LastModifiedTimestamp": now}
        self.set_attributes(attributes)
        self.messages: dict[str, Message] = {}
        self._heap: list[
            tuple[float, int, Message]
        ] = []  # (visible_at, tie-breaker, message); stale ones skipped
        self._order = itertools.count()

    def set_attributes(self, attributes: dict[str, str]) -> None:
        unknown = set(attributes) - SETTABLE
        if unknown:
            raise SqsError("InvalidAttributeName", f"Unknown Attribute {sorted(unknown)[0]}.")
        if "RedrivePolicy" in attributes:
            policy = json.loads(attributes["RedrivePolicy"])
            if "deadLetterTargetArn" not in policy or "maxReceiveCount" not in policy:
                raise invalid("Value for parameter RedrivePolicy is invalid.")
        self.attributes |= {k: str(v) for k, v in attributes.items()}
        self.attributes["LastModifiedTimestamp"] = str(int(time.time()))

    def number(self, name: str) -> int:
        return int(self.attributes[name])

    @property
    def redrive(self) -> tuple[str, int] | None:
        if "RedrivePolicy" not in self.attributes:
            return None
        policy = json.loads(self.attributes["RedrivePolicy"])
        return policy["deadLetterTargetArn"], int(policy["maxReceiveCount"])

    def all_attributes(self) -> dict[str, str]:
        now = time.monotonic()
        visible = sum(1 for m in self.messages.values() if m.visible_at <= now)
        in_flight = sum(1 for m in self.messages.values() if m.visible_at > now and m.receive_count)
        delayed = len(self.messages) - visible - in_flight
        return (
            self.attributes
            | {"QueueArn": self.arn}
            | dict(zip(COUNTS, map(str, (visible, in_flight, delayed)), strict=True))
        )

    # ------------------------------------------------------------ messages
    def add(self, message: Message) -> None:
        self.messages[message.message_id] = message
        self._push(message)

    def send(self, body: str, attributes: dict[str, Any], delay: int | None) -> Message:
        delay = self.number("DelaySeconds") if delay is None else delay
        if not 0 <= delay <= 900:
            raise invalid(
                f"Value {delay} for parameter DelaySeconds is invalid. Reason: must be >= 0 and <= 900."
            )
        if not body:
            raise SqsError("MissingParameter", "The request must contain the parameter MessageBody.")
        if len(body.encode()) > self.number("MaximumMessageSize"):
            raise invalid(
                "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes."
            )
        message = Message(
            str(uuid.uuid4()), body, attributes, int(time.time() * 1000), time.monotonic() + delay
        )
        self.add(message)
        return message

    def next_visible(self) -> float | None:
        """When the next message becomes visible (now or later), or None when the queue is empty."""
        while self._heap:
            visible_at, _, message = self._heap[0]
            if self._current(visible_at, message):
                return visible_at
            heapq.heappop(self._heap)
        return None

    def take(self, limit: int, visibility: int, dead_letters: Queue | None = None) -> list[Message]:
        """Up to `limit` visible messages, each now in flight for `visibility` seconds. Expired ones are
        dropped (MessageRetentionPeriod); one already received maxReceiveCount times moves to
        `dead_letters` (the RedrivePolicy's queue) instead, as SQS moves it on that receive."""
        now = time.monotonic()
        retention_ms = self.number("MessageRetentionPeriod") * 1000
        max_receives = self.redrive[1] if dead_letters is not None and self.redrive else None
        taken: list[Message] = []
        while len(taken) < limit and (at := self.next_visible()) is not None and at <= now:
            _, _, message = heapq.heappop(self._heap)
            if message.sent_ms + retention_ms < time.time() * 1000:
                del self.messages[message.message_id]
                continue
            if max_receives is not None and message.receive_count >= max_receives:
                del self.messages[message.message_id]
                message.visible_at = now
                dead_letters.add(message)  # type: ignore[union-attr]
                continue
            message.receive_count += 1
            message.first_receive_ms = message.first_receive_ms or int(time.time() * 1000)
            message.receipt = f"{message.message_id}:{uuid.uuid4().hex}"
            message.visible_at = now + visibility
            self._push(message)
            taken.append(message)
        return taken

    def remove(self, message: Message) -> None:
        del self.messages[message.message_id]

    def find(self, receipt: str) -> Message | None:
        """The message a receipt handle names (any of its receipts), or None once it is deleted."""
        message_id, _, token = receipt.partition(":")
        if not token:
            raise SqsError(
                "ReceiptHandleIsInvalid",
                f'The input receipt handle "{receipt}" is not a valid receipt handle.',
            )
        return self.messages.get(message_id)

    def change_visibility(self, receipt: str, seconds: int) -> None:
        if not 0 <= seconds <= 43200:
            raise invalid(f"Value {seconds} for parameter VisibilityTimeout is invalid.")
        message = self.find(receipt)
        if message is None or message.receipt != receipt or message.visible_at <= time.monotonic():
            raise SqsError("MessageNotInflight", "Message is not in flight.")
        message.visible_at = time.monotonic() + seconds
        self._push(message)

    def purge(self) -> None:
        self.messages.clear()
        self._heap.clear()

    def _push(self, message: Message) -> None:
        heapq.heappush(self._heap, (message.visible_at, next(self._order), message))

    def _current(self, visible_at: float, message: Message) -> bool:
        return self.messages.get(message.message_id) is message and message.visible_at == visible_at
