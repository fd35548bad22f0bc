"""T1: which fields of CRM-native quotes, sales orders and purchase orders travel to which inventory
custom fields. Pure rules, no I/O.

The admin maps them explicitly, as for customers, vendors and items (M6): a pair is refused at save
time when either field is unknown, of a type that cannot be mapped, or the two types do not convert
(`module_rules.mappable`, `module_rules.pair_types`). Only inventory custom fields are targets: the
document's standard fields (customer, lines, reference) come from the CRM record itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from crmsync.domain.models import NativeTransactionModule, TransactionFieldPair
from crmsync.domain.module_rules import FieldFacts, VendorFacts, Violation, mappable, pair_types

# The inventory entity a CRM-native document becomes (also the entity of its custom fields).
NATIVE_ENTITY: dict[NativeTransactionModule, str] = {
    NativeTransactionModule.QUOTES: "estimates",
    NativeTransactionModule.SALES_ORDERS: "salesorders",
    NativeTransactionModule.PURCHASE_ORDERS: "purchaseorders",
}


def violations(
    pairs: Sequence[TransactionFieldPair],
    crm_fields: Mapping[NativeTransactionModule, Mapping[str, FieldFacts]],
    inventory_fields: Mapping[NativeTransactionModule, Mapping[str, FieldFacts]],
    currencies: VendorFacts,
) -> list[Violation]:
    """Every broken rule as (`field_map.N.crm|inventory`, problem), in body order.

    `crm_fields`: the CRM fields of each module used; `inventory_fields`: the inventory custom fields
    of each module's entity, by the name a map gives them; `currencies`: both base currencies.
    """
    found: list[Violation] = []
    first_use: dict[tuple[NativeTransactionModule, str], int] = {}
    for index, pair in enumerate(pairs):
        at = f"field_map.{index}"
        entity = NATIVE_ENTITY[pair.crm_module]
        crm = crm_fields.get(pair.crm_module, {}).get(pair.crm)
        inventory = inventory_fields.get(pair.crm_module, {}).get(pair.inventory)
        if crm is None:
            found.append((f"{at}.crm", f"No field {pair.crm} in CRM {pair.crm_module}."))
        else:
            found += mappable(f"{at}.crm", crm)
        target = (pair.crm_module, pair.inventory)
        if target in first_use:
            found.append((f"{at}.inventory", f"Already mapped by field_map.{first_use[target]}."))
        first_use.setdefault(target, index)
        if inventory is None:
            found.append(
                (f"{at}.inventory", f"No active inventory custom field {pair.inventory} of {entity}.")
            )
        else:
            found += mappable(f"{at}.inventory", inventory)
        if crm and inventory and crm.kind and inventory.kind:
            found += pair_types(at, crm, inventory, currencies)
    return found
