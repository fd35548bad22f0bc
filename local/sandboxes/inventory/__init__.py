"""Local Zoho Inventory v1 sandbox: `create_app(settings)` or `python -m local.sandboxes.inventory`."""

from .app import create_app
from .limits import Limits
from .settings import InventorySandboxSettings

__all__ = ["InventorySandboxSettings", "Limits", "create_app"]
