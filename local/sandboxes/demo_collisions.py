"""Names present in both demo presets (CRM and inventory), so duplicate handling can be tried.

The CRM demo preset creates these exactly as written; the inventory demo preset should create
the same names (it may vary case or surrounding whitespace to exercise robust matching).
"""

from typing import NamedTuple


class CollidingItem(NamedTuple):
    name: str
    sku: str


COLLIDING_CUSTOMERS: tuple[str, ...] = ("Café Münster GmbH", "Société Générale", "Nordlicht Handel AG")
COLLIDING_VENDORS: tuple[str, ...] = ("Łódź Ręczne Sp. z o.o.", "Ærø Fisk ApS")
COLLIDING_ITEMS: tuple[CollidingItem, ...] = (
    CollidingItem("Espresso Maschine Duo", "ESP-DUO-01"),
    CollidingItem("Ölfilter Premium", "OLF-PRM-22"),
    CollidingItem("Wireless Barcode Scanner", "WBS-300"),
)
