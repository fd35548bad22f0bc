"""W2 import: bring one CRM account, contact or vendor into inventory now, idempotently.

Also the entry point of the deal automation when a deal's customer is not mapped yet. A record
that is mapped already returns its mapping; an unlinked inventory contact with the same name
(the M4 match) is linked rather than duplicated, and the next sync merges the two; otherwise the
contact is created (claim before create, so a repeated import never creates twice). With
"Accounts and their Contacts" a contact that belongs to an account is imported as that account,
since the contact is a contact person of the account's customer.
"""

from __future__ import annotations

from crmsync.domain.crm_modules import CRM_MODULES
from crmsync.domain.errors import NotFoundError
from crmsync.domain.models import CrmSource, Integration, MappingStatus, Module, ModulePreferences, Side
from crmsync.domain.sync.canonical import record_hash, to_canonical, to_inventory_payload
from crmsync.domain.sync.matching import match_key
from crmsync.domain.sync.model import PlanContext, RecordKind, SourceRecord
from crmsync.domain.sync_state import Mapping
from crmsync.observability import logger
from crmsync.ports.clock import Clock
from crmsync.ports.errors import AuthorizationExpired, NotFound, Unavailable, VendorError
from crmsync.ports.inventory import ContactQuery, InventoryPort
from crmsync.ports.store import Store
from crmsync.services.deps import Deps
from crmsync.services.modules import read_preferences
from crmsync.services.sync import claims, inventory_writes
from crmsync.services.sync.context import crm_fields, plan_context
from crmsync.services.sync.kinds import PARTNER_ID_FIELD, contact_type
from crmsync.services.sync.records import from_crm_as, from_inventory, lookup_id

IMPORTABLE: dict[str, tuple[str, Module, RecordKind]] = {
    m.key: (m.name, m.sync_module, m.record_kind) for m in CRM_MODULES.values() if m.importable
}


def import_crm_record(deps: Deps, integration: Integration, crm_module: str, crm_id: str) -> Mapping:
    """The mapping of the CRM record's inventory contact, created or linked now if needed.

    `crm_module` is accounts, contacts or vendors (any case). NotFoundError when the CRM has no
    such record; RecordBusy (a ConflictError) while another import of it is in flight.
    """
    try:
        crm_name, module, kind = IMPORTABLE[crm_module.lower()]
    except KeyError:
        raise NotFoundError(f"Records of {crm_module} cannot be imported.") from None
    store = deps.store
    existing = store.get_mapping(integration.integration_id, module, Side.CRM, crm_id)
    if existing is not None and existing.status is MappingStatus.LINKED and existing.tombstone_side is None:
        return existing
    clients = deps.vendors.for_integration(integration)
    preferences = read_preferences(store, integration, module)
    ctx = plan_context(clients.inventory, integration, _reading(preferences, kind), deps.clock())
    try:
        record = clients.crm.get_record(crm_name, crm_id, crm_fields(ctx, crm_name))
    except NotFound:
        raise NotFoundError(f"The CRM has no {crm_name[:-1].lower()} {crm_id}.") from None
    account_id = lookup_id(record.values.get("Account_Name"))
    if kind is RecordKind.CONTACT and account_id and preferences.settings.crm_source is CrmSource.ACCOUNTS_AND_CONTACTS:
        return import_crm_record(deps, integration, "accounts", account_id)
    if existing is not None and existing.tombstone_side is Side.INVENTORY:
        store.delete_mapping(existing)  # its inventory contact was deleted: import it afresh
    source = from_crm_as(kind, record)
    canonical = to_canonical(ctx, source)
    payload = to_inventory_payload(ctx, kind, canonical, None) | {PARTNER_ID_FIELD[kind]: crm_id}
    twin = _unlinked_twin(store, clients.inventory, ctx, source, payload)
    if twin is not None:
        logger.info("import linked an existing inventory contact", extra={"crm_id": crm_id})
        return store.link_mapping(
            Mapping(
                integration_id=integration.integration_id,
                module=module,
                crm_id=crm_id,
                inventory_id=twin,
                record_kind=kind.value,
                crm_modified=source.modified,
            )
        )
    return _create(store, deps.clock, clients.inventory, ctx, source, canonical, payload)


def _reading(preferences: ModulePreferences, kind: RecordKind) -> ModulePreferences:
    """The preferences with a customer source that reads the imported kind: an account can be
    imported while the source is Contacts, and a contact while it is Accounts."""
    source = preferences.settings.crm_source
    if kind is RecordKind.ACCOUNT and source is CrmSource.CONTACTS:
        source = CrmSource.ACCOUNTS
    elif kind is RecordKind.CONTACT and source is not CrmSource.CONTACTS:
        source = CrmSource.CONTACTS
    settings = preferences.settings.model_copy(update={"crm_source": source})
    return preferences.model_copy(update={"settings": settings})


def _create(
    store: Store, clock: Clock, inventory: InventoryPort, ctx: PlanContext, source: SourceRecord, canonical, payload) -> Mapping:
    claim = claims.take_claim(
        store, claims.claim_for(ctx.integration_id, ctx.module, Side.CRM, source.id, source.kind), clock
    )
    if claim.state is claims.ClaimState.LINKED:
        return claim.mapping
    created = None
    if claim.state is claims.ClaimState.ABANDONED:
        created = claims.find_inventory_created(inventory, ctx.module, source.kind, source.id, payload)
    if created is None:
        try:
            created = inventory_writes.create(inventory, ctx.module, payload)
        except VendorError as exc:
            if not (exc.retryable or isinstance(exc, Unavailable | AuthorizationExpired)):
                claims.release(store, claim.mapping)  # surely not created
            raise
    inventory_canonical = to_canonical(ctx, from_inventory(ctx.module, created))
    linked = Mapping(
        integration_id=ctx.integration_id,
        module=ctx.module,
        crm_id=source.id,
        inventory_id=created.id,
        origin=Side.CRM,
        record_kind=source.kind.value,
        base=canonical,
        crm_hash=record_hash(canonical),
        inventory_hash=record_hash(inventory_canonical),
        crm_modified=source.modified,
        inventory_modified=created.last_modified_time,
    )
    logger.info("imported a CRM record", extra={"crm_id": source.id, "inventory_id": created.id})
    return claims.complete(store, claim.mapping, linked)


def _unlinked_twin(store: Store, inventory: InventoryPort, ctx: PlanContext, source: SourceRecord, payload) -> str | None:
    """The one unlinked inventory contact with the record's match key (M4), if exactly one exists."""
    key = match_key(ctx, source)
    name = payload.get("contact_name")
    if key is None or not name:
        return None
    extra = {"contact_name_contains": str(name).strip(), "contact_type": contact_type(ctx.module)}
    query = ContactQuery(extra=extra)
    same = [
        record.id
        for page in inventory.iter_contact_pages(query)
        for record in page.records
        if match_key(ctx, from_inventory(ctx.module, record)) == key
    ]
    mapped = store.get_mappings(ctx.integration_id, ctx.module, Side.INVENTORY, same) if same else {}
    unlinked = [record_id for record_id in same if record_id not in mapped]
    return unlinked[0] if len(unlinked) == 1 else None
