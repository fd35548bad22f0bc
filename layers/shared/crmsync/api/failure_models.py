"""Bodies of the retry route: which open failures to retry, and what an inline retry did."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from crmsync.api.sync_models import OpenFailureOut
from crmsync.contracts.strict import Strict
from crmsync.domain.models import Module
from crmsync.services.sync.retry import Retried


class RetryIn(Strict):
    """Body of `POST /integrations/{id}/failures/retry`: one record (`record_id`, with its `module`),
    or every open failure of `module` (of every module when left out); `side` keeps one side's."""

    module: Module | None = None
    record_id: str | None = Field(
        default=None, min_length=1, max_length=80, pattern=r"^[0-9A-Za-z_-]+(/[0-9A-Za-z_-]+)?$"
    )
    side: Literal["crm", "inventory"] | None = None


class RetriedOut(BaseModel):
    """An inline retry: `synced` failures closed (the record synced, needs no write any more, or is
    gone from its side); `still_failing` are still open, with their new reasons."""

    retried: int
    synced: int
    still_failing: list[OpenFailureOut]

    @classmethod
    def of(cls, outcome: Retried) -> RetriedOut:
        still = [OpenFailureOut.of(f) for f in outcome.still_failing]
        return cls(retried=outcome.retried, synced=outcome.synced, still_failing=still)
