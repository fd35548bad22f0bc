"""One bounded sync step per queue message: the worker's entry into the sync runtime."""

from __future__ import annotations

from crmsync.services.sync.engine import run_sync_step

__all__ = ["run_sync_step"]
