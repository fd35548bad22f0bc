"""The part of the store port a preview run (B2) writes to instead of the mappings and the match index
(see `crmsync.ports.store` for the conventions)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from crmsync.domain.models import Side
from crmsync.domain.preview import PreviewOutcome, PreviewSample
from crmsync.domain.sync.model import SourceRecord
from crmsync.domain.sync_state import Mapping

if TYPE_CHECKING:
    from crmsync.ports.store import Page


@dataclass(frozen=True)
class IndexOverlay:
    """A preview's changes to one match key of the index: records it added, record ids it dropped."""

    added: tuple[SourceRecord, ...] = ()
    dropped: frozenset[str] = frozenset()


class PreviewStore(Protocol):
    """What a preview run (B2) keeps in its run's partition instead of writing mappings and the match
    index, and the samples it shows. Purged with its run."""

    def put_preview_mappings(self, run_id: str, mappings: Sequence[Mapping]) -> None:
        """Stores each mapping under every side it names a record of, replacing what was there."""
        ...

    def get_preview_mappings(self, run_id: str, side: Side, record_ids: Sequence[str]) -> dict[str, Mapping]:
        """Record id on `side` -> the preview's mapping, for the ids that have one."""
        ...

    def put_preview_index(self, run_id: str, side: Side, overlays: dict[str, IndexOverlay]) -> None:
        """Replaces the overlays of the match keys given."""
        ...

    def get_preview_index(self, run_id: str, side: Side, keys: Collection[str]) -> dict[str, IndexOverlay]:
        """Match key -> its overlay (keys without one are left out)."""
        ...

    def take_preview_name(self, run_id: str, name_key: str, record_id: str) -> bool:
        """Marks a unique name (or SKU) as used by the preview's create of `record_id`; False when a
        create of another record took it first."""
        ...

    def put_preview_samples(self, run_id: str, samples: Sequence[PreviewSample]) -> None:
        """Stores samples by outcome and `seq` (a sample of the same place is replaced)."""
        ...

    def list_preview_samples(
        self,
        run_id: str,
        *,
        outcome: PreviewOutcome | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[PreviewSample]:
        """By outcome, then `seq`."""
        ...
