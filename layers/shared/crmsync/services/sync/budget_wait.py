"""A run waits when a vendor's call budget is spent (issue 13, point 1), and nothing fails.

A step that meets `DailyLimitReached` (our share of the inventory's day, the vendor's own code 45,
or the CRM credits kept for automation) stops where it is: the run stays running at the same step,
its progress says "waiting for <whose budget> until <time>", and the step's message is queued again
with a delay. SQS delays a message at most 15 minutes, so a longer wait is a chain of delayed
messages, each finding the run still waiting and queueing the next. The records of the page the
step was on are planned again when it resumes; those already done read as unchanged.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from crmsync.domain.sync_state import SyncRun
from crmsync.observability import logger, metrics
from crmsync.ports.errors import DailyLimitReached
from crmsync.services.deps import Deps
from crmsync.services.sync import runs

MAX_DELAY_S = 900  # SQS's longest message delay
DEFAULT_WAIT_S = 3600.0  # when the vendor does not say how long


def wait_for_budget(deps: Deps, run: SyncRun, spent: DailyLimitReached) -> None:
    """Marks the run waiting until the budget is back and queues its step again, delayed."""
    at = deps.clock()
    seconds = spent.retry_after if spent.retry_after and spent.retry_after > 0 else DEFAULT_WAIT_S
    until = at + timedelta(seconds=seconds)
    whose = "the CRM's credits" if spent.system == "crm" else "the inventory's daily calls"
    waiting = runs.mark_waiting(deps.store, run, whose, until, at)
    if waiting is None:
        return  # another delivery of this step moved the run on
    metrics.add_metric(
        name="VendorBudgetWaitSeconds", unit="Seconds", value=seconds
    )  # alarmed in template.yaml
    logger.info(
        "waiting for vendor budget",
        extra={"until": until.isoformat(), "budget": whose, "reason": spent.message},
    )
    _queue_again(deps, waiting, at)


def still_waiting(deps: Deps, run: SyncRun) -> bool:
    """True (and the step queued again, delayed) when the run's wait is not over yet."""
    at = deps.clock()
    if run.progress is None or run.progress.waiting_until is None or run.progress.waiting_until <= at:
        return False
    _queue_again(deps, run, at)
    return True


def _queue_again(deps: Deps, run: SyncRun, at: datetime) -> None:
    assert run.progress is not None and run.progress.waiting_until is not None
    left = (run.progress.waiting_until - at).total_seconds()
    deps.sync_queue.send(runs.message_for(run), delay_seconds=min(MAX_DELAY_S, max(1, math.ceil(left))))
