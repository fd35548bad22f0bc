"""A fault the end-to-end tests load into the sync worker's execution environments before its handler
(`stack.invoker.preload("SyncWorkerFunction", "tests.e2e.worker_faults")`): the handlers run in worker
processes of their own, so a monkeypatch in the test process would not reach them.

`kill_before_checkpoint`: the first step of the run of integration `$E2E_KILL_INTEGRATION` that has
created records (its vendor writes and their mappings are done) kills its own process with SIGKILL
just before saving the step, as Lambda ends an environment (out of memory, a crash of the runtime):
no exception handler, no release of the step's lease. `$E2E_FAULT_DIR/killed` gets the step number
and makes the kill happen once, in any environment.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from crmsync.adapters.dynamodb.sync_state import SyncStateArea

KILLED = Path(os.environ["E2E_FAULT_DIR"]) / "killed"
_save_run_step = SyncStateArea.save_run_step


def kill_before_checkpoint(self, run, *, expected_step):
    target = run.integration_id == os.environ["E2E_KILL_INTEGRATION"] and run.step == expected_step + 1
    if target and run.counts.added:
        try:
            marker = os.open(KILLED, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return _save_run_step(self, run, expected_step=expected_step)
        os.write(marker, str(expected_step).encode())
        os.close(marker)
        os.kill(os.getpid(), signal.SIGKILL)
    return _save_run_step(self, run, expected_step=expected_step)


SyncStateArea.save_run_step = kill_before_checkpoint
