"""What a preview run (B2) keeps in its run's partition, purged with the run like its staged records.

| access pattern                                 | key                                                        |
|------------------------------------------------|------------------------------------------------------------|
| the preview's mapping of a record              | pk=RUN#{run_id}, sk=PREVIEW#MAP#{side}#{record_id}         |
| the preview's changes to a match key's entries | pk=RUN#{run_id}, sk=PREVIEW#MATCH#{side}#{sha256(key)[:32]} |
| samples by outcome                             | pk=RUN#{run_id}, sk=PREVIEW#SAMPLE#{outcome}#{seq:03d}      |
| a unique name or SKU a preview create used     | pk=RUN#{run_id}, sk=PREVIEW#NAME#{sha256(key)[:32]}         |

Samples are items of their own (at most 50 per outcome), so no item nears DynamoDB's 400 KB.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence

from crmsync.adapters.dynamodb import keys as table_keys
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.codec import decode, deserialize, encode, serialize
from crmsync.adapters.dynamodb.pagination import Listing
from crmsync.adapters.dynamodb.table import Condition, ConditionFailed
from crmsync.domain.models import Side
from crmsync.domain.preview import PreviewOutcome, PreviewSample
from crmsync.domain.sync.model import SourceRecord
from crmsync.domain.sync_state import Mapping
from crmsync.ports.previews import IndexOverlay
from crmsync.ports.store import Page

PREVIEW_PREFIX = "PREVIEW#"
MAPPING_JSON = ("base",)
SAMPLE_JSON = ("changes", "conflicts")


def _key(run_id: str, sort_key: str) -> dict[str, str]:
    return {"pk": table_keys.run_partition(run_id), "sk": f"{PREVIEW_PREFIX}{sort_key}"}


def _mapping_key(run_id: str, side: Side, record_id: str) -> dict[str, str]:
    return _key(run_id, f"MAP#{side}#{record_id}")


def _index_key(run_id: str, side: Side, match_key: str) -> dict[str, str]:
    return _key(run_id, f"MATCH#{side}#{hashlib.sha256(match_key.encode()).hexdigest()[:32]}")


def _samples_prefix(outcome: PreviewOutcome | None) -> str:
    return f"{PREVIEW_PREFIX}SAMPLE#" + (f"{outcome}#" if outcome else "")


class PreviewArea(StoreBase):
    def put_preview_mappings(self, run_id: str, mappings: Sequence[Mapping]) -> None:
        self._table.batch_put(
            encode(mapping, _mapping_key(run_id, side, record_id), MAPPING_JSON)
            for mapping in mappings
            for side in Side
            if (record_id := mapping.id_on(side))
        )

    def get_preview_mappings(self, run_id: str, side: Side, record_ids: Sequence[str]) -> dict[str, Mapping]:
        items = self._table.batch_get(_mapping_key(run_id, side, i) for i in set(record_ids))
        mappings = (decode(item, Mapping, MAPPING_JSON) for item in items)
        return {record_id: mapping for mapping in mappings if (record_id := mapping.id_on(side))}

    def put_preview_index(self, run_id: str, side: Side, overlays: dict[str, IndexOverlay]) -> None:
        self._table.batch_put(
            serialize(
                {
                    **_index_key(run_id, side, key),
                    "key": key,
                    "added": "[" + ",".join(r.model_dump_json() for r in overlay.added) + "]",
                    "dropped": json.dumps(sorted(overlay.dropped)),
                }
            )
            for key, overlay in overlays.items()
        )

    def get_preview_index(self, run_id: str, side: Side, keys: Collection[str]) -> dict[str, IndexOverlay]:
        found = {}
        for item in self._table.batch_get(_index_key(run_id, side, k) for k in set(keys)):
            plain = deserialize(item)
            added = tuple(SourceRecord.model_validate(r) for r in json.loads(plain["added"]))
            found[plain["key"]] = IndexOverlay(added=added, dropped=frozenset(json.loads(plain["dropped"])))
        return found

    def take_preview_name(self, run_id: str, name_key: str, record_id: str) -> bool:
        digest = hashlib.sha256(name_key.encode()).hexdigest()[:32]
        free_or_own = Condition(
            "attribute_not_exists(pk) OR #record = :record", {"#record": "record_id"}, {":record": record_id}
        )
        try:
            self._table.put(
                serialize({**_key(run_id, f"NAME#{digest}"), "record_id": record_id}), free_or_own
            )
        except ConditionFailed:
            return False
        return True

    def put_preview_samples(self, run_id: str, samples: Sequence[PreviewSample]) -> None:
        self._table.batch_put(
            encode(sample, _key(run_id, f"SAMPLE#{sample.outcome}#{sample.seq:03d}"), SAMPLE_JSON)
            for sample in samples
        )

    def list_preview_samples(
        self,
        run_id: str,
        *,
        outcome: PreviewOutcome | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[PreviewSample]:
        listing = Listing(table_keys.run_partition(run_id), _samples_prefix(outcome))
        items, next_cursor = self._table.page(listing, limit=limit, cursor=cursor, newest_first=False)
        return Page([decode(item, PreviewSample, SAMPLE_JSON) for item in items], next_cursor)
