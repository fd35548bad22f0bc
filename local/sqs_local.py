"""A local Amazon SQS for the local stack: the SQS JSON protocol (what boto3 speaks) over HTTP, standard
queues in memory (`local.sqs_queues`).

Why not moto's SQS: every SendMessage there computes the queue's attributes, counts included, so a
send costs time in proportion to the messages already on the queue (120 ms of CPU per send with 6,000
waiting, measured here), on top of about 4.5 ms of request handling; the webhook intake's throughput
benchmark (bench/README.md) queues thousands. Here a send, receive, delete or visibility change costs
O(log n), and a request about 0.3 ms. moto still serves Secrets Manager.

Operations: CreateQueue, GetQueueUrl, ListQueues, GetQueueAttributes, SetQueueAttributes, PurgeQueue,
DeleteQueue, SendMessage(Batch), ReceiveMessage (long polling, system and message attributes),
DeleteMessage(Batch), ChangeMessageVisibility(Batch). Behaviour is SQS's for standard queues:
DelaySeconds, VisibilityTimeout (the queue's or the receive's), MessageRetentionPeriod, the
RedrivePolicy's move to the dead-letter queue on the receive after maxReceiveCount, best-effort order,
MD5 digests of bodies and message attributes (boto3 checks them), errors with SQS's codes (botocore
raises the modelled exceptions). Credentials are not checked, as moto does not check them.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Self

from local.sandboxes.common import ServerThread
from local.sqs_queues import SENDER_ID, Message, Queue, SqsError, invalid, md5_of_attributes

ACCOUNT = "123456789012"
MAX_BATCH = 10
MAX_WAIT_SECONDS = 20
CONTENT_TYPE = b"application/x-amz-json-1.0"

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]] | dict[str, Any]]


class SqsService:
    """The queues of one account and region, and the SQS operations on them (async: long polls wait)."""

    def __init__(self, region: str, account: str = ACCOUNT):
        self.region = region
        self.account = account
        self.endpoint = ""  # set when the server listens; queue URLs are under it
        self.queues: dict[str, Queue] = {}
        self._arrivals: dict[str, asyncio.Event] = {}  # set when a queue gets a message that may be visible
        self.handlers: dict[str, Handler] = {
            "CreateQueue": self.create_queue,
            "GetQueueUrl": self.get_queue_url,
            "ListQueues": self.list_queues,
            "GetQueueAttributes": self.get_queue_attributes,
            "SetQueueAttributes": self.set_queue_attributes,
            "PurgeQueue": self.purge_queue,
            "DeleteQueue": self.delete_queue,
            "SendMessage": self.send_message,
            "SendMessageBatch": self.send_message_batch,
            "ReceiveMessage": self.receive_message,
            "DeleteMessage": self.delete_message,
            "DeleteMessageBatch": self.delete_message_batch,
            "ChangeMessageVisibility": self.change_message_visibility,
            "ChangeMessageVisibilityBatch": self.change_message_visibility_batch,
        }

    # ------------------------------------------------------------ queues
    def queue(self, request: dict[str, Any]) -> Queue:
        url = request.get("QueueUrl")
        if not url:
            raise SqsError("MissingParameter", "The request must contain the parameter QueueUrl.")
        queue = self.queues.get(url.rstrip("/").rsplit("/", 1)[-1])
        if queue is None:
            raise SqsError("QueueDoesNotExist", "The specified queue does not exist.")
        return queue

    def create_queue(self, request: dict[str, Any]) -> dict[str, Any]:
        name, attributes = request["QueueName"], request.get("Attributes", {})
        if name.endswith(".fifo") or attributes.get("FifoQueue") == "true":
            raise SqsError("UnsupportedOperation", "The local SQS has standard queues only.")
        existing = self.queues.get(name)
        if existing is not None:
            if any(existing.attributes.get(key) != str(value) for key, value in attributes.items()):
                raise SqsError("QueueNameExists", f"A queue already exists with the same name: {name}")
            return {"QueueUrl": existing.url}
        arn = f"arn:aws:sqs:{self.region}:{self.account}:{name}"
        self.queues[name] = Queue(name, arn, f"{self.endpoint}/{self.account}/{name}", attributes)
        return {"QueueUrl": self.queues[name].url}

    def get_queue_url(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"QueueUrl": self.queue({"QueueUrl": request["QueueName"]}).url}

    def list_queues(self, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("QueueNamePrefix", "")
        return {"QueueUrls": [q.url for name, q in sorted(self.queues.items()) if name.startswith(prefix)]}

    def get_queue_attributes(self, request: dict[str, Any]) -> dict[str, Any]:
        attributes = self.queue(request).all_attributes()
        names = request.get("AttributeNames") or []
        if "All" not in names:
            attributes = {name: value for name, value in attributes.items() if name in names}
        return {"Attributes": attributes} if attributes else {}

    def set_queue_attributes(self, request: dict[str, Any]) -> dict[str, Any]:
        self.queue(request).set_attributes(request.get("Attributes", {}))
        return {}

    def purge_queue(self, request: dict[str, Any]) -> dict[str, Any]:
        self.queue(request).purge()
        return {}

    def delete_queue(self, request: dict[str, Any]) -> dict[str, Any]:
        del self.queues[self.queue(request).name]
        return {}

    # ------------------------------------------------------------ sending
    def send_message(self, request: dict[str, Any]) -> dict[str, Any]:
        queue = self.queue(request)
        message = queue.send(
            request.get("MessageBody", ""), request.get("MessageAttributes", {}), _delay(request)
        )
        self._arrived(queue)
        return _sent(message)

    def send_message_batch(self, request: dict[str, Any]) -> dict[str, Any]:
        queue = self.queue(request)
        entries = _entries(request)
        successful, failed = [], []
        for entry in entries:
            try:
                message = queue.send(
                    entry.get("MessageBody", ""), entry.get("MessageAttributes", {}), _delay(entry)
                )
            except SqsError as error:
                failed.append(
                    {"Id": entry["Id"], "SenderFault": True, "Code": error.code, "Message": error.message}
                )
                continue
            successful.append({"Id": entry["Id"]} | _sent(message))
        self._arrived(queue)
        return {"Successful": successful, "Failed": failed}

    def _arrived(self, queue: Queue) -> None:
        event = self._arrivals.pop(queue.name, None)
        if event is not None:
            event.set()

    # ------------------------------------------------------------ receiving
    async def receive_message(self, request: dict[str, Any]) -> dict[str, Any]:
        queue = self.queue(request)
        limit = int(request.get("MaxNumberOfMessages", 1))
        if not 1 <= limit <= MAX_BATCH:
            raise invalid(
                f"Value {limit} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10."
            )
        visibility = int(request.get("VisibilityTimeout", queue.number("VisibilityTimeout")))
        wait = int(request.get("WaitTimeSeconds", queue.number("ReceiveMessageWaitTimeSeconds")))
        if not 0 <= wait <= MAX_WAIT_SECONDS:
            raise invalid(
                f"Value {wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20."
            )
        deadline = time.monotonic() + wait
        while True:
            messages = queue.take(limit, visibility, self._dead_letters(queue))
            now = time.monotonic()
            if messages or now >= deadline or queue.name not in self.queues:
                break
            next_visible = queue.next_visible()
            until = deadline if next_visible is None else min(deadline, next_visible)
            event = self._arrivals.setdefault(queue.name, asyncio.Event())
            try:
                await asyncio.wait_for(event.wait(), max(0.0, until - now))
            except TimeoutError:
                pass
        return {"Messages": [_received(m, request) for m in messages]} if messages else {}

    def _dead_letters(self, queue: Queue) -> Queue | None:
        if queue.redrive is None:
            return None
        arn = queue.redrive[0]
        return next((q for q in self.queues.values() if q.arn == arn), None)

    # ------------------------------------------------------------ settling
    def delete_message(self, request: dict[str, Any]) -> dict[str, Any]:
        queue = self.queue(request)
        message = queue.find(request["ReceiptHandle"])
        if message is not None:
            queue.remove(message)
        return {}

    def delete_message_batch(self, request: dict[str, Any]) -> dict[str, Any]:
        queue = self.queue(request)
        return self._batch(request, lambda entry: self.delete_message({"QueueUrl": queue.url} | entry))

    def change_message_visibility(self, request: dict[str, Any]) -> dict[str, Any]:
        queue = self.queue(request)
        queue.change_visibility(request["ReceiptHandle"], int(request["VisibilityTimeout"]))
        self._arrived(queue)
        return {}

    def change_message_visibility_batch(self, request: dict[str, Any]) -> dict[str, Any]:
        queue = self.queue(request)
        return self._batch(
            request, lambda entry: self.change_message_visibility({"QueueUrl": queue.url} | entry)
        )

    @staticmethod
    def _batch(request: dict[str, Any], action: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
        successful, failed = [], []
        for entry in _entries(request):
            try:
                action(entry)
                successful.append({"Id": entry["Id"]})
            except SqsError as error:
                failed.append(
                    {"Id": entry["Id"], "SenderFault": True, "Code": error.code, "Message": error.message}
                )
        return {"Successful": successful, "Failed": failed}


def _delay(request: dict[str, Any]) -> int | None:
    return int(request["DelaySeconds"]) if "DelaySeconds" in request else None


def _entries(request: dict[str, Any]) -> list[dict[str, Any]]:
    entries = request.get("Entries") or []
    if not entries:
        raise SqsError("EmptyBatchRequest", "There should be at least one entry in the request.")
    if len(entries) > MAX_BATCH:
        raise SqsError(
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are 10. You have sent {len(entries)}.",
        )
    ids = [entry.get("Id", "") for entry in entries]
    if len(set(ids)) != len(ids):
        raise SqsError(
            "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id."
        )
    if not all(
        entry_id and len(entry_id) <= 80 and entry_id.replace("-", "").replace("_", "").isalnum()
        for entry_id in ids
    ):
        raise SqsError(
            "InvalidBatchEntryId",
            "A batch entry id can only contain alphanumeric characters, hyphens and underscores.",
        )
    return entries


def _sent(message: Message) -> dict[str, Any]:
    sent = {"MessageId": message.message_id, "MD5OfMessageBody": message.md5_of_body}
    if message.attributes:
        sent["MD5OfMessageAttributes"] = md5_of_attributes(message.attributes)
    return sent


def _received(message: Message, request: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "MessageId": message.message_id,
        "ReceiptHandle": message.receipt,
        "MD5OfBody": message.md5_of_body,
        "Body": message.body,
    }
    wanted = set(request.get("AttributeNames") or []) | set(request.get("MessageSystemAttributeNames") or [])
    system = {
        "SenderId": SENDER_ID,
        "SentTimestamp": str(message.sent_ms),
        "ApproximateReceiveCount": str(message.receive_count),
        "ApproximateFirstReceiveTimestamp": str(message.first_receive_ms),
    }
    if attributes := {k: v for k, v in system.items() if "All" in wanted or k in wanted}:
        out["Attributes"] = attributes
    names = request.get("MessageAttributeNames") or []
    chosen = {
        name: value
        for name, value in message.attributes.items()
        if any(n in ("All", ".*", name) or (n.endswith(".*") and name.startswith(n[:-2])) for n in names)
    }
    if chosen:
        out["MessageAttributes"] = chosen
        out["MD5OfMessageAttributes"] = md5_of_attributes(chosen)
    return out


class SqsApp:
    """The ASGI app: POST / with `X-Amz-Target: AmazonSQS.<Operation>` and a JSON body."""

    def __init__(self, service: SqsService):
        self.service = service

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                phase = (await receive())["type"]  # lifespan.startup, then lifespan.shutdown
                await send({"type": f"{phase}.complete"})
                if phase == "lifespan.shutdown":
                    return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        headers = dict(scope["headers"])
        target = headers.get(b"x-amz-target", b"").decode()
        status, reply = await self.dispatch(target, body)
        content = json.dumps(reply).encode()
        response_headers = [
            (b"content-type", CONTENT_TYPE),
            (b"content-length", str(len(content)).encode()),
            (b"x-amzn-requestid", str(uuid.uuid4()).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": content})

    async def dispatch(self, target: str, body: bytes) -> tuple[int, dict[str, Any]]:
        prefix, _, operation = target.partition(".")
        handler = self.service.handlers.get(operation) if prefix == "AmazonSQS" else None
        try:
            if handler is None:
                raise SqsError(
                    "UnsupportedOperation", f"The local SQS does not support {target or 'this request'}."
                )
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                raise invalid("The request body is not valid JSON.") from None
            result = handler(request)
            return 200, (await result if asyncio.iscoroutine(result) else result)
        except SqsError as error:
            return error.status, {"__type": f"com.amazonaws.sqs#{error.code}", "message": error.message}
        except (KeyError, TypeError, ValueError) as error:
            return 400, {
                "__type": "com.amazonaws.sqs#InvalidParameterValue",
                "message": f"Invalid request: {error}",
            }


class SqsLocal:
    """The local SQS on `host:port` (0: a free port), served by uvicorn in a thread of this process."""

    def __init__(self, region: str, host: str = "127.0.0.1", port: int = 0, account: str = ACCOUNT):
        self.service = SqsService(region, account)
        self._server = ServerThread(SqsApp(self.service), host, port)
        self.endpoint_url = ""

    def start(self) -> Self:
        self._server.start()
        self.endpoint_url = self.service.endpoint = self._server.base_url
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
