"""Many tenants at once on the local stack in its concurrent form (issue 13, point 8).

    python -m bench.scale [--tenants 20] [--records 2000] [--workers 4] [--minute-seconds 6]

Every tenant has its own CRM org and inventory organization with `--records` records between them
(CRM accounts, vendors, products; inventory customers, vendors, items; none on both sides), its own
API key and integration. All first syncs start at once with `--workers` sync worker environments.
While they run:
- CRM notifications arrive: our own CRM writes come back as notifications, and the bench edits a few
  accounts of every tenant in the CRM (each edit must reach inventory);
- tenant 00's deals are won one after the other (automation: deal won, create the invoice), and each
  is timed from the stage change in the CRM to its invoice existing in inventory;
- tenant 01's inventory plan allows fewer calls a day than its first sync needs: its sync must stop at
  its share and wait for the organization's midnight, and deals won there are still invoiced from
  the reserve kept for automation.

Vendor limits are scaled so that it finishes in minutes: the inventory's minute is `--minute-seconds`
(its 100 calls, in the sandbox's fixed windows, and the product's pacer through
`INVENTORY_MINUTE_SECONDS`) and access tokens live `--token-seconds`, so every integration refreshes
its tokens several times while many environments use them. Figures come from the sandboxes' control
routes (what the vendor saw), not from the product's own records. Exits 1 when a bound is broken.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.scale_actors import CrmSession, DealMover, edit_accounts
from bench.scale_tenants import (
    MODULES,
    connect,
    crm_limits,
    edits_arrived,
    inventory_limits,
    inventory_records,
    outcome,
    runs,
    seed_tenant,
    start_first_sync,
)
from crmsync.adapters.shared_budget import HEADROOM_SHARE, RESERVE_MIN, RESERVE_SHARE
from crmsync.domain.automation import invoice_reference
from local.stack import LocalStack

PER_MINUTE = 100  # the vendor's, per organization
TOKENS_PER_WINDOW = 10  # the vendor's, per refresh token per 10 minutes
DEAL_TENANT, TIGHT_TENANT = 0, 1
ROOMY_CAP = 10_000
WARM_UP_DEALS = 2
INVOICE_BOUND_S = 2.0


def waiting_for_budget(found: list[dict]) -> list[dict]:
    """Runs that wait for a vendor's budget (running, with `waiting_until` in their progress)."""
    return [r for r in found if r["status"] == "running" and (r.get("progress") or {}).get("waiting_until")]


def settled(found: list[dict], may_wait: bool) -> bool:
    """No run queued or running; for the tight tenant, running ones all wait for the vendor budget."""
    busy = [r for r in found if r["status"] in ("queued", "running")]
    return not busy or (may_wait and busy == waiting_for_budget(found))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--records", type=int, default=2000, help="per tenant, both sides together")
    parser.add_argument("--workers", type=int, default=4, help="sync worker environments at once")
    parser.add_argument("--minute-seconds", type=float, default=6.0, help="the vendor's minute, scaled")
    parser.add_argument("--token-seconds", type=int, default=300, help="access token lifetime, scaled")
    parser.add_argument("--deal-pause", type=float, default=1.0, help="seconds between deals won")
    parser.add_argument(
        "--tight-cap",
        type=int,
        default=1000,
        help="tenant 01's inventory calls a day (the smallest plan's 1,000: less than 2,000 records need)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args(argv)
    if args.tenants < 2:
        parser.error("--tenants must be at least 2 (a deal tenant and a tight-budget tenant)")

    stack = LocalStack(
        free_ports=True,
        in_memory=True,
        retry_delay=1,
        invocation_history=200_000,
        env_vars={
            "Parameters": {
                "INVENTORY_MINUTE_SECONDS": str(args.minute_seconds),
                "POWERTOOLS_LOG_LEVEL": "WARNING",
            }
        },
        concurrency={"SyncWorkerFunction": args.workers},
    )
    with stack:
        return run(stack, args)


def run(stack: LocalStack, args: argparse.Namespace) -> int:
    httpx.put(
        f"{stack.endpoints['inventory']}/_sandbox/limits",
        json={
            "window_seconds": args.minute_seconds,
            "per_minute": PER_MINUTE,
            "token_expires_in": args.token_seconds,
        },
    ).raise_for_status()
    httpx.put(
        f"{stack.endpoints['crm']}/_sandbox/limits", json={"token_expires_in": args.token_seconds}
    ).raise_for_status()
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        tenants = list(
            pool.map(
                lambda n: seed_tenant(
                    stack, n, args.records, args.tight_cap if n == TIGHT_TENANT else ROOMY_CAP
                ),
                range(args.tenants),
            )
        )
        list(
            pool.map(lambda t: connect(stack, t, automation=t.number in (DEAL_TENANT, TIGHT_TENANT)), tenants)
        )
    print(f"{args.tenants} tenants seeded and connected in {time.monotonic() - started:.0f} s", flush=True)

    sessions = {t.number: CrmSession(stack, t) for t in tenants}
    mover = DealMover(stack, tenants[DEAL_TENANT], args.deal_pause, sessions[DEAL_TENANT])
    for n in range(WARM_UP_DEALS):  # the automation path's cold starts, before the backfill begins
        mover.win_one(n + 1)
    warm_up = mover.timings[:]
    mover.timings.clear()
    mover.first = WARM_UP_DEALS + 1
    print(f"warm-up deals (cold starts, left out): {', '.join(f'{t:.2f} s' for t in warm_up)}", flush=True)
    started = time.monotonic()
    for tenant in tenants:
        start_first_sync(stack, tenant)
    mover.start()
    time.sleep(min(30.0, args.records / 100))
    for tenant in tenants:
        edit_accounts(stack, tenant, sessions[tenant.number])

    pending = {t.number for t in tenants}
    history: dict[int, list[dict]] = {}
    while pending and time.monotonic() - started < args.timeout:
        for tenant in [t for t in tenants if t.number in pending]:
            found = runs(stack, tenant)
            if settled(found, may_wait=tenant.number == TIGHT_TENANT):
                pending.discard(tenant.number)
                history[tenant.number] = found
        print(f"  {time.monotonic() - started:5.0f} s: {len(pending)} tenants still syncing", flush=True)
        time.sleep(5)
    elapsed = time.monotonic() - started
    mover.stop.set()
    mover.join()

    tight = tenants[TIGHT_TENANT]
    tight_mover = DealMover(stack, tight, 0.0, sessions[TIGHT_TENANT])
    tight_limits_before = inventory_limits(stack, tight)
    for n in range(1, 4):
        tight_mover.win_one(n)
    bench_tokens = max(session.tokens_taken for session in sessions.values())
    return report(
        stack, args, tenants, mover, tight_mover, tight_limits_before, history, pending, elapsed, bench_tokens
    )


def report(
    stack, args, tenants, mover, tight_mover, tight_before, history, pending, elapsed, bench_tokens
) -> int:
    broken: list[str] = []

    def line(figure: str, value: object, bound: str, ok: bool) -> None:
        print(f"  {figure:<64} {value!s:>12}   bound {bound:<18} {'ok' if ok else 'BROKEN'}")
        if not ok:
            broken.append(figure)

    print(
        f"\n{len(tenants)} tenants x {args.records} records, {args.workers} sync workers, "
        f"minute scaled to {args.minute_seconds:g} s, tokens living {args.token_seconds} s: "
        f"first syncs settled in {elapsed:.0f} s"
    )
    line("tenants whose first sync did not settle", len(pending), "0", not pending)

    limits = {t.number: inventory_limits(stack, t) for t in tenants}
    peak = max(lim["peak_window_calls"] for lim in limits.values())
    refused_minute = sum(lim["refused"]["minute"] for lim in limits.values())
    refused_day = sum(lim["refused"]["day"] for lim in limits.values())
    line(
        f"most inventory calls of an organization in any {args.minute_seconds:g} s",
        peak,
        f"<= {PER_MINUTE}",
        peak <= PER_MINUTE,
    )
    line(
        "inventory answers 429 code 44 (minute), all organizations", refused_minute, "0", refused_minute == 0
    )
    line("inventory answers 429 code 45 (day), all organizations", refused_day, "0", refused_day == 0)
    crm_refused = sum(sum(crm_limits(stack, t)["refused"].values()) for t in tenants)
    line("CRM answers 429 (credits, concurrency), all orgs", crm_refused, "0", crm_refused == 0)

    ours_crm = {t.crm["client_id"] for t in tenants}
    ours_inventory = {t.inventory["client_id"] for t in tenants}
    crm_grants = [
        g
        for g in httpx.get(f"{stack.endpoints['crm']}/_sandbox/oauth/refreshes").json()["refresh_tokens"]
        if g["client_id"] in ours_crm
    ]
    inv_grants = [
        g
        for g in httpx.get(f"{stack.endpoints['inventory']}/_sandbox/oauth/refreshes").json()[
            "refresh_tokens"
        ]
        if g["client_id"] in ours_inventory
    ]
    # The bench's own CRM token per tenant is one of the CRM's; the product's are the rest.
    token_peak = max(g["peak_in_window"] for g in crm_grants + inv_grants)
    token_refused = sum(g["refused"] for g in crm_grants + inv_grants)
    line(
        f"most access tokens of one refresh token in any 10 min (the bench's own: {bench_tokens})",
        token_peak,
        f"<= {TOKENS_PER_WINDOW}",
        token_peak <= TOKENS_PER_WINDOW,
    )
    line("token refreshes refused", token_refused, "0", token_refused == 0)

    lost = duplicated = held = 0
    for tenant in tenants:
        for module in MODULES:
            result = outcome(stack, tenant, module)
            duplicated += sum(result.duplicated.values())
            missing = sum(result.missing.values())
            if tenant.number == TIGHT_TENANT:
                held += missing
            else:
                lost += missing
            if missing or sum(result.duplicated.values()):
                print(
                    f"      {tenant.name} {module}: missing {result.missing}, duplicated {result.duplicated}, e.g. {result.examples}"
                )
    line("records lost (missing on a side after the run)", lost, "0", lost == 0)
    line("records duplicated (a name more than once on a side)", duplicated, "0", duplicated == 0)
    arrived = sum(edits_arrived(stack, t) for t in tenants if t.number != TIGHT_TENANT)
    expected_edits = sum(len(t.edited) for t in tenants if t.number != TIGHT_TENANT)
    line(
        f"CRM edits during the run that reached inventory (of {expected_edits})",
        arrived,
        f"= {expected_edits}",
        arrived == expected_edits,
    )
    failed_runs = sum(1 for found in history.values() for r in found if r["status"] == "failed")
    line("runs failed", failed_runs, "0", failed_runs == 0)

    invoices = inventory_records(stack, tenants[DEAL_TENANT], "invoices")
    references = [i.get("reference_number") for i in invoices]
    dup_invoices = sum(
        references.count(invoice_reference(d, 1)) - 1
        for d in mover.deal_ids
        if references.count(invoice_reference(d, 1)) > 1
    )
    line(f"invoices duplicated ({len(mover.deal_ids)} deals won)", dup_invoices, "0", dup_invoices == 0)
    line("deals won without an invoice within 60 s", len(mover.missed), "0", not mover.missed)
    if len(mover.timings) >= 2:
        p95 = statistics.quantiles(mover.timings, n=100, method="inclusive")[94]
        p50 = statistics.median(mover.timings)
        line(
            f"deal won -> invoice, p95 over {len(mover.timings)} deals (p50 {p50:.2f} s)",
            f"{p95:.2f} s",
            f"<= {INVOICE_BOUND_S} s",
            p95 <= INVOICE_BOUND_S,
        )
    else:
        line("deal won -> invoice samples", len(mover.timings), ">= 2", False)

    tight = tenants[TIGHT_TENANT]
    cap = tight.daily_cap
    reserve = max(RESERVE_MIN, int(cap * RESERVE_SHARE))
    headroom = int(cap * HEADROOM_SHARE)
    sync_most = cap - headroom - reserve
    waiting = waiting_for_budget(runs(stack, tight))
    print(
        f"\n  {tight.name}: inventory plan of {cap} calls a day, the sync's share {sync_most}, "
        f"reserve for automation {reserve}, headroom {headroom}; its first sync needs more than its share"
    )
    line(f"{tight.name}: runs waiting for the vendor budget", len(waiting), ">= 1", bool(waiting))
    for r in waiting[:3]:
        print(
            f"      {r['module']}: {r['progress'].get('waiting_for')} until {r['progress']['waiting_until']}"
        )
    used_by_sync = tight_before["used_today"]
    line(
        f"{tight.name}: calls used when its sync stopped (connect and sync)",
        used_by_sync,
        f"<= {sync_most}",
        used_by_sync <= sync_most,
    )
    left = cap - used_by_sync
    line(
        f"{tight.name}: reserve left for automation after the sync",
        left,
        f">= {reserve + headroom}",
        left >= reserve + headroom,
    )
    line(f"{tight.name}: records held for the next day (not lost: the run waits)", held, "printed", True)
    invoiced = len(tight_mover.timings)
    line(
        f"{tight.name}: deals won after the sync stopped, invoiced from the reserve",
        f"{invoiced}/3",
        "3/3",
        invoiced == 3,
    )

    print(f"\n{'all bounds hold' if not broken else 'BROKEN: ' + '; '.join(broken)}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
