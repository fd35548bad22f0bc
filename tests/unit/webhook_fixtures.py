"""What the webhook intake tests share: an integration whose CRM notification channel takes TOKEN."""

from __future__ import annotations

from datetime import datetime, timedelta

from crmsync.domain.models import Integration, NotificationChannel, Role
from crmsync.services.intake import token_hash

TOKEN = "channel-token-123"


def watched_integration(store, now: datetime) -> Integration:
    """Stores `int-1` of tenant `t-1`, watching channel 1000000068001 with TOKEN for a week."""
    return store.create_integration(
        Integration(
            integration_id="int-1", tenant_id="t-1", role=Role.PRIMARY, crm_org_id="crm-1", inventory_org_id="inv-1",
            crm_data_center="com", inventory_data_center="com", two_way=True, created_at=now, updated_at=now,
            channel=NotificationChannel(channel_ids=("1000000068001",), token_hash=token_hash(TOKEN),
                                        expires_at=now + timedelta(days=7)),
        )
    )
