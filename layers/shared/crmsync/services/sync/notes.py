"""A run's notes (`SyncRun.notes`, issue 13 point 9): what happened to it on its way, in the run history.

Nothing here fails a run; each note says why a step took longer or ran twice, so an admin who sees a
slow run can tell a vendor's throttling or outage, or a worker that stopped, from a stuck product:
- `resumed`: a step taken over after an earlier attempt's lease lapsed (its worker was killed or
  timed out before saving the step or giving it back);
- `step_retried`: a step that stopped on a vendor failure (after the clients' own retries) or on a
  record another attempt held, and goes back to the queue;
- `vendor_retries`: the calls of a step the vendors made us repeat (429, 5xx, no answer), by answer.
"""

from __future__ import annotations

from datetime import datetime

from crmsync.domain.sync_state import RunNote, SyncRun
from crmsync.ports.errors import VendorError
from crmsync.ports.vendors import VendorClients

SYSTEMS = {"crm": "the CRM", "inventory": "the inventory system"}
ANSWERS = {"429": "too many requests", "no answer": "no answer"}

Retried = dict[str, dict[str, int]]  # system -> the vendor's answer -> calls retried


def resumed(run: SyncRun, at: datetime) -> SyncRun:
    message = (
        f"Step {run.step} was taken over after an earlier attempt stopped without finishing it (its worker "
        "ended before saving the step); the records that attempt wrote are recognised, not written again."
    )
    return run.noted(RunNote(at=at, step=run.step, kind="resumed", message=message))


def step_retried(run: SyncRun, error: Exception, at: datetime) -> SyncRun:
    if isinstance(error, VendorError):
        answered = f" answered {error.status}" if error.status else " did not answer"
        reason = f"{SYSTEMS[error.system].capitalize()}{answered}: {error.message}"
    else:
        reason = str(error)
    message = f"Step {run.step} stopped and goes back to the queue to be tried again. {reason}"
    return run.noted(RunNote(at=at, step=run.step, kind="step_retried", message=message))


def retried_calls(clients: VendorClients) -> Retried:
    """What each client has retried so far (a step compares this before and after)."""
    return {"crm": clients.crm.call_budget().retried, "inventory": clients.inventory.call_budget().retried}


def vendor_retries(run: SyncRun, before: Retried, clients: VendorClients, at: datetime) -> SyncRun:
    """The run with a note of the calls the vendors made this step repeat; unchanged when none."""
    after = retried_calls(clients)
    parts = []
    for system, counts in after.items():
        more = {answer: n - before[system].get(answer, 0) for answer, n in sorted(counts.items())}
        said = [f"{answer} ({_answer(answer)}) {_times(n)}" for answer, n in more.items() if n > 0]
        if said:
            parts.append(f"{SYSTEMS[system]} answered " + ", ".join(said))
    if not parts:
        return run
    message = f"Step {run.step}: " + "; ".join(parts) + "; each of those calls was tried again."
    return run.noted(RunNote(at=at, step=run.step, kind="vendor_retries", message=message))


def _answer(answer: str) -> str:
    return ANSWERS.get(answer, "server error" if answer.startswith("5") else "refused")


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"
