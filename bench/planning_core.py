"""Records per second of the pure planning core (issue 5): no I/O, no vendors, no store.

Plans a mix of new, unchanged (echo) and changed linked CRM accounts the way a run does: ask
`needs_other`, plan the record, and build the payload of every write. Run it with
`python -m bench.planning_core [--records 50000]`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from crmsync.domain.models import CrmSource, Module, ModuleSettings, Side
from crmsync.domain.sync.canonical import (
    record_hash,
    resolve_context,
    to_canonical,
    to_crm_payload,
    to_inventory_payload,
)
from crmsync.domain.sync.model import PlanContext, RecordKind, SourceRecord
from crmsync.domain.sync.planner import needs_other, plan_record
from crmsync.domain.sync_state import Mapping

Case = tuple[SourceRecord, Mapping | None, SourceRecord | None]


def account(number: int, city: str) -> dict:
    return {
        "Account_Name": f"Account {number}",
        "Phone": f"+47 {number:08d}",
        "Website": f"https://a{number}.example",
        "Billing_Street": f"Street {number}",
        "Billing_City": city,
        "Billing_Code": f"{number % 10000:04d}",
        "Billing_Country": "Norway",
        "Description": "A customer of long standing.",
    }


def customer(number: int, city: str) -> dict:
    return {
        "contact_name": f"Account {number}",
        "company_name": f"Account {number}",
        "website": f"https://a{number}.example",
        "notes": "A customer of long standing.",
        "billing_address": {
            "address": f"Street {number}",
            "city": city,
            "zip": f"{number % 10000:04d}",
            "country": "Norway",
            "phone": f"+47 {number:08d}",
        },
        "contact_persons": [],
    }


def cases(ctx: PlanContext, count: int) -> dict[str, list[Case]]:
    """A third each: new records, unchanged linked ones (echoes), linked ones changed on the CRM side."""
    mix: dict[str, list[Case]] = {"new": [], "unchanged": [], "changed": []}
    for number in range(count):
        crm = SourceRecord(
            side=Side.CRM, kind=RecordKind.ACCOUNT, id=f"c{number}", values=account(number, "Oslo")
        )
        if number % 3 == 0:
            mix["new"].append((crm, None, None))
            continue
        inventory = SourceRecord(
            side=Side.INVENTORY, kind=RecordKind.ACCOUNT, id=f"i{number}", values=customer(number, "Oslo")
        )
        synced = to_canonical(ctx, crm)
        mapping = Mapping(
            integration_id=ctx.integration_id,
            module=ctx.module,
            crm_id=crm.id,
            inventory_id=inventory.id,
            record_kind=RecordKind.ACCOUNT.value,
            base={k: v for k, v in synced.items() if v is not None},
            crm_hash=record_hash(synced),
            inventory_hash=record_hash(to_canonical(ctx, inventory)),
        )
        if number % 3 == 1:
            mix["unchanged"].append((crm, mapping, None))
        else:
            edited = crm.model_copy(update={"values": account(number, "Bergen")})
            mix["changed"].append((edited, mapping, inventory))
    return mix


def plan_all(ctx: PlanContext, batch: list[Case]) -> int:
    """Plans every case as a run does; returns the number of writes."""
    writes = 0
    for record, mapping, other in batch:
        fetched = other if needs_other(ctx, record, mapping) else None
        decision = plan_record(ctx, record, mapping, fetched, [])
        for write in decision.writes:
            if write.side is Side.CRM:
                to_crm_payload(ctx, write.record_kind, write.changes)
            else:
                to_inventory_payload(ctx, write.record_kind, write.changes, other.values if other else None)
            writes += 1
    return writes


def timed(work: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    count = parser.parse_args().records
    ctx = resolve_context("bench", Module.CUSTOMERS, ModuleSettings(crm_source=CrmSource.ACCOUNTS), 1, True)
    mix = cases(ctx, count)
    print(f"planning core: {count:,} CRM accounts (new, unchanged and changed in equal parts)")
    total_seconds = 0.0
    for name, batch in mix.items():
        seconds, writes = timed(lambda batch=batch: plan_all(ctx, batch))
        total_seconds += seconds
        print(
            f"  {name:<9} {len(batch):>8,} records {seconds:7.2f} s  "
            f"{len(batch) / seconds:>10,.0f} records/s  {seconds / len(batch) * 1e6:7.1f} µs/record  "
            f"{writes:,} writes"
        )
    print(
        f"  {'all':<9} {count:>8,} records {total_seconds:7.2f} s  "
        f"{count / total_seconds:>10,.0f} records/s  {total_seconds / count * 1e6:7.1f} µs/record"
    )


if __name__ == "__main__":
    main()
