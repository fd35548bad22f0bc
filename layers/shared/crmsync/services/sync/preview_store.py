"""The store and the vendors as a preview run (B2) sees them: the real mappings, match index and
watermarks as they are, with what the preview would have changed laid over them in the preview's own
items; the vendors for reading only.

The passes, match phases and applier run against it unchanged, so a record the preview "creates" or
links in one phase is mapped for the phases after it, as in a real run. It offers only what a sync
step calls: anything else (a failure, a module status) is not the preview's to write and raises
AttributeError.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from crmsync.domain.errors import AlreadyExistsError
from crmsync.domain.models import Module, Side
from crmsync.domain.preview import PreviewSample
from crmsync.domain.sync.model import SourceRecord
from crmsync.domain.sync_state import Mapping
from crmsync.ports.clock import Clock
from crmsync.ports.previews import IndexOverlay
from crmsync.ports.store import Page, Store
from crmsync.ports.vendors import VendorClients

READS = ("get_", "iter_", "list_", "search_", "find_", "call_budget", "edition")


class ReadOnly:
    """A vendor client that answers reads and refuses every other call (a write) with AssertionError."""

    def __init__(self, client: Any):
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if not name.startswith(READS):
            raise AssertionError(f"a preview must not call {name} on a vendor")
        return getattr(self._client, name)


def read_only(clients: VendorClients) -> VendorClients:
    return VendorClients(crm=ReadOnly(clients.crm), inventory=ReadOnly(clients.inventory))  # type: ignore[arg-type]


class PreviewOverlay:
    """The store of one preview run's steps; writes go to the run's partition, never to the real items."""

    def __init__(self, store: Store, run_id: str, clock: Clock):
        self._store = store
        self._run_id = run_id
        self._clock = clock

    # ------------------------------------------------------------ mappings
    def get_mappings(
        self, integration_id: str, module: Module, side: Side, record_ids: Sequence[str]
    ) -> dict[str, Mapping]:
        real = self._store.get_mappings(integration_id, module, side, record_ids)
        return real | self._store.get_preview_mappings(self._run_id, side, record_ids)

    def get_mapping(self, integration_id: str, module: Module, side: Side, record_id: str) -> Mapping | None:
        return self.get_mappings(integration_id, module, side, [record_id]).get(record_id)

    def claim_mapping(self, mapping: Mapping) -> Mapping:
        assert mapping.claim_side is not None
        self._refuse_taken(mapping, [mapping.claim_side])
        return self._put(mapping, version=1)

    def complete_claim(self, mapping: Mapping) -> Mapping:
        assert mapping.claim_side is not None
        self._refuse_taken(mapping, [mapping.claim_side.other])
        return self._put(mapping, version=mapping.version + 1)

    def link_mapping(self, mapping: Mapping) -> Mapping:
        self._refuse_taken(mapping, list(Side))
        return self._put(mapping, version=1)

    def update_mapping(self, mapping: Mapping) -> Mapping:
        return self._put(mapping, version=mapping.version + 1)

    def _refuse_taken(self, mapping: Mapping, sides: list[Side]) -> None:
        for side in sides:
            record_id = mapping.id_on(side)
            held = (
                self.get_mapping(mapping.integration_id, mapping.module, side, record_id)
                if record_id
                else None
            )
            if held is not None:
                raise AlreadyExistsError(f"the {side} record is already mapped", current=held)

    def _put(self, mapping: Mapping, *, version: int) -> Mapping:
        stored = mapping.model_copy(update={"version": version, "updated_at": self._clock()})
        self._store.put_preview_mappings(self._run_id, [stored])
        return stored

    # ------------------------------------------------------------ match index
    def put_match_entries(
        self, integration_id: str, module: Module, side: Side, entries: Sequence[tuple[str, SourceRecord]]
    ) -> None:
        overlays = self._store.get_preview_index(self._run_id, side, {key for key, _ in entries})
        for key, record in entries:
            overlay = overlays.get(key, IndexOverlay())
            added = {r.id: r for r in overlay.added} | {record.id: record}
            overlays[key] = IndexOverlay(tuple(added.values()), overlay.dropped - {record.id})
        self._store.put_preview_index(self._run_id, side, overlays)

    def get_match_entries(
        self, integration_id: str, module: Module, side: Side, keys: Collection[str]
    ) -> dict[str, list[SourceRecord]]:
        real = self._store.get_match_entries(integration_id, module, side, keys)
        overlays = self._store.get_preview_index(self._run_id, side, keys)
        found = {}
        for key in set(real) | set(overlays):
            overlay = overlays.get(key, IndexOverlay())
            records = {r.id: r for r in real.get(key, [])} | {r.id: r for r in overlay.added}
            kept = [r for record_id, r in records.items() if record_id not in overlay.dropped]
            if kept:
                found[key] = kept
        return found

    def drop_match_entries(
        self, integration_id: str, module: Module, side: Side, entries: Sequence[tuple[str, str]]
    ) -> None:
        overlays = self._store.get_preview_index(self._run_id, side, {key for key, _ in entries})
        for key, record_id in entries:
            overlay = overlays.get(key, IndexOverlay())
            overlays[key] = IndexOverlay(overlay.added, overlay.dropped | {record_id})
        self._store.put_preview_index(self._run_id, side, overlays)

    # ------------------------------------------------------------ the run's own records, samples, watermarks
    def stage_records(self, run_id: str, records: Sequence[SourceRecord]) -> None:
        self._store.stage_records(run_id, records)

    def list_staged(
        self, run_id: str, side: Side, *, limit: int = 100, cursor: str | None = None
    ) -> Page[SourceRecord]:
        return self._store.list_staged(run_id, side, limit=limit, cursor=cursor)

    def take_name(self, name_key: str, record_id: str) -> bool:
        return self._store.take_preview_name(self._run_id, name_key, record_id)

    def put_samples(self, samples: Sequence[PreviewSample]) -> None:
        self._store.put_preview_samples(self._run_id, samples)

    def get_watermark(self, integration_id: str, module: Module, stream: str) -> datetime | None:
        return self._store.get_watermark(integration_id, module, stream)

    def advance_watermark(self, integration_id: str, module: Module, stream: str, position: datetime) -> bool:
        """A preview reads from where the next run will, and leaves the watermarks where they are."""
        return False
