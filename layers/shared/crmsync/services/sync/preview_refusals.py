"""What a vendor would refuse of a preview's creates (B2), found by reading instead of writing.

The vendors refuse a create that repeats a unique value (zoho-api.md §1.6, §2.5): the CRM an account,
vendor or product name another record has (its system duplicate-check fields), inventory a SKU another
item has; both compare without case and surrounding whitespace. A preview searches the vendor for the
value (one read per create, where the run would spend one write) and remembers the values its own
creates used, so the second of two records with one name is refused in the preview as in the run.
Other refusals (a value a vendor rejects on its own terms) show only when the run writes.
"""

from __future__ import annotations

from typing import Any

from crmsync.domain.models import Side
from crmsync.domain.sync.model import RecordKind, Write
from crmsync.ports.crm import Criterion
from crmsync.ports.inventory import ItemQuery
from crmsync.ports.vendors import VendorClients
from crmsync.services.sync.kinds import CRM_MODULE, CRM_NAME_FIELD
from crmsync.services.sync.preview_store import PreviewOverlay
from crmsync.services.sync.write_results import NOUN

UNIQUE_NAME_MODULES = frozenset({"Accounts", "Vendors", "Products"})


def foreseen_refusal(
    clients: VendorClients, overlay: PreviewOverlay, create: Write, payload: dict[str, Any], record_id: str
) -> str | None:
    """Why the vendor would refuse this create, or None when nothing known says it would."""
    if create.side is Side.CRM:
        crm_module = CRM_MODULE[create.record_kind]
        field = CRM_NAME_FIELD[crm_module]
        name = payload.get(field)
        if crm_module not in UNIQUE_NAME_MODULES or not _filled(name):
            return None
        holder = _crm_holder(clients, crm_module, field, name)
        if holder is None and overlay.take_name(f"crm:{crm_module}:{_key(name)}", record_id):
            return None
        noun = NOUN[create.record_kind]
        return f"the CRM refused the {noun}: another {noun} with the same {field} exists" + (
            f" ({holder})" if holder else ", created earlier in this run"
        )
    sku = payload.get("sku")
    if create.record_kind is not RecordKind.PRODUCT or not _filled(sku):
        return None
    if not _inventory_has_sku(clients, sku) and overlay.take_name(f"inventory:sku:{_key(sku)}", record_id):
        return None
    return f'inventory refused the item: the SKU "{sku}" already exists'


def _crm_holder(clients: VendorClients, crm_module: str, field: str, name: str) -> str | None:
    if len(name.strip()) < 2:  # shorter than a CRM search takes
        return None
    found = clients.crm.search_records(
        crm_module, criteria=[Criterion(field=field, value=name.strip())], fields=[field]
    )
    return next((r.id for r in found if _key(r.values.get(field)) == _key(name)), None)


def _inventory_has_sku(clients: VendorClients, sku: str) -> bool:
    for page in clients.inventory.iter_item_pages(ItemQuery(sku=sku.strip())):
        if any(_key(item.values.get("sku")) == _key(sku) for item in page.records):
            return True
    return False


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _key(value: Any) -> str:
    return str(value or "").strip().casefold()
