"""Local Zoho CRM v8 sandbox: a real HTTP server speaking the vendor's wire format, state in memory."""

from .app import create_app
from .limits import CrmLimits
from .sandbox import CrmSandbox, CrmSettings

__all__ = ["CrmLimits", "CrmSandbox", "CrmSettings", "create_app"]
