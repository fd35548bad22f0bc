"""The mapped fields of one record kind, resolved once from a `PlanContext`'s field map.

A view answers, for one kind: which CRM field feeds each canonical path (one per path), which
CRM fields a write may set (a field mapped to several paths is written from the first of them in
map order, e.g. `Account_Name` from `contact_name`, not from `company_name`; read-only CRM fields
such as `Full_Name` are never written), and where each path sits in an inventory record.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crmsync.domain.crm_modules import crm_module_of_kind
from crmsync.domain.field_catalog import FieldKind
from crmsync.domain.sync.model import PlanContext, RecordKind

PERSON_PREFIX = "contact_person."
CUSTOM_PREFIX = "cf_"


class Place(StrEnum):
    """Where a canonical path is found in an inventory record."""

    TOP = "top"  # a top-level key
    NESTED = "nested"  # a key of an object (an address)
    PERSON = "person"  # a key of the contact's primary contact person
    SELF = "self"  # a key of the record itself, which is a contact person (PERSON kind)
    CUSTOM = "custom"  # a custom field, by its cf_ name


@dataclass(frozen=True, slots=True)
class Reader:
    path: str
    place: Place
    key: str
    sub: str = ""


@dataclass(frozen=True, slots=True)
class KindView:
    crm_module: str
    pairs: tuple[tuple[str, str], ...]  # (crm_field, path) in map order, one CRM field per path
    kinds: dict[str, FieldKind]  # path -> kind
    crm_writes: tuple[tuple[str, str], ...]  # (crm_field, path) a CRM write sets
    crm_writable: frozenset[str]  # the paths of crm_writes
    readers: tuple[Reader, ...]


class _ViewCache:
    """The views of the most recent context: a run plans all of its records with one context."""

    def __init__(self) -> None:
        self._ctx: PlanContext | None = None
        self._views: dict[RecordKind, KindView] = {}

    def get(self, ctx: PlanContext, kind: RecordKind) -> KindView:
        if self._ctx is not ctx:
            self._ctx, self._views = ctx, {}
        view = self._views.get(kind)
        if view is None:
            view = self._views[kind] = _build(ctx, kind)
        return view


_cache = _ViewCache()


def view_of(ctx: PlanContext, kind: RecordKind) -> KindView:
    return _cache.get(ctx, kind)


def _build(ctx: PlanContext, kind: RecordKind) -> KindView:
    facts = crm_module_of_kind(kind)
    crm_module = facts.name
    by_path: dict[str, str] = {}
    for module, crm_field, path in ctx.field_map:
        if module == crm_module and (kind is not RecordKind.PERSON or path.startswith(PERSON_PREFIX)):
            by_path[path] = crm_field  # a later pair for the same path replaces an earlier one
    pairs = tuple((crm_field, path) for path, crm_field in by_path.items())
    read_only = facts.read_only
    first_path: dict[str, str] = {}
    for crm_field, path in pairs:
        if crm_field not in read_only:
            first_path.setdefault(crm_field, path)
    return KindView(
        crm_module=crm_module,
        pairs=pairs,
        kinds={path: FieldKind(ctx.kinds.get(path, FieldKind.TEXT)) for path in by_path},
        crm_writes=tuple(first_path.items()),
        crm_writable=frozenset(first_path.values()),
        readers=tuple(_reader(kind, path) for path in by_path),
    )


def _reader(kind: RecordKind, path: str) -> Reader:
    if path.startswith(CUSTOM_PREFIX):
        return Reader(path, Place.CUSTOM, path)
    if path.startswith(PERSON_PREFIX):
        key = path.removeprefix(PERSON_PREFIX)
        return Reader(path, Place.SELF if kind is RecordKind.PERSON else Place.PERSON, key)
    if "." in path:
        key, _, sub = path.partition(".")
        return Reader(path, Place.NESTED, key, sub)
    return Reader(path, Place.TOP, path)
