"""How one inventory sandbox app is configured."""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from ..accounts import DEFAULT_ACCOUNTS_KEY
from .limits import Limits


class InventorySandboxSettings(BaseModel):
    """Defaults match the vendor; tests pass their own `limits` and, if they need it, a `clock`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    host: str = "127.0.0.1"
    port: int = 8082
    public_url: str | None = None  # `api_domain` in token replies; default: the URL the caller used
    limits: Limits = Limits()
    clock: Callable[[], float] = time.time  # epoch seconds; every timestamp and window reads it
    accounts_key: str = DEFAULT_ACCOUNTS_KEY  # shared with the CRM sandbox: consent tokens work at both
