"""Zoho Inventory v1 adapter."""

from crmsync.adapters.inventory.client import ZohoInventoryClient

__all__ = ["ZohoInventoryClient"]
