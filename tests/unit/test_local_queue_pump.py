"""The local SQS event source mapping delivers batches concurrently, up to the event source's
ScalingConfig.MaximumConcurrency (issue 13 point 5), against the local stack's SQS and the probe function
of tests/unit/local_lambda/ in its own execution environments."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.aws_local import client, create_queues
from local.invoker import Invoker
from local.queue_pump import QueuePump
from local.sqs_local import SqsLocal
from local.template import Template

PROBE_TEMPLATE = Path(__file__).resolve().parent / "local_lambda" / "template.yaml"


@pytest.fixture
def sqs_server() -> Iterator[SqsLocal]:
    with SqsLocal("us-east-1") as server:
        yield server


def test_batches_are_delivered_concurrently_up_to_the_sources_maximum_concurrency(sqs_server):
    template = Template(PROBE_TEMPLATE)
    refs = create_queues(template, sqs_server.endpoint_url)
    invoker = Invoker(template, refs)
    pump = QueuePump(template, invoker, refs, sqs_server.endpoint_url, retry_delay=1)
    sqs = client("sqs", sqs_server.endpoint_url, "us-east-1")
    queue = refs["ProbeQueue"]
    sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": str(n), "MessageBody": "0.7"} for n in range(9)],  # seconds each
    )

    def left() -> int:
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    pump.start()
    try:
        deadline = time.monotonic() + 60
        while left() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        pump.stop()
        invoker.stop()

    [source] = template.queue_sources
    assert left() == 0
    assert pump.concurrency(source) == 3
    assert pump.peak_concurrency("QueueProbe") == 3
    runs = invoker.invocations
    assert len(runs) == 9 and all(run.ok for run in runs)
    assert len({run.environment for run in runs}) == 3  # one environment per batch in flight
    assert sum(run.cold_start for run in runs) == 3
