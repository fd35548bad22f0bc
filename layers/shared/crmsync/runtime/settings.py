"""Deployment settings, read once per cold start from the function's environment.

The names are those of template.yaml's Globals.Function.Environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    stage: str = "dev"
    table_name: str
    sync_queue_url: str = ""
    automation_queue_url: str = ""
    secret_prefix: str = ""
    oauth_client_secret_name: str = ""
    allow_custom_endpoints: bool = False
    inventory_calls_per_minute: int = 90
    inventory_minute_seconds: float = 60.0  # the vendor's minute; the local benchmarks scale it down
    vendor_budget_share: Literal["sync", "reserved"] = "reserved"  # "sync": may not spend the automation reserve
    vendor_wait_seconds: float | None = None  # an API function's budget for vendor waits; None: the clients' own

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        missing = [name for name in ("TABLE_NAME",) if not env.get(name)]
        if missing:
            raise RuntimeError(f"missing environment variable(s): {', '.join(missing)}")
        return cls(
            stage=env.get("STAGE", "dev"),
            table_name=env["TABLE_NAME"],
            sync_queue_url=env.get("SYNC_QUEUE_URL", ""),
            automation_queue_url=env.get("AUTOMATION_QUEUE_URL", ""),
            secret_prefix=env.get("SECRET_PREFIX", ""),
            oauth_client_secret_name=env.get("OAUTH_CLIENT_SECRET_NAME", ""),
            allow_custom_endpoints=env.get("ALLOW_CUSTOM_ENDPOINTS", "false").lower() == "true",
            inventory_calls_per_minute=int(env.get("INVENTORY_CALLS_PER_MINUTE", "90")),
            inventory_minute_seconds=float(env.get("INVENTORY_MINUTE_SECONDS", "60")),
            vendor_budget_share=env.get("VENDOR_BUDGET_SHARE", "reserved"),
            vendor_wait_seconds=float(env["VENDOR_WAIT_SECONDS"]) if env.get("VENDOR_WAIT_SECONDS") else None,
        )
