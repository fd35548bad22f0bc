"""CRM notifications the webhook intake takes per second on the local stack (issue 13, point 8).

    python -m bench.webhook_intake [--clients 16] [--seconds 60] [--warmup 10]

Starts the local stack (free ports, in memory), connects the CRM and inventory sandboxes, and takes a
real notification the CRM sandbox sent to the stack (its channel and token) as the template. The
queue pump is then paused: on AWS the consumers run in other execution environments, and here they
would share the two cores with the intake; SQS keeps what the intake queues, as it would behind the
consumers' concurrency cap. After a warm-up (cold starts left out), `--clients` concurrent clients in a
process of their own post distinct Deals notifications (new ids and server time each, so every one is
queued, never a duplicate) over keep-alive connections for `--seconds`.

Prints requests per second beside the bound (100), the clients' latency (p50, p95), the handler's own
time per request from the invoker's invocation records (p50, p95), the answers by status, the messages
queued against the notifications accepted, and the CPU per notification of each process (Linux).
Exits 1 when fewer than 100 requests a second were answered, an answer was not 200 "queued", or a
queued message is missing. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx

from bench.automation_latency import Sandboxes, connect
from local.stack import LocalStack

BOUND_PER_SECOND = 100
FUNCTION = "WebhookIntakeFunction"
FIRST_ID = 7_000_000_000_000_000_000  # deal ids of the bench's notifications count up from here
SETTLE_SECONDS = 60.0


# ------------------------------------------------------------ the clients (a process of their own)
@dataclass
class LoadResult:
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    answers: Counter = field(default_factory=Counter)  # "200 queued", "503", ...
    queued: int = 0  # messages the answers say were queued
    cpu_seconds: float = 0.0  # the clients' own process


def post_notifications(url: str, template: dict, clients: int, seconds: float, first: int) -> LoadResult:
    """`clients` threads, each with one keep-alive connection, post distinct notifications for `seconds`."""
    parts = urlsplit(url)
    numbers = iter(range(first, first + 10**9))
    lock = threading.Lock()
    result = LoadResult(seconds=seconds)
    stop_at = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        while time.monotonic() < stop_at:
            with lock:
                n = next(numbers)
            body = json.dumps(
                template | {"ids": [str(n)], "server_time": template["server_time"] + n - first}
            )
            started = time.perf_counter()
            connection.request("POST", parts.path, body, {"Content-Type": "application/json"})
            reply = connection.getresponse()
            content = reply.read()
            elapsed = (time.perf_counter() - started) * 1000
            answer = json.loads(content) if reply.status == 200 else {}
            with lock:
                result.latencies_ms.append(elapsed)
                result.answers[f"{reply.status} {answer.get('status', '')}".strip()] += 1
                result.queued += answer.get("queued", 0)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    result.cpu_seconds = time.process_time()
    return result


def _load_process(args: tuple, replies: Any) -> None:
    replies.send(post_notifications(*args))


def run_load(url: str, template: dict, clients: int, seconds: float, first: int) -> LoadResult:
    """`post_notifications` in a fresh process, so that the clients do not share the stack's GIL."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_load_process, args=((url, template, clients, seconds, first), sending))
    process.start()
    result = receiving.recv()
    process.join()
    return result


# ------------------------------------------------------------ the stack's side
def crm_notification(stack: LocalStack, boxes: Sandboxes) -> tuple[str, dict]:
    """A Deals notification the CRM sandbox really sent to the stack: where it went, and its body (with
    the channel id and token)."""
    boxes.crm_call(
        "POST",
        "/Deals",
        {"data": [{"Deal_Name": "Bench", "Stage": "Negotiation/Review", "Closing_Date": "2026-12-31"}]},
    )
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        sent = httpx.get(f"{stack.endpoints['crm']}/_sandbox/notifications").json()["notifications"]
        deals = [(n["notify_url"], n["payload"]) for n in sent if n["payload"].get("module") == "Deals"]
        if deals:
            return deals[-1]
        time.sleep(0.2)
    raise SystemExit("the CRM sandbox sent no Deals notification")


def queued_messages(sqs: Any, urls: list[str]) -> int:
    """Messages on the queues: waiting, in flight and delayed."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    names.append("ApproximateNumberOfMessagesDelayed")
    total = 0
    for url in urls:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        total += sum(int(attributes[name]) for name in names)
    return total


def settle(sqs: Any, urls: list[str]) -> None:
    """Wait until the consumers have taken everything the set-up queued (an integration's first sync)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while queued_messages(sqs, urls) and time.monotonic() < deadline:
        time.sleep(0.5)


def handler_times(stack: LocalStack, since: datetime) -> list[float]:
    """Durations of the warm webhook invocations that started at or after `since`."""
    return [
        i["duration_ms"]
        for i in stack.invocations
        if i["function"] == FUNCTION
        and not i["cold_start"]
        and datetime.fromisoformat(i["started_at"]) >= since
    ]


# ------------------------------------------------------------ CPU per process (Linux /proc)
def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def cpu_seconds(root: int) -> dict[int, tuple[str, float]]:
    """CPU time (user + system) of every process under `root`, by pid, with what it is; none without /proc."""
    if not os.path.isdir("/proc"):
        return {}
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/stat") as stat, open(f"/proc/{pid}/cmdline") as cmdline:
                fields = stat.read().rsplit(")", 1)[1].split()
                command = cmdline.read().replace("\0", " ")
        except OSError:
            continue
        out[pid] = (process_kind(pid, command), (int(fields[11]) + int(fields[12])) / ticks)
    return out


def process_kind(pid: int, command: str) -> str:
    if pid == os.getpid():
        return "stack process: gateway, invoker, SQS, moto, sandboxes"
    if "DynamoDBLocal" in command:
        return "DynamoDB Local (Java)"
    if "local.lambda_runtime" in command:
        return f"execution environments: {command.split('--task-root ')[1].split()[0].rsplit('/', 1)[-1]}"
    return command[:60]


def cpu_by_kind(before: dict, after: dict) -> Counter:
    spent: Counter = Counter()
    for pid, (kind, seconds) in after.items():
        spent[kind] += seconds - before.get(pid, (kind, 0.0))[1]
    return spent


# ------------------------------------------------------------ the run
def percentile(values: list[float], cut: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[cut - 1] if len(values) > 1 else values[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="seconds of load before the window (cold starts, JIT)"
    )
    args = parser.parse_args(argv)

    with LocalStack(free_ports=True, in_memory=True, retry_delay=1, invocation_history=100_000) as stack:
        boxes = Sandboxes(stack)
        connect(stack, boxes)
        url, template = crm_notification(stack, boxes)
        region = os.environ["AWS_DEFAULT_REGION"]
        sqs = boto3.client("sqs", endpoint_url=stack.endpoints["sqs"], region_name=region)
        queues = [queue for logical_id, queue in stack.queue_urls.items() if "DeadLetter" not in logical_id]
        settle(sqs, queues)
        stack.pump.stop()  # consumers paused: SQS keeps what the intake queues (module docstring)

        run_load(url, template, args.clients, args.warmup, FIRST_ID)
        queued_before = queued_messages(sqs, queues)
        since = datetime.now(UTC)
        cpu_before = cpu_seconds(os.getpid())
        load = run_load(url, template, args.clients, args.seconds, FIRST_ID + 10**9)
        cpu_after = cpu_seconds(os.getpid())
        queued = queued_messages(sqs, queues) - queued_before
        durations = handler_times(stack, since)
    cpu = cpu_by_kind(cpu_before, cpu_after) + Counter({"load generator (the clients)": load.cpu_seconds})
    return report(args, load, queued, durations, cpu)


def report(
    args: argparse.Namespace, load: LoadResult, queued: int, durations: list[float], cpu: Counter
) -> int:
    requests = len(load.latencies_ms)
    per_second = requests / load.seconds
    accepted = load.answers.get("200 queued", 0)
    print(
        f"webhook intake on the local stack, {args.clients} clients for {load.seconds:.1f} s (consumers paused):"
    )
    verdict = "ok" if per_second >= BOUND_PER_SECOND else "UNDER"
    print(f"  requests per second    {per_second:8.1f}   bound >= {BOUND_PER_SECOND}   {verdict}")
    print(
        f"  client latency         p50 {percentile(load.latencies_ms, 50):6.0f} ms   "
        f"p95 {percentile(load.latencies_ms, 95):6.0f} ms   ({requests} requests)"
    )
    if durations:
        print(
            f"  handler's own time     p50 {percentile(durations, 50):6.1f} ms   "
            f"p95 {percentile(durations, 95):6.1f} ms   ({len(durations)} warm invocations)"
        )
    print(f"  answers                {dict(sorted(load.answers.items()))}")
    missing = load.queued - queued
    print(
        f"  queued                 {queued} messages on the queues for {accepted} notifications accepted "
        f"({load.queued} messages in their answers)   {'ok' if missing == 0 else f'{missing} MISSING'}"
    )
    if cpu:
        total = sum(cpu.values())
        print(f"  CPU per notification   {1000 * total / max(requests, 1):6.1f} ms in all, of which:")
        for kind, seconds in cpu.most_common():
            print(f"    {1000 * seconds / max(requests, 1):6.1f} ms  {kind}")
    ok = per_second >= BOUND_PER_SECOND and accepted == requests and missing == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
