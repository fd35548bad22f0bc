"""What a vendor client knows of its vendor's call budget (a run's progress shows it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallBudget:
    left: int | None = None  # calls left, as far as this process has seen (None: unknown)
    per_second: float | None = None  # the pace the client keeps (None: not paced)
