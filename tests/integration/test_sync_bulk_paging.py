"""A first sync of a CRM bulk import (every record stamped in one second) while a user edits records
(sync-correctness: no record lost). The listing cannot move on by time inside that second; going on by
position in time order would skip the records that an edit shifts onto positions already read, so the
block is read again in id order, where an edit moves nothing (`services/sync/streams.py`)."""

from __future__ import annotations

import pytest

from crmsync.domain.models import CrmSource, Module, RunStatus
from crmsync.services.sync import streams
from tests.integration.test_sync_support import SyncEnv, sandboxes  # noqa: F401 (fixture)

ACCOUNTS = 250  # two pages of 200


@pytest.fixture
def env(aws, sandboxes) -> SyncEnv:  # noqa: F811
    return SyncEnv.connect(
        aws,
        sandboxes,
        crm={"generate": {"Accounts": ACCOUNTS}},
        inventory={"organization": {"currency_code": "USD"}},
    )


def test_edits_during_the_first_read_of_a_bulk_import_lose_no_record(env, monkeypatch):
    env.configure(Module.CUSTOMERS, crm_source=CrmSource.ACCOUNTS)
    read = streams.read_crm
    edited: list[str] = []

    def read_then_a_user_edits(crm, ctx, settings, crm_module, at):
        page = read(crm, ctx, settings, crm_module, at)
        if not edited and len(page.records) == 200:  # the first page is read: three of it are edited
            edited.extend(r.id for r in page.records[:3])
            crm.update_records("Accounts", [{"id": i, "Billing_City": "Edited"} for i in edited])
        return page

    monkeypatch.setattr(streams, "read_crm", read_then_a_user_edits)
    run = env.sync(Module.CUSTOMERS)
    assert (run.status, run.counts.failed) == (RunStatus.DONE, 0)
    accounts = {r["Account_Name"] for r in env.crm_records("Accounts", ["Account_Name"])}
    customers = [c["contact_name"] for c in env.inventory_contacts()]
    assert len(edited) == 3 and len(accounts) == ACCOUNTS
    assert sorted(customers) == sorted(accounts)  # every account once, none skipped
