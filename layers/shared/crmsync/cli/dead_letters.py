"""Dead-letter queues: list, show and redrive the messages that failed 5 times.

Each queue group (`sync`, `automation`) has a dead-letter queue (template.yaml's RedrivePolicy).
Reading a message from SQS hides it for a while; `list` and `show` hide what they read for a few
seconds and make it visible again at once, so looking never delays a redrive. `redrive` sends each
message back to its source queue unchanged, then deletes it from the dead-letter queue (a crash in
between leaves a copy in both: the consumers drop a stale or repeated message). `--dry-run` shows what
would move and moves nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crmsync.cli.output import print_json, print_table
from crmsync.cli.target import QUEUE_OUTPUTS
from crmsync.domain.errors import NotFoundError

QUEUES = list(QUEUE_OUTPUTS)
PEEK_SECONDS = 30  # how long a read message stays hidden if the command dies before releasing it
REDRIVE_SECONDS = 120  # hidden while it is sent back; deleted right after
BATCH = 10  # SQS's most per ReceiveMessage / ChangeMessageVisibilityBatch
LONG_POLL_SECONDS = 1  # long polling asks every SQS server, so a small queue is read whole


@dataclass
class DeadLetter:
    queue: str
    message_id: str
    receipt_handle: str
    body: str
    attributes: dict[str, str] = field(default_factory=dict)
    message_attributes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, queue: str, message: dict) -> DeadLetter:
        return cls(
            queue=queue,
            message_id=message["MessageId"],
            receipt_handle=message["ReceiptHandle"],
            body=message["Body"],
            attributes=message.get("Attributes", {}),
            message_attributes=message.get("MessageAttributes", {}),
        )

    @property
    def content(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    @property
    def sent_at(self) -> str | None:
        sent = self.attributes.get("SentTimestamp")
        return datetime.fromtimestamp(int(sent) / 1000, UTC).isoformat(timespec="seconds") if sent else None

    @property
    def kind(self) -> str:
        """The message's kind (contracts/queues.py); a deal event is the one without a `kind`."""
        content = self.content
        if content is None:
            return "unreadable"
        return str(content.get("kind") or ("deal_event" if "deal_id" in content else "unknown"))

    def summary(self) -> dict[str, Any]:
        content = self.content or {}
        return {
            "queue": self.queue,
            "message_id": self.message_id,
            "sent_at": self.sent_at,
            "receives": int(self.attributes.get("ApproximateReceiveCount", 0)) or None,
            "kind": self.kind,
            "integration_id": content.get("integration_id"),
            "module": content.get("module") or content.get("crm_module"),
            "subject": content.get("run_id") or content.get("deal_id") or content.get("record_id"),
        }

    def full(self) -> dict[str, Any]:
        return self.summary() | {
            "attributes": self.attributes,
            "message_attributes": self.message_attributes,
            "body": self.content if self.content is not None else self.body,
        }


class DeadLetterQueue:
    def __init__(self, sqs: Any, queue: str, url: str, source_url: str):
        self.sqs = sqs
        self.queue = queue
        self.url = url
        self.source_url = source_url

    def approximate_count(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes.get("ApproximateNumberOfMessages", 0))

    def receive(self, hide_for: int, limit: int) -> Iterator[DeadLetter]:
        """Messages, each once, until the queue has no more visible ones or `limit` are read."""
        seen: set[str] = set()
        while len(seen) < limit:
            reply = self.sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=min(BATCH, limit - len(seen)),
                VisibilityTimeout=hide_for,
                WaitTimeSeconds=LONG_POLL_SECONDS,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            fresh = [m for m in reply.get("Messages", []) if m["MessageId"] not in seen]
            if not fresh:
                return
            for message in fresh:
                seen.add(message["MessageId"])
                yield DeadLetter.of(self.queue, message)

    def peek(self, limit: int) -> list[DeadLetter]:
        """Read up to `limit` messages and make them visible again."""
        letters = list(self.receive(PEEK_SECONDS, limit))
        self.release(letters)
        return letters

    def release(self, letters: list[DeadLetter]) -> None:
        for start in range(0, len(letters), BATCH):
            entries = [
                {"Id": str(n), "ReceiptHandle": letter.receipt_handle, "VisibilityTimeout": 0}
                for n, letter in enumerate(letters[start:start + BATCH])
            ]
            self.sqs.change_message_visibility_batch(QueueUrl=self.url, Entries=entries)

    def move_back(self, letter: DeadLetter) -> None:
        """Send the message to the source queue as it was, then delete it here."""
        request: dict[str, Any] = {"QueueUrl": self.source_url, "MessageBody": letter.body}
        if letter.message_attributes:
            request["MessageAttributes"] = letter.message_attributes
        self.sqs.send_message(**request)
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=letter.receipt_handle)


def register(sub, command) -> None:
    group = sub.add_parser(
        "dead-letters", help="dead-letter queues: list, show, redrive (messages that failed 5 times)",
        description=__doc__.split("\n\n")[1],
    )
    commands = group.add_subparsers(dest="dead_letters_command", required=True, metavar="COMMAND")

    listing = command(commands, "list", list_dead_letters, help="count and list the messages in the dead-letter queues")
    _queue_argument(listing, all_allowed=True)
    listing.add_argument("--limit", type=int, default=100, metavar="N", help="list at most N per queue (default 100)")

    show = command(commands, "show", show_dead_letter, help="one message in full: attributes and body",
                   json_help="print JSON instead of text")
    show.add_argument("message_id", metavar="MESSAGE_ID", help="the message's id (dead-letters list)")
    _queue_argument(show, all_allowed=True)
    show.add_argument("--limit", type=int, default=1000, metavar="N",
                      help="read at most N messages per queue while looking for it (default 1000)")

    redrive = command(commands, "redrive", redrive_dead_letters,
                      help="send dead letters back to their source queue for another try")
    _queue_argument(redrive, all_allowed=False)
    redrive.add_argument("--message-id", dest="message_ids", action="append", metavar="MESSAGE_ID",
                         help="redrive only this message; repeatable (default: every message)")
    redrive.add_argument("--limit", type=int, default=1000, metavar="N", help="move at most N messages (default 1000)")
    redrive.add_argument("--dry-run", action="store_true", help="list what would be sent back and change nothing")


def _queue_argument(parser, *, all_allowed: bool) -> None:
    if all_allowed:
        parser.add_argument("--queue", choices=[*QUEUES, "all"], default="all",
                            help="which dead-letter queue: the sync queue's, the automation queue's, or all (default)")
    else:
        parser.add_argument("--queue", choices=QUEUES, required=True,
                            help="which dead-letter queue to redrive: the sync queue's or the automation queue's")


def _queues(ctx, choice: str) -> list[DeadLetterQueue]:
    names = QUEUES if choice == "all" else [choice]
    return [
        DeadLetterQueue(ctx.sqs, name, ctx.target.dead_letter_queue_url(name), ctx.target.queue_url(name))
        for name in names
    ]


def list_dead_letters(args, ctx) -> int:
    report = []
    for dlq in _queues(ctx, args.queue):
        letters = dlq.peek(args.limit)
        report.append({"queue": dlq.queue, "url": dlq.url, "approximate_count": dlq.approximate_count(),
                       "messages": [letter.summary() for letter in letters]})
    if ctx.as_json:
        print_json({"queues": report}, ctx.out)
        return 0
    for n, queue in enumerate(report):
        if n:
            print(file=ctx.out)
        print(f"{queue['queue']} dead-letter queue: about {queue['approximate_count']} message(s)", file=ctx.out)
        columns = ["message_id", "sent_at", "receives", "kind", "integration_id", "module", "subject"]
        print_table(queue["messages"], columns, ctx.out, empty="(empty)")
    return 0


def show_dead_letter(args, ctx) -> int:
    for dlq in _queues(ctx, args.queue):
        letters = dlq.peek(args.limit)
        found = next((letter for letter in letters if letter.message_id == args.message_id), None)
        if found is not None:
            if ctx.as_json:
                print_json(found.full(), ctx.out)
            else:
                full = found.full()
                for key in ("queue", "message_id", "sent_at", "receives", "kind", "integration_id", "module", "subject"):
                    print(f"{key:<15} {full[key] if full[key] is not None else '-'}", file=ctx.out)
                print("attributes", json.dumps(full["attributes"], indent=2, sort_keys=True), sep="\n", file=ctx.out)
                body = full["body"]
                print("body", body if isinstance(body, str) else json.dumps(body, indent=2), sep="\n", file=ctx.out)
            return 0
    raise NotFoundError(f"no message {args.message_id} in the {args.queue} dead-letter queue(s)")


def redrive_dead_letters(args, ctx) -> int:
    [dlq] = _queues(ctx, args.queue)
    wanted = set(args.message_ids or [])
    moved: list[DeadLetter] = []
    if args.dry_run:
        letters = dlq.peek(args.limit if not wanted else max(args.limit, 1000))
        moved = [letter for letter in letters if not wanted or letter.message_id in wanted][: args.limit]
    else:
        skipped: list[DeadLetter] = []
        try:
            for letter in dlq.receive(REDRIVE_SECONDS, args.limit if not wanted else max(args.limit, 1000)):
                if (wanted and letter.message_id not in wanted) or len(moved) >= args.limit:
                    skipped.append(letter)
                    continue
                dlq.move_back(letter)
                moved.append(letter)
        finally:
            dlq.release(skipped)
    missing = sorted(wanted - {letter.message_id for letter in moved})
    result = {
        "queue": dlq.queue, "dry_run": args.dry_run, "to": dlq.source_url,
        "messages": [letter.summary() for letter in moved], "not_found": missing,
    }
    if ctx.as_json:
        print_json(result, ctx.out)
    else:
        verb = "would send" if args.dry_run else "sent"
        print(f"{verb} {len(moved)} message(s) from the {dlq.queue} dead-letter queue back to {dlq.source_url}",
              file=ctx.out)
        columns = ["message_id", "sent_at", "receives", "kind", "integration_id", "module", "subject"]
        if moved:
            print_table(result["messages"], columns, ctx.out, empty="")
        if missing:
            print(f"not found: {', '.join(missing)}", file=ctx.out)
    return 1 if missing else 0
