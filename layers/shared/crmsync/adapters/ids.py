"""Identifiers that go into a vendor URL path: checked against the vendor's format, then escaped.

Zoho ids (CRM records, inventory organizations, contacts, items, transactions) are decimal numbers
sent as strings; an id of any other shape cannot name a vendor record, so it is answered as the vendor
would answer an unknown id (`NotFound`) without a request. Module API names are letters, digits and
underscores. Escaping after the check is belt and braces: nothing that passed can change the path.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from crmsync.ports.errors import NotFound, VendorSystem

ZOHO_ID = re.compile(r"[0-9]{1,25}")
API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")


def record_id(system: VendorSystem, value: str) -> str:
    """A record id as a path segment; NotFound when it is not shaped like one of the vendor's ids."""
    if not isinstance(value, str) or not ZOHO_ID.fullmatch(value):
        raise NotFound(system, f"{value!r} is not a valid id", code="INVALID_ID")
    return quote(value, safe="")


def api_name(value: str) -> str:
    """A CRM module (or other API) name as a path segment; our code names them, so a bad one is a bug."""
    if not isinstance(value, str) or not API_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not an API name")
    return quote(value, safe="")
