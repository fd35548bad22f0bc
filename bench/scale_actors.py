"""What acts on the vendors during `bench.scale`, as users would: a tenant's deals won one after another,
and CRM edits while the first syncs run."""

from __future__ import annotations

import threading
import time

import httpx

from bench.scale_tenants import Tenant, crm_records, inventory_records
from crmsync.domain.automation import invoice_reference
from local.stack import LocalStack

EDITS_PER_TENANT = 3
POLL_S = 0.05


class DealMover(threading.Thread):
    """Wins a new deal of a tenant every `pause` seconds and times each until its invoice exists."""

    def __init__(self, stack: LocalStack, tenant: Tenant, pause: float, crm: CrmSession):
        super().__init__(daemon=True)
        self.stack, self.tenant, self.pause, self.crm = stack, tenant, pause, crm.call
        self.timings: list[float] = []
        self.deal_ids: list[str] = []
        self.missed: list[str] = []
        self.stop = threading.Event()
        self.first = 1  # the number of the next deal

    def run(self) -> None:
        n = self.first - 1
        while not self.stop.is_set():
            n += 1
            self.win_one(n)
            self.stop.wait(self.pause)

    def win_one(self, n: int) -> None:
        created = self.crm(
            "POST",
            "/Deals",
            {
                "data": [
                    {
                        "Deal_Name": f"Scale deal {self.tenant.number:02d}-{n:03d}",
                        "Stage": "Negotiation/Review",
                        "Closing_Date": "2026-12-31",
                        "Amount": 100.0 + n,
                        "Account_Name": {"id": self.tenant.deal_account_id},
                    }
                ]
            },
        )
        deal_id = created["data"][0]["details"]["id"]
        self.deal_ids.append(deal_id)
        started = time.monotonic()
        self.crm("PUT", f"/Deals/{deal_id}", {"data": [{"Stage": "Closed Won"}]})
        reference = invoice_reference(deal_id, 1)
        deadline = started + 60
        while time.monotonic() < deadline:
            if any(
                i.get("reference_number") == reference
                for i in inventory_records(self.stack, self.tenant, "invoices")
            ):
                self.timings.append(time.monotonic() - started)
                return
            time.sleep(POLL_S)
        self.missed.append(deal_id)
        print(f"      deal {deal_id} of {self.tenant.name}: no invoice {reference} within 60 s", flush=True)


class CrmSession:
    """The bench's own CRM client for one tenant: one access token, a new one only after a 401 (each
    counts against the refresh token's 10 in 10 minutes like the product's, so it is counted)."""

    def __init__(self, stack: LocalStack, tenant: Tenant):
        self.url = stack.endpoints["crm"]
        self.form = {"grant_type": "refresh_token"} | {
            k: tenant.crm[k] for k in ("client_id", "client_secret", "refresh_token")
        }
        self.tokens_taken = 0
        self.token = ""
        self.lock = threading.Lock()

    def _refresh(self, stale: str) -> None:
        with self.lock:
            if self.token == stale:
                self.token = httpx.post(f"{self.url}/oauth/v2/token", data=self.form).json()["access_token"]
                self.tokens_taken += 1

    def call(self, method: str, path: str, body: dict) -> dict:
        for _ in range(2):
            token = self.token
            if not token:
                self._refresh(token)
                token = self.token
            reply = httpx.request(
                method,
                f"{self.url}/crm/v8{path}",
                json=body,
                headers={"Authorization": f"Zoho-oauthtoken {token}"},
                timeout=30,
            )
            if reply.status_code != 401:
                break
            self._refresh(token)
        reply.raise_for_status()
        return reply.json()


def edit_accounts(stack: LocalStack, tenant: Tenant, crm: CrmSession) -> None:
    """Change the billing city of a few CRM accounts while the first sync runs (their notifications
    arrive during it)."""
    accounts = [r["id"] for r in crm_records(stack, tenant, "Accounts") if r["id"] != tenant.deal_account_id]
    for crm_id in accounts[:EDITS_PER_TENANT]:
        city = f"Scale City {tenant.number:02d}"
        crm.call("PUT", f"/Accounts/{crm_id}", {"data": [{"Billing_City": city}]})
        tenant.edited[crm_id] = city
