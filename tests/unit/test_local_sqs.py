"""The local stack's SQS (`local.sqs_local`, issue 13 point 8) behaves as SQS does for what the product,
the queue pump and the operator's CLI call, through boto3 over HTTP. Each test runs against it and
against moto's server (what the local stack used before), so the two answer alike."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.aws_local import MotoServer, client
from local.sqs_local import SqsLocal


@pytest.fixture(params=["sqs_local", "moto"])
def sqs(request) -> Iterator[Any]:
    server = SqsLocal("us-east-1") if request.param == "sqs_local" else MotoServer(port=0)
    with server:
        yield client("sqs", server.endpoint_url, "us-east-1")


def make_queue(sqs, name: str, **attributes: Any) -> str:
    return sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]


def counts(sqs, url: str) -> tuple[int, int, int]:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return tuple(int(attributes[name]) for name in names)


def bodies(reply: dict) -> list[str]:
    return sorted(m["Body"] for m in reply.get("Messages", []))


def test_a_sent_batch_is_received_with_sqs_attributes_and_deleted(sqs):
    url = make_queue(sqs, "work")
    sent = sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": f"m{n}", "MessageBody": json.dumps({"n": n})} for n in range(3)]
    )
    assert sorted(s["Id"] for s in sent["Successful"]) == ["m0", "m1", "m2"] and not sent.get("Failed")

    reply = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    assert bodies(reply) == ['{"n": 0}', '{"n": 1}', '{"n": 2}']
    first = reply["Messages"][0]
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    assert int(first["Attributes"]["SentTimestamp"]) <= time.time() * 1000
    assert counts(sqs, url) == (0, 3, 0)

    entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(reply["Messages"])]
    assert len(sqs.delete_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == 3
    assert counts(sqs, url) == (0, 0, 0)


def test_a_message_comes_back_after_its_visibility_timeout_or_at_once_when_made_visible(sqs):
    url = make_queue(sqs, "work", VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="again")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # in flight

    time.sleep(1.2)
    second = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"

    sqs.change_message_visibility_batch(
        QueueUrl=url, Entries=[{"Id": "0", "ReceiptHandle": second["ReceiptHandle"], "VisibilityTimeout": 0}]
    )
    assert bodies(sqs.receive_message(QueueUrl=url)) == ["again"]


def test_a_delayed_message_is_counted_as_delayed_until_its_delay_ends(sqs):
    url = make_queue(sqs, "work")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert counts(sqs, url) == (0, 0, 1)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert bodies(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3)) == ["later"]


def test_a_message_received_max_receive_count_times_moves_to_the_dead_letter_queue(sqs):
    dlq = make_queue(sqs, "work-dlq")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url = make_queue(sqs, "work", VisibilityTimeout=0, RedrivePolicy=policy)
    sqs.send_message(QueueUrl=url, MessageBody="poison")

    assert bodies(sqs.receive_message(QueueUrl=url)) == ["poison"]
    assert bodies(sqs.receive_message(QueueUrl=url)) == ["poison"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # the third receive moved it
    assert bodies(sqs.receive_message(QueueUrl=dlq)) == ["poison"]


def test_a_long_poll_answers_when_a_message_arrives(sqs):
    url = make_queue(sqs, "work")
    sender = threading.Timer(0.5, lambda: sqs.send_message(QueueUrl=url, MessageBody="woken"))
    sender.start()
    started = time.monotonic()
    reply = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)
    sender.join()
    assert bodies(reply) == ["woken"]
    assert time.monotonic() - started < 5


def test_message_attributes_round_trip_with_their_digest(sqs):
    url = make_queue(sqs, "work")
    attributes = {
        "kind": {"DataType": "String", "StringValue": "deal"},
        "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="with attributes", MessageAttributes=attributes)
    [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert message["MessageAttributes"] == attributes
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"]


def test_errors_are_the_modelled_sqs_exceptions(sqs):
    url = make_queue(sqs, "work")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=url.rsplit("/", 1)[0] + "/missing", MessageBody="x")
    with pytest.raises(sqs.exceptions.BatchEntryIdsNotDistinct):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "1"}, {"Id": "a", "MessageBody": "2"}]
        )
    with pytest.raises(ClientError):
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)


def test_queues_are_found_by_name_and_created_idempotently(sqs):
    url = make_queue(sqs, "crmsync-sync-dev", VisibilityTimeout=60)
    assert make_queue(sqs, "crmsync-sync-dev", VisibilityTimeout=60) == url
    assert sqs.get_queue_url(QueueName="crmsync-sync-dev")["QueueUrl"] == url
    assert url in sqs.list_queues(QueueNamePrefix="crmsync-")["QueueUrls"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert arn == "arn:aws:sqs:us-east-1:123456789012:crmsync-sync-dev"


def test_sending_does_not_slow_down_as_the_queue_fills():
    """The reason for the local SQS: moto's SendMessage scans the whole queue (bench/README.md)."""
    with SqsLocal("us-east-1") as server:
        service = server.service
        url = service.create_queue({"QueueName": "busy"})["QueueUrl"]
        request = {"QueueUrl": url, "Entries": [{"Id": "0", "MessageBody": "x"}]}
        for _ in range(20_000):
            service.send_message_batch(request)
        started = time.process_time()
        for _ in range(1000):
            service.send_message_batch(request)
        per_send = (time.process_time() - started) / 1000
    assert per_send < 0.001  # moto: about 0.4 s per send with 20,000 waiting
