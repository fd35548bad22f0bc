"""S8: run counts name what happened; a run stored under the former name reads the same."""

from __future__ import annotations

from crmsync.api.module_models import RunCountsOut
from crmsync.domain.models import RunCounts


def test_a_run_stored_with_the_former_deleted_count_reads_as_deleted_in_crm_kept():
    stored = {"added": 1, "updated": 2, "deleted": 3, "skipped": 0, "conflicts": 0, "failed": 0}
    counts = RunCounts.model_validate(stored)
    assert counts.deleted_in_crm_kept == 3
    assert "deleted" not in counts.model_dump() and counts.model_dump()["deleted_in_crm_kept"] == 3


def test_the_api_shows_the_count_under_its_name_and_the_former_one():
    out = RunCountsOut.of(RunCounts(added=1, deleted_in_crm_kept=2)).model_dump()
    assert (out["deleted_in_crm_kept"], out["deleted"], out["added"]) == (2, 2, 1)
