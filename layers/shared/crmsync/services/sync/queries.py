"""W1: the customers and vendors that came from the CRM; W2: search the CRM for one to import."""

from __future__ import annotations

from dataclasses import dataclass

from crmsync.domain.crm_modules import CRM_MODULES, crm_module_of_kind
from crmsync.domain.errors import InvalidFieldsError
from crmsync.domain.models import Integration, MappingStatus, Module, Side
from crmsync.domain.sync.model import RecordKind
from crmsync.domain.sync_state import Mapping
from crmsync.ports.crm import Criterion, CrmPort, CrmRecord
from crmsync.ports.store import Page, Store
from crmsync.services.deps import Deps
from crmsync.services.sync.records import lookup_id

MODULE_OF_TYPE = {"customer": Module.CUSTOMERS, "vendor": Module.VENDORS}
SEARCHABLE = {m.key: name for name, m in CRM_MODULES.items() if m.importable}
SEARCH_FIELDS = {name: list(m.search_fields) for name, m in CRM_MODULES.items() if m.importable}
IN_VALUES_PER_SEARCH = 100  # the CRM's `in` operator takes at most 100 values (zoho-api.md 1.4)


@dataclass(frozen=True)
class CrmContact:
    """An inventory customer or vendor linked to a CRM record (W1)."""

    inventory_contact_id: str
    name: str | None
    crm_id: str
    crm_module: str
    origin: Side | None


@dataclass(frozen=True)
class FoundRecord:
    """A CRM record found by a W2 search, and its inventory contact if it is imported already."""

    crm_id: str
    module: str
    name: str
    values: dict
    inventory_contact_id: str | None
    account_crm_id: str | None = None  # a contact's account


def list_crm_contacts(store: Store, integration: Integration, contact_type: str, *, limit: int, cursor: str | None) -> Page[CrmContact]:
    """The linked customers (or vendors) from the mappings, in inventory id order (a query, never a scan)."""
    module = MODULE_OF_TYPE[contact_type]
    page = store.list_mappings(integration.integration_id, module, Side.INVENTORY, limit=limit, cursor=cursor)
    return Page([_contact(m) for m in page.items if _listed(m)], page.next_cursor)


def _listed(mapping: Mapping) -> bool:
    return (
        mapping.status is MappingStatus.LINKED
        and mapping.record_kind != RecordKind.PERSON
        and mapping.tombstone_side is not Side.INVENTORY
    )


def _contact(mapping: Mapping) -> CrmContact:
    kind = RecordKind(mapping.record_kind) if mapping.record_kind else RecordKind.ACCOUNT
    crm_module = crm_module_of_kind(kind).name
    return CrmContact(
        inventory_contact_id=str(mapping.inventory_id),
        name=mapping.base.get("contact_name"),
        crm_id=str(mapping.crm_id),
        crm_module=crm_module,
        origin=mapping.origin,
    )


def search_crm(
    deps: Deps,
    integration: Integration,
    module: str,
    *,
    name: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> list[FoundRecord]:
    """Accounts by account name, each followed by its contacts; contacts by first and last name;
    vendors by name (W2). An account's contacts are listed as the seed's Advanced Customer Search
    lists them, so the admin may import the account or one of its contacts."""
    crm_module = SEARCHABLE[module]
    criteria = _criteria(crm_module, name, first_name, last_name)
    crm = deps.vendors.for_integration(integration).crm
    records = crm.search_records(crm_module, criteria=criteria, fields=SEARCH_FIELDS[crm_module])
    found = _found(deps, integration, crm_module, records)
    if crm_module != "Accounts" or not records:
        return found
    contacts = _found(deps, integration, "Contacts", _contacts_of(crm, [r.id for r in records]))
    by_account: dict[str | None, list[FoundRecord]] = {}
    for contact in contacts:
        by_account.setdefault(contact.account_crm_id, []).append(contact)
    return [listed for account in found for listed in (account, *by_account.get(account.crm_id, ()))]


def _contacts_of(crm: CrmPort, account_ids: list[str]) -> list[CrmRecord]:
    """The contacts of the accounts, by the id of their account lookup (`in` takes 100 ids a search)."""
    contacts: list[CrmRecord] = []
    for start in range(0, len(account_ids), IN_VALUES_PER_SEARCH):
        chunk = account_ids[start : start + IN_VALUES_PER_SEARCH]
        criterion = Criterion(field="Account_Name.id", operator="in", value=chunk)
        contacts += crm.search_records("Contacts", criteria=[criterion], fields=SEARCH_FIELDS["Contacts"])
    return contacts


def _found(deps: Deps, integration: Integration, crm_module: str, records: list[CrmRecord]) -> list[FoundRecord]:
    target = CRM_MODULES[crm_module].sync_module
    mapped = deps.store.get_mappings(integration.integration_id, target, Side.CRM, [r.id for r in records])
    return [
        FoundRecord(
            crm_id=r.id,
            module=CRM_MODULES[crm_module].key,
            name=_display_name(crm_module, r.values),
            values={k: r.values.get(k) for k in SEARCH_FIELDS[crm_module]},
            inventory_contact_id=_imported(mapped.get(r.id)),
            account_crm_id=lookup_id(r.values.get("Account_Name")) if crm_module == "Contacts" else None,
        )
        for r in records
    ]


def _criteria(crm_module: str, name, first_name, last_name) -> list[Criterion]:
    if crm_module == "Contacts":
        given = {"First_Name": first_name, "Last_Name": last_name}
        criteria = [Criterion(field=f, value=v.strip()) for f, v in given.items() if v and v.strip()]
        problem = ("first_name", "give first_name or last_name, at least 2 characters")
    else:
        field = CRM_MODULES[crm_module].name_field
        criteria = [Criterion(field=field, value=name.strip())] if name and name.strip() else []
        problem = ("name", "give a name of at least 2 characters")
    if not criteria or any(len(str(c.value)) < 2 for c in criteria):
        raise InvalidFieldsError([problem])
    return criteria


def _display_name(crm_module: str, values: dict) -> str:
    if crm_module == "Contacts":
        full = values.get("Full_Name") or " ".join(v for v in (values.get("First_Name"), values.get("Last_Name")) if v)
        return str(full)
    return str(values.get(CRM_MODULES[crm_module].display_field) or "")


def _imported(mapping: Mapping | None) -> str | None:
    if mapping is None or mapping.status is not MappingStatus.LINKED or mapping.record_kind == RecordKind.PERSON:
        return None
    return mapping.inventory_id
