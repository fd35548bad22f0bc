"""API calls the sync engine makes, against the sandboxes' call counters (issue 5). Prints figures;
not a timed test and not part of `make test`.

    python -m bench.sync_calls [--records 10000]

Runs the sync worker's use case in this process, as the queue would, over DynamoDB Local, moto's
server (SQS, Secrets Manager) and both sandboxes over HTTP:

1. a first sync of N CRM accounts into an empty inventory: CRM list calls against
   1.05 x ceil(N / 200), inventory calls per created record against 1.05, the inventory's 429
   answers against 0 (the inventory sandbox allows 100 calls per 1-second window instead of per
   minute, so the bench takes minutes; the client's pacer is set to the same budget), and the
   DynamoDB calls per record (counted with a botocore event hook);
2. a settling run (it reads back the records the first run created), then a run with nothing
   changed: list calls per side against 1 and writes against 0;
3. a two-way round trip of one edit, each way: writes against 1.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import boto3
import httpx

WINDOW_SECONDS = 1.0
PER_WINDOW = 100  # what the inventory sandbox allows per window
PACED_PER_WINDOW = 90  # what the product paces to: 90% of the limit, as in production


@dataclass
class Figure:
    name: str
    value: float
    bound: float | None

    def line(self) -> str:
        if self.bound is None:
            return f"{self.name:<64} {self.value:>10.3f} {'-':>10} {'-':>8}"
        ratio = self.value / self.bound if self.bound else (0.0 if self.value == 0 else math.inf)
        verdict = "ok" if self.value <= self.bound else "OVER"
        return f"{self.name:<64} {self.value:>10.3f} {self.bound:>10.3f} {ratio:>7.2f}  {verdict}"


@dataclass
class Counters:
    dynamodb: int = 0
    throttled: int = 0
    by_operation: Counter = field(default_factory=Counter)


@contextmanager
def aws() -> Iterator[dict[str, str]]:
    """DynamoDB Local (the real engine: moto copies a table on every transaction, which grows with
    the table) and moto's server for SQS and Secrets Manager, with the template's tables and queues;
    yields the worker's environment."""
    from local.aws_local import MotoServer, provision
    from local.dynamodb_local import DynamoDBLocal
    from local.template import Template

    template = Template()
    with DynamoDBLocal(in_memory=True) as dynamodb, MotoServer(port=0) as moto:
        os.environ.update(
            AWS_DEFAULT_REGION=str(template.resolve({"Ref": "AWS::Region"})),
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_ENDPOINT_URL_DYNAMODB=dynamodb.endpoint_url,
            AWS_ENDPOINT_URL_SQS=moto.endpoint_url,
            AWS_ENDPOINT_URL_SECRETS_MANAGER=moto.endpoint_url,
            POWERTOOLS_SERVICE_NAME="crmsync",
            POWERTOOLS_METRICS_NAMESPACE="CrmSyncBench",
            POWERTOOLS_TRACE_DISABLED="true",
            POWERTOOLS_LOG_LEVEL="WARNING",
        )
        refs = provision(template, dynamodb.endpoint_url, moto.endpoint_url)
        env = {
            key: str(template.resolve(value, refs))
            for key, value in template.functions["SyncWorkerFunction"].environment.items()
        }
        os.environ.update(env)
        yield env


class Bench:
    def __init__(self, records: int):
        from crmsync.adapters.dynamodb import DynamoStore
        from crmsync.adapters.pacer import PacerPool, TokenBucket
        from crmsync.runtime.container import Container
        from local.sandboxes.common import run_in_thread
        from local.sandboxes.crm import create_app as crm_app
        from local.sandboxes.inventory import create_app as inventory_app

        self.records = records
        self.servers = [run_in_thread(crm_app()), run_in_thread(inventory_app())]
        self.crm_url, self.inventory_url = (s.base_url for s in self.servers)
        self.control = httpx.Client(timeout=120)
        self.counters = Counters()
        self.container = Container.from_env()
        client = boto3.client("dynamodb")
        client.meta.events.register("before-call.dynamodb", self._count_dynamodb)
        self.container.__dict__["store"] = DynamoStore(self.container.settings.table_name, client=client)
        # The pacer keeps the client under the sandbox's window (burst 10, the rest spread evenly).
        self.container.__dict__["inventory_pacers"] = PacerPool(
            lambda _org: TokenBucket(PACED_PER_WINDOW, WINDOW_SECONDS)
        )

    def _count_dynamodb(self, model, **_) -> None:
        self.counters.dynamodb += 1
        self.counters.by_operation[model.name] += 1

    def _count_throttles(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            self.counters.throttled += 1

    def close(self) -> None:
        self.control.close()
        for server in self.servers:
            server.stop()

    # ------------------------------------------------------------------ set-up
    def seed(self) -> None:
        from crmsync.domain.models import (
            CrmSource,
            Integration,
            Module,
            ModulePreferences,
            ModuleSettings,
            Role,
        )
        from crmsync.ports.secrets import IntegrationCredentials, OAuthCredentials

        crm = self._post(
            self.crm_url,
            "/_sandbox/seed",
            {"org": {"iso_code": "USD"}, "generate": {"Accounts": self.records}},
        )
        inventory = self._post(
            self.inventory_url, "/_sandbox/seed", {"organization": {"currency_code": "USD"}}
        )
        self._put(self.crm_url, "/_sandbox/limits", {"access_tokens_per_window": 100_000})
        self._put(
            self.inventory_url,
            "/_sandbox/limits",
            {
                "per_minute": PER_WINDOW,
                "window_seconds": WINDOW_SECONDS,
                "per_day": 10_000_000,
                "tokens_per_refresh_token": 100_000,
            },
        )
        now = datetime.now(UTC)
        self.integration = Integration(
            integration_id=f"bench-{uuid.uuid4().hex[:8]}",
            tenant_id="bench",
            role=Role.PRIMARY,
            crm_org_id=crm["org_id"],
            inventory_org_id=inventory["organization_id"],
            crm_data_center="com",
            inventory_data_center="com",
            crm_base_url=self.crm_url,
            inventory_base_url=self.inventory_url,
            two_way=True,
            created_at=now,
            updated_at=now,
        )
        store = self.container.store
        store.create_integration(self.integration)

        def grant(seeded: dict, url: str) -> OAuthCredentials:
            return OAuthCredentials(
                client_id=seeded["client_id"],
                client_secret=seeded["client_secret"],
                refresh_token=seeded["refresh_token"],
                base_url=url,
            )

        self.container.credentials.put(
            self.integration.integration_id,
            IntegrationCredentials(
                crm=grant(crm, self.crm_url), inventory=grant(inventory, self.inventory_url)
            ),
        )
        store.save_module_settings(
            ModulePreferences(
                integration_id=self.integration.integration_id,
                module=Module.CUSTOMERS,
                settings=ModuleSettings(crm_source=CrmSource.ACCOUNTS),
            )
        )
        clients = self.container.vendors.for_integration(self.integration)
        clients.inventory._http._client.event_hooks["response"].append(self._count_throttles)

    def _post(self, url: str, path: str, body: dict) -> dict:
        reply = self.control.post(f"{url}{path}", json=body)
        reply.raise_for_status()
        return reply.json()

    def _put(self, url: str, path: str, body: dict) -> None:
        self.control.put(f"{url}{path}", json=body).raise_for_status()

    # ------------------------------------------------------------------ running
    def calls(self) -> tuple[Counter, Counter]:
        crm = self.control.get(f"{self.crm_url}/_sandbox/calls").json()["calls"]
        inventory = self.control.get(f"{self.inventory_url}/_sandbox/calls").json()["calls"]
        return Counter(crm), Counter(inventory)

    def run(self):
        """One manual run of the customers module, pumped through the queue until it is done."""
        from crmsync.contracts.queues import SyncQueueMessage
        from crmsync.domain.models import Module, Trigger
        from crmsync.services.sync import runs
        from crmsync.services.sync.engine import run_sync_step

        store = self.container.store
        integration = store.get_integration(self.integration.integration_id)
        preferences = store.get_module(integration.integration_id, Module.CUSTOMERS)
        run = runs.start_run(self.container.deps, integration, preferences, Trigger.MANUAL)
        sqs, url = boto3.client("sqs"), self.container.settings.sync_queue_url
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages"):
            run_sync_step(self.container.deps, SyncQueueMessage.validate_json(messages[0]["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
        return store.get_run(integration.integration_id, run.run_id)

    def measured(self):
        """Runs once; returns the run, the calls each sandbox served and DynamoDB calls made during it."""
        crm_before, inventory_before = self.calls()
        dynamodb_before = self.counters.dynamodb
        started = time.monotonic()
        run = self.run()
        elapsed = time.monotonic() - started
        crm_after, inventory_after = self.calls()
        return (
            run,
            crm_after - crm_before,
            inventory_after - inventory_before,
            self.counters.dynamodb - dynamodb_before,
            elapsed,
        )


def api_calls(calls: Counter) -> int:
    return sum(n for call, n in calls.items() if "/oauth/" not in call)


def writes(calls: Counter) -> int:
    return sum(
        n
        for call, n in calls.items()
        if call.split()[0] in {"POST", "PUT", "DELETE"} and "/oauth/" not in call
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args(argv)
    with aws():
        bench = Bench(args.records)
        try:
            return report(bench)
        finally:
            bench.close()


def report(bench: Bench) -> int:
    from crmsync.domain.models import Module, Side

    n = bench.records
    bench.seed()
    figures: list[Figure] = []
    print(f"first sync of {n} CRM accounts into an empty inventory ...", flush=True)
    first, crm, inventory, dynamodb, elapsed = bench.measured()
    created = first.counts.added
    figures += [
        Figure("first sync: records created in inventory", created, None),
        Figure("first sync: CRM list calls", crm["GET /crm/v8/{module}"], 1.05 * math.ceil(n / 200)),
        Figure(
            "first sync: inventory calls per created record", api_calls(inventory) / max(created, 1), 1.05
        ),
        Figure("first sync: inventory 429 answers", bench.counters.throttled, 0),
        Figure("first sync: DynamoDB calls per record", dynamodb / max(n, 1), None),
        Figure("first sync: failed records", first.counts.failed, 0),
        Figure("first sync: seconds", elapsed, None),
    ]
    print("settling run (reads back what the first sync created) ...", flush=True)
    settle, _, inventory, dynamodb, elapsed = bench.measured()
    figures.append(Figure("settling run: DynamoDB calls per record read", dynamodb / max(n, 1), None))
    print("run with nothing changed ...", flush=True)
    quiet, crm, inventory, dynamodb, _ = bench.measured()
    figures += [
        Figure("nothing changed: CRM list calls (Accounts)", crm["GET /crm/v8/{module}"], 1),
        Figure(
            "nothing changed: CRM deleted-records calls (another endpoint)",
            crm["GET /crm/v8/{module}/deleted"],
            1,
        ),
        Figure(
            "nothing changed: inventory list calls (contacts)", inventory["GET /inventory/v1/contacts"], 1
        ),
        Figure("nothing changed: writes, both sides", writes(crm) + writes(inventory), 0),
        Figure("nothing changed: DynamoDB calls", dynamodb, None),
    ]
    clients = bench.container.vendors.for_integration(bench.integration)
    store = bench.container.store
    page = store.list_mappings(bench.integration.integration_id, Module.CUSTOMERS, Side.CRM, limit=1)
    mapping = page.items[0]
    clients.crm.update_records("Accounts", [{"id": mapping.crm_id, "Billing_City": "Bergen"}])
    _, crm, inventory, _, _ = bench.measured()
    figures.append(Figure("round trip, CRM edit: writes, both sides", writes(crm) + writes(inventory), 1))
    time.sleep(1.1)  # a change in the second of our own write would look like it
    clients.inventory.update_contact(mapping.inventory_id, {"website": "https://bench.example"})
    _, crm, inventory, _, _ = bench.measured()
    figures.append(
        Figure("round trip, inventory edit: writes, both sides", writes(crm) + writes(inventory), 1)
    )
    figures.append(Figure("inventory 429 answers, all runs", bench.counters.throttled, 0))
    del settle, quiet
    print()
    print(f"{'figure':<64} {'value':>10} {'bound':>10} {'ratio':>7}")
    for figure in figures:
        print(figure.line())
    print("\nDynamoDB operations, all runs:", dict(bench.counters.by_operation.most_common()))
    return 0 if all(f.bound is None or f.value <= f.bound for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
