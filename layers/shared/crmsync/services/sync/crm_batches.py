"""CRM writes in batches (issue 13): the CRM takes up to 100 records per insert or update call, at one
credit per 10 records, and answers each record on its own, in order.

The applier carries a decision out as a generator (`Work`): it does what comes before the decision's
CRM write (a claim, a link), yields the write (`CrmWrite`), and is resumed with that record's
`WriteOutcome` to do what comes after (the inventory's follow-up write, the mapping). `CrmBatches`
keeps the waiting decisions by operation and CRM module and sends each group as one call when it
reaches 100 records or when the batch is settled, then resumes every decision with its own outcome:
a refused record fails alone and the others go on. A call that fails as a whole is thrown into its
decisions one by one, each handling it as it would its own call's failure (see `apply`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from functools import partial
from typing import Any

from crmsync.domain.sync.model import WriteKind
from crmsync.domain.sync_state import Mapping
from crmsync.ports.crm import MAX_RECORDS_PER_WRITE, WriteOutcome
from crmsync.ports.errors import VendorError


@dataclass(frozen=True)
class CrmWrite:
    """One record's write to the CRM: its payload, with its `id` for an update."""

    kind: WriteKind
    crm_module: str
    record: dict[str, Any]


Work = Generator[CrmWrite, WriteOutcome, Mapping | None]  # one decision; returns its stored mapping
Then = Callable[[Mapping | None], None]  # told the stored mapping (None: none, or failed) once done
Send = Callable[[WriteKind, str, list[dict[str, Any]]], list[WriteOutcome]]  # one call, outcomes in order


@dataclass(frozen=True)
class _Waiting:
    work: Work
    write: CrmWrite
    then: Then | None


class CrmBatches:
    """Decisions waiting for their CRM write, grouped by (operation, CRM module)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._groups: dict[tuple[WriteKind, str], list[_Waiting]] = {}

    def add(self, work: Work, then: Then | None = None) -> None:
        """Starts a decision: it runs to its CRM write (or to its end when it has none)."""
        self._advance(work, then, partial(next, work))

    def settle(self) -> None:
        """Sends every waiting write and completes each decision with its record's outcome."""
        while self._groups:
            self._flush(next(iter(self._groups)))

    def _flush(self, key: tuple[WriteKind, str]) -> None:
        group = self._groups.pop(key)
        try:
            outcomes = self._send(*key, [waiting.write.record for waiting in group])
        except VendorError as failed:  # the whole call: each decision sees it as its own call's failure
            self._resume(group, [partial(waiting.work.throw, failed) for waiting in group])
            return
        self._resume(
            group, [partial(w.work.send, outcome) for w, outcome in zip(group, outcomes, strict=True)]
        )

    def _resume(self, group: list[_Waiting], resumes: list[Callable[[], CrmWrite]]) -> None:
        """Every decision of a sent call goes on, even after another raised (an outage of the inventory
        in a follow-up write): its record was written, so its mapping is worth storing. The first error
        is raised at the end."""
        first: Exception | None = None
        for waiting, resume in zip(group, resumes, strict=True):
            try:
                self._advance(waiting.work, waiting.then, resume)
            except Exception as exc:  # raised below, once the others are done
                first = first or exc
        if first is not None:
            raise first

    def _advance(self, work: Work, then: Then | None, resume: Callable[[], CrmWrite]) -> None:
        try:
            write = resume()
        except StopIteration as done:
            if then is not None:
                then(done.value)
            return
        key = (write.kind, write.crm_module)
        group = self._groups.setdefault(key, [])
        group.append(_Waiting(work, write, then))
        if len(group) >= MAX_RECORDS_PER_WRITE:
            self._flush(key)


def run_alone(work: Work, send: Send) -> Mapping | None:
    """Carries one decision out now, its CRM write a call of its own; returns its stored mapping."""
    batches, stored = CrmBatches(send), []
    batches.add(work, stored.append)
    batches.settle()
    [mapping] = stored
    return mapping
