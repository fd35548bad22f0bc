"""What a vendor client knows of its vendor's call budget (a run's progress shows it)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CallBudget:
    left: int | None = None  # calls left, as far as this process has seen (None: unknown)
    per_second: float | None = None  # the pace the client keeps (None: not paced)
    # failed calls this client tried again, by the vendor's answer ("429", "500", "no answer"), since it
    # was made: a step compares the counts before and after to tell what the vendor put it through
    retried: dict[str, int] = field(default_factory=dict)
