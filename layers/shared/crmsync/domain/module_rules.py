"""The rules a module's preferences must meet before they are saved (M1-M9): pure, no I/O.

A service first asks `lookups_needed` what to read from the two systems, reads exactly that into
`VendorFacts`, then `violations` lists every broken rule as (field, problem) pairs, where field
names the body path (`field_map.0.crm`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from crmsync.domain.crm_modules import CRM_MODULES
from crmsync.domain.field_catalog import CRM_KINDS, FieldKind, crm_modules
from crmsync.domain.models import CrmSource, Direction, Module, ModuleSettings, Role

Violation = tuple[str, str]

PICKLIST_PLACEHOLDER = "-None-"
PRODUCT_TYPE_VALUES = frozenset({"goods", "services"})
NUMERIC = frozenset({FieldKind.NUMBER, FieldKind.CURRENCY})
# (CRM kind, inventory kind) pairs whose values convert both ways.
COMPATIBLE: frozenset[tuple[FieldKind, FieldKind]] = frozenset(
    {(kind, kind) for kind in FieldKind}
    | {(a, b) for a in NUMERIC for b in NUMERIC}
    | {(FieldKind.PICKLIST, FieldKind.TEXT)}
)
VIEW_MODULES = {m.key: m.name for m in CRM_MODULES.values()}  # `views` key -> CRM module


@dataclass(frozen=True)
class FieldFacts:
    """One field of either side: `kind` None means its type cannot be mapped."""

    name: str
    data_type: str
    kind: FieldKind | None
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lookups:
    """What the rules of one save need read from the two systems."""

    crm_field_modules: tuple[str, ...] = ()
    crm_view_modules: tuple[str, ...] = ()
    inventory_fields: bool = False
    base_currencies: bool = False


@dataclass(frozen=True)
class VendorFacts:
    """What was read: CRM fields and custom view ids by CRM module, the inventory fields of the
    module's entity (standard and custom) by name, and both organizations' base currencies."""

    crm_fields: Mapping[str, Mapping[str, FieldFacts]] = field(default_factory=dict)
    crm_views: Mapping[str, frozenset[str]] = field(default_factory=dict)
    inventory_fields: Mapping[str, FieldFacts] = field(default_factory=dict)
    crm_currency: str | None = None
    inventory_currency: str | None = None


def crm_field_facts(name: str, data_type: str, values: tuple[str, ...] = ()) -> FieldFacts:
    return FieldFacts(name, data_type, CRM_KINDS.get(data_type), values)


def view_keys(module: Module, crm_source: CrmSource | None) -> tuple[str, ...]:
    """The `views` keys that apply to a module (customers: by crm_source)."""
    return tuple(CRM_MODULES[crm_module].key for crm_module in crm_modules(module, crm_source))


def lookups_needed(module: Module, settings: ModuleSettings) -> Lookups:
    applicable = view_keys(module, settings.crm_source)
    views = tuple(VIEW_MODULES[key] for key in applicable if getattr(settings.views, key) is not None)
    field_modules = crm_modules(module, settings.crm_source) if settings.field_map else ()
    if module is Module.ITEMS and settings.product_type_field and "Products" not in field_modules:
        field_modules = (*field_modules, "Products")
    return Lookups(
        crm_field_modules=field_modules,
        crm_view_modules=views,
        inventory_fields=bool(settings.field_map),
        base_currencies=bool(settings.field_map),
    )


def violations(module: Module, settings: ModuleSettings, role: Role, facts: VendorFacts) -> list[Violation]:
    """Every rule the preferences break, in body order."""
    return [
        *_source_rules(module, settings),
        *_direction_rules(settings, role),
        *_view_rules(module, settings, facts),
        *_field_map_rules(module, settings, facts),
        *_product_type_rules(module, settings, facts),
    ]


def _source_rules(module: Module, settings: ModuleSettings) -> list[Violation]:
    found: list[Violation] = []
    if module is Module.CUSTOMERS and settings.crm_source is None:
        found.append(("crm_source", "Required for customers: accounts, contacts or accounts_and_contacts."))
    if module is not Module.CUSTOMERS and settings.crm_source is not None:
        found.append(("crm_source", f"Applies to customers only, not to {module}."))
    if settings.include_unassociated_contacts and settings.crm_source is not CrmSource.ACCOUNTS_AND_CONTACTS:
        found.append(
            (
                "include_unassociated_contacts",
                "Applies only to customers with crm_source accounts_and_contacts.",
            )
        )
    return found


def _direction_rules(settings: ModuleSettings, role: Role) -> list[Violation]:
    if role is Role.SECONDARY and settings.direction is Direction.TWO_WAY:
        return [
            (
                "direction",
                "A secondary integration only fetches from the CRM (it never writes to the CRM); "
                "use fetch_from_crm.",
            )
        ]
    return []


def _view_rules(module: Module, settings: ModuleSettings, facts: VendorFacts) -> list[Violation]:
    applicable = view_keys(module, settings.crm_source)
    found: list[Violation] = []
    for key, crm_module in VIEW_MODULES.items():
        view_id = getattr(settings.views, key)
        if view_id is None:
            continue
        if key not in applicable:
            found.append((f"views.{key}", f"Does not apply here; {module} takes {_names(applicable)}."))
        elif view_id not in facts.crm_views.get(crm_module, frozenset()):
            found.append((f"views.{key}", f"No custom view {view_id} in CRM {crm_module}."))
    return found


def _field_map_rules(module: Module, settings: ModuleSettings, facts: VendorFacts) -> list[Violation]:
    read = crm_modules(module, settings.crm_source)
    found: list[Violation] = []
    first_use: dict[str, int] = {}
    for index, pair in enumerate(settings.field_map):
        at = f"field_map.{index}"
        crm = next(
            (facts.crm_fields[m][pair.crm] for m in read if pair.crm in facts.crm_fields.get(m, {})), None
        )
        inventory = facts.inventory_fields.get(pair.inventory)
        if crm is None:
            found.append((f"{at}.crm", f"No field {pair.crm} in CRM {_names(read)}."))
        else:
            found += mappable(f"{at}.crm", crm)
        if pair.inventory in first_use:
            found.append((f"{at}.inventory", f"Already mapped by field_map.{first_use[pair.inventory]}."))
        first_use.setdefault(pair.inventory, index)
        if inventory is None:
            found.append(
                (f"{at}.inventory", f"No inventory standard or custom field {pair.inventory} of {module}.")
            )
        else:
            found += mappable(f"{at}.inventory", inventory)
        if crm and inventory and crm.kind and inventory.kind:
            found += pair_types(at, crm, inventory, facts)
    return found


def mappable(at: str, facts: FieldFacts) -> list[Violation]:
    """The field's type can be mapped at all (also used by the T1 transaction field map)."""
    if facts.kind is None:
        return [(at, f"{facts.name} is a {facts.data_type} field; fields of that type cannot be mapped.")]
    return []


def pair_types(at: str, crm: FieldFacts, inventory: FieldFacts, facts: VendorFacts) -> list[Violation]:
    """The two kinds convert both ways, and currencies only between equal base currencies."""
    assert crm.kind and inventory.kind
    if (crm.kind, inventory.kind) not in COMPATIBLE:
        problem = (
            f"A CRM {crm.kind} field ({crm.name}) cannot map to an inventory {inventory.kind} field "
            f"({inventory.name})."
        )
        return [(at, problem)]
    if FieldKind.CURRENCY in (crm.kind, inventory.kind) and facts.crm_currency != facts.inventory_currency:
        problem = (
            f"Currency fields cannot be mapped while the CRM base currency ({facts.crm_currency}) "
            f"differs from the inventory base currency ({facts.inventory_currency})."
        )
        return [(at, problem)]
    return []


def _product_type_rules(module: Module, settings: ModuleSettings, facts: VendorFacts) -> list[Violation]:
    name = settings.product_type_field
    if name is None:
        return []
    if module is not Module.ITEMS:
        return [("product_type_field", f"Applies to items only, not to {module}.")]
    crm = facts.crm_fields.get("Products", {}).get(name)
    if crm is None:
        return [("product_type_field", f"No field {name} in CRM Products.")]
    if crm.data_type != "picklist":
        return [("product_type_field", f"{name} is a {crm.data_type} field; it must be a picklist.")]
    values = {value.casefold() for value in crm.values if value != PICKLIST_PLACEHOLDER}
    if values != PRODUCT_TYPE_VALUES:
        return [("product_type_field", f"The values of {name} must be Goods and Services.")]
    return []


def _names(items: tuple[str, ...]) -> str:
    return " or ".join(items)
