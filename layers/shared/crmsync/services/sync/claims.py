"""Claim before create (sync-correctness.md, exactly-once effects).

A pending mapping is written with a conditional put before the create call on the other side, so a
redelivered step finds it. A claim that is still pending means an earlier attempt may or may not
have created the record: the target is searched first (by the partner id we write on every create,
found through a name or SKU filter, or by name in the CRM) and only an abandoned claim whose record
cannot be found is created again. A fresh pending claim belongs to an attempt still in flight: the
step is retried later rather than racing it. An attempt that fails with its claims still pending
marks them abandoned (`abandon`, no time stamp), so its retry searches at once instead of waiting
`CLAIM_STALE_AFTER` for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from crmsync.domain.errors import AlreadyExistsError, ConflictError
from crmsync.domain.models import MappingStatus, Module, Side
from crmsync.domain.sync.matching import normalize_name
from crmsync.domain.sync.model import RecordKind
from crmsync.domain.sync_state import Mapping
from crmsync.ports.clock import Clock
from crmsync.ports.crm import Criterion, CrmPort, CrmRecord
from crmsync.ports.inventory import ContactQuery, InventoryPort, InventoryRecord, ItemQuery
from crmsync.ports.store import Store
from crmsync.services.sync.kinds import CRM_NAME_FIELD, PARTNER_ID_FIELD, contact_type

CLAIM_STALE_AFTER = timedelta(minutes=10)


class RecordBusy(ConflictError):
    """Another attempt is creating this record right now; try again later."""


class ClaimState(StrEnum):
    FRESH = "fresh"  # ours: create now
    LINKED = "linked"  # the pair exists already: nothing to create
    ABANDONED = "abandoned"  # an earlier attempt's claim: search the target, then create


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    mapping: Mapping


def claim_for(integration_id: str, module: Module, side: Side, record_id: str, kind: RecordKind) -> Mapping:
    ids = {"crm_id": record_id} if side is Side.CRM else {"inventory_id": record_id}
    return Mapping(
        integration_id=integration_id,
        module=module,
        status=MappingStatus.PENDING,
        claim_side=side,
        origin=side,
        record_kind=kind.value,
        **ids,
    )


def take_claim(store: Store, claim: Mapping, now: Clock) -> Claim:
    """Claims the record; RecordBusy when another attempt's fresh claim holds it."""
    try:
        return Claim(ClaimState.FRESH, store.claim_mapping(claim))
    except AlreadyExistsError as exc:
        held = exc.current
    if held is None:
        raise RecordBusy("the record is being claimed by another attempt")
    if held.status is MappingStatus.LINKED:
        return Claim(ClaimState.LINKED, held)
    if held.updated_at is not None and now() - held.updated_at < CLAIM_STALE_AFTER:
        raise RecordBusy(f"record {held.id_on(held.claim_side)} is being created by another attempt")
    return Claim(ClaimState.ABANDONED, held)


def complete(store: Store, claim: Mapping, linked: Mapping) -> Mapping:
    """Stores the linked pair in place of the pending claim (at the claim's version)."""
    return store.complete_claim(
        linked.model_copy(update={"claim_side": claim.claim_side, "version": claim.version})
    )


def abandon(store: Store, pending: list[Mapping]) -> None:
    """The attempt that took these claims has failed: the next one takes them as abandoned."""
    for claim in pending:
        store.abandon_claim(claim)


def release(store: Store, claim: Mapping) -> None:
    """Gives a claim up (the create was refused), so a later attempt starts clean."""
    store.delete_mapping(claim)


def find_inventory_created(
    inventory: InventoryPort, module: Module, kind: RecordKind, crm_id: str, payload: dict
) -> InventoryRecord | None:
    """The inventory record an earlier attempt created for `crm_id`, found by name or SKU and
    recognised by the partner id written with it."""
    partner = PARTNER_ID_FIELD[kind]
    if module is Module.ITEMS:
        query = ItemQuery(sku=payload["sku"]) if payload.get("sku") else ItemQuery(name=payload.get("name"))
        pages = inventory.iter_item_pages(query)
    else:
        query = ContactQuery(
            contact_name=payload.get("contact_name"), extra={"contact_type": contact_type(module)}
        )
        pages = inventory.iter_contact_pages(query)
    for page in pages:
        for record in page.records:
            if str(record.values.get(partner) or "") == crm_id:
                return record
    return None


def find_crm_created(
    crm: CrmPort, crm_module: str, payload: dict, since: datetime | None
) -> CrmRecord | None:
    """The CRM record an earlier attempt created from `payload`: same name, created since the claim."""
    name_field = CRM_NAME_FIELD[crm_module]
    name = payload.get(name_field)
    if not isinstance(name, str) or len(name.strip()) < 2:
        return None
    wanted = normalize_name(name)
    found = crm.search_records(
        crm_module,
        criteria=[Criterion(field=name_field, value=name.strip())],
        fields=[name_field, "Created_Time", "Modified_Time"],
    )
    for record in found:
        created = record.values.get("Created_Time")
        recent = since is None or created is None or _at(created) >= since - timedelta(minutes=1)
        if normalize_name(str(record.values.get(name_field) or "")) == wanted and recent:
            return record
    return None


def _at(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
