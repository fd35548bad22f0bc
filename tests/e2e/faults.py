"""Faults the end-to-end tests load into a function's execution environments before its handler
(`stack.invoker.preload(function, "tests.e2e.faults")`), the way an exec wrapper would: the handlers run
in worker processes of their own, so a monkeypatch in the test process would not reach them.

`crash_after_invoice_create`: the first invoice a trigger completes, in any environment, raises after
the invoice was created and before its claim is marked done (a crash between the vendor write and our
record of it); the invoice's id goes to `$E2E_FAULT_DIR/crashed`, which also makes the crash happen once.
"""

from __future__ import annotations

import os
from pathlib import Path

from crmsync.services.automation import create_once

CRASHED = Path(os.environ["E2E_FAULT_DIR"]) / "crashed"
_complete = create_once.CreateOnce.complete


def crash_after_invoice_create(self, claim, record, kind, reason=None):
    if kind == "invoices":
        try:
            marker = os.open(CRASHED, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return _complete(self, claim, record, kind, reason)
        os.write(marker, record.id.encode())
        os.close(marker)
        raise RuntimeError("simulated crash after the invoice was created")
    return _complete(self, claim, record, kind, reason)


create_once.CreateOnce.complete = crash_after_invoice_create
