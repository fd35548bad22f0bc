"""Zoho CRM v8 adapter."""

from crmsync.adapters.crm.client import ZohoCrmClient

__all__ = ["ZohoCrmClient"]
