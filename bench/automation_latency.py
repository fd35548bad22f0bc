"""How long from a deal marked won in the CRM to its invoice existing in inventory, on the local stack.

    python -m bench.automation_latency [--samples 20] [--warmup 2]

Starts the local stack (free ports, in memory), connects the CRM and inventory sandboxes, turns on
"deal won: create invoice", then for each sample creates a deal, waits until its creation has been
handled, sets its Stage to Closed Won through the CRM API and polls inventory until the invoice with
the deal's reference number exists. The path measured is the product's whole: the CRM's notification
callback, the webhook function, the automation queue, the trigger function (deal re-read, claim,
invoice create). Prints p50 and p95 (and min, max) in milliseconds. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import httpx

from crmsync.domain.automation import invoice_reference
from local.stack import LocalStack

POLL_SECONDS = 0.01
TIMEOUT_SECONDS = 30.0


class Sandboxes:
    """Seeded sandboxes and one access token per grant (the vendors allow few per refresh token)."""

    def __init__(self, stack: LocalStack):
        self.stack = stack
        self.inventory = self._seed("inventory", {"organization": {"currency_code": "USD"}})
        self.crm = self._seed(
            "crm",
            {
                "org": {"edition": "enterprise", "iso_code": "USD"},
                "records": {"Accounts": [{"Account_Name": "Bench Customer GmbH"}]},
            },
        )
        httpx.put(
            f"{stack.endpoints['inventory']}/_sandbox/limits", json={"per_minute": 1_000_000}
        ).raise_for_status()
        self._tokens = {name: self._token(name) for name in ("crm", "inventory")}

    def _seed(self, name: str, body: dict) -> dict:
        reply = httpx.post(f"{self.stack.endpoints[name]}/_sandbox/seed", json=body, timeout=60)
        reply.raise_for_status()
        return reply.json()

    def _token(self, name: str) -> str:
        seeded = getattr(self, name)
        reply = httpx.post(
            f"{self.stack.endpoints[name]}/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": seeded["client_id"],
                "client_secret": seeded["client_secret"],
                "refresh_token": seeded["refresh_token"],
            },
        )
        return reply.json()["access_token"]

    def grant(self, name: str) -> dict:
        seeded = getattr(self, name)
        return {k: seeded[k] for k in ("client_id", "client_secret", "refresh_token")} | {
            "base_url": self.stack.endpoints[name]
        }

    def crm_call(self, method: str, path: str, body: dict) -> dict:
        reply = httpx.request(
            method,
            f"{self.stack.endpoints['crm']}/crm/v8{path}",
            json=body,
            headers={"Authorization": f"Zoho-oauthtoken {self._tokens['crm']}"},
        )
        reply.raise_for_status()
        return reply.json()

    def invoice_exists(self, reference: str) -> bool:
        reply = httpx.get(
            f"{self.stack.endpoints['inventory']}/inventory/v1/invoices",
            params={"organization_id": self.inventory["organization_id"], "reference_number": reference},
            headers={"Authorization": f"Zoho-oauthtoken {self._tokens['inventory']}"},
        )
        reply.raise_for_status()
        return any(i["reference_number"] == reference for i in reply.json()["invoices"])


def connect(stack: LocalStack, boxes: Sandboxes) -> None:
    api = httpx.Client(
        base_url=stack.api_url, timeout=30, headers={"Authorization": f"Bearer {stack.api_key}"}
    )
    body = {
        "crm": {"org_id": boxes.crm["org_id"], **boxes.grant("crm")},
        "inventory": {"organization_id": boxes.inventory["organization_id"], **boxes.grant("inventory")},
    }
    created = api.post("/integrations", json=body)
    created.raise_for_status()
    path = f"/integrations/{created.json()['integration_id']}"
    for module, prefs in {"customers": {"crm_source": "accounts"}, "vendors": {}, "items": {}}.items():
        api.put(f"{path}/modules/{module}", json=prefs).raise_for_status()
    api.put(f"{path}/automation", json={"on_deal_won": "create_invoice"}).raise_for_status()


def trigger_runs(stack: LocalStack) -> int:
    return sum(1 for i in stack.invocations if i["function"] == "TriggerAutomationFunction")


def wait(condition, what: str) -> float:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)
    return time.perf_counter()


def one_sample(stack: LocalStack, boxes: Sandboxes, n: int) -> float:
    runs = trigger_runs(stack)
    created = boxes.crm_call(
        "POST",
        "/Deals",
        {
            "data": [
                {
                    "Deal_Name": f"Bench deal {n}",
                    "Stage": "Negotiation/Review",
                    "Closing_Date": "2026-12-31",
                    "Amount": 100.0,
                    "Account_Name": {"id": boxes.crm["ids"]["Accounts"][0]},
                }
            ]
        },
    )
    deal_id = created["data"][0]["details"]["id"]
    wait(lambda: trigger_runs(stack) > runs, "the deal's creation to be handled")
    started = time.perf_counter()
    boxes.crm_call("PUT", f"/Deals/{deal_id}", {"data": [{"Stage": "Closed Won"}]})
    done = wait(lambda: boxes.invoice_exists(invoice_reference(deal_id, 1)), "the invoice")
    return (done - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument(
        "--warmup", type=int, default=2, help="first deals left out (cold starts, customer import)"
    )
    args = parser.parse_args(argv)
    with LocalStack(free_ports=True, in_memory=True, retry_delay=1) as stack:
        boxes = Sandboxes(stack)
        connect(stack, boxes)
        timings = [one_sample(stack, boxes, n) for n in range(args.warmup + args.samples)][args.warmup :]
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    print(f"deal won -> invoice in inventory, {len(timings)} samples on the local stack:")
    print(
        f"  p50 {cuts[49]:.0f} ms   p95 {cuts[94]:.0f} ms   min {min(timings):.0f} ms   max {max(timings):.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
