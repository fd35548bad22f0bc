"""S2: keep each integration's CRM notification channel alive (the CRM drops it after a week at most).

The scheduled run renews every channel that expires within `RENEW_BEFORE`: it reads the channel
from the CRM (the watch listing carries its token, which is checked against the stored hash, and
its notify URL), puts it again with a new expiry and the events the integration's role watches
today, and stores the new expiry. Anything that goes wrong is stored on the integration
(`channel_error`, shown as `notification_channel.error`) and cleared by the next success. A
channel the CRM no longer lists cannot be renewed (this service keeps only the token's hash):
the error says to reconnect.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime, timedelta

from crmsync.domain.models import Integration, IntegrationState, Role
from crmsync.observability import bind, logger, metrics
from crmsync.ports.crm import WatchChannel
from crmsync.ports.errors import VendorError
from crmsync.services.connect import CHANNEL_LIFETIME, PRIMARY_EVENTS, RECORD_EVENTS
from crmsync.services.deps import Deps
from crmsync.services.intake import token_hash
from crmsync.services.integrations import update_integration

RENEW_BEFORE = timedelta(days=2)
RENEWED_STATES = (IntegrationState.ACTIVE, IntegrationState.PAUSED)


class ChannelRenewalFailed(Exception):
    """The channel could not be renewed; the message is what the integration's status shows."""


def renew_due_channels(deps: Deps, now: datetime | None = None) -> int:
    """Renew every channel of an active or paused integration that is due; returns how many were renewed."""
    now = now or deps.clock()
    renewed = 0
    for state in RENEWED_STATES:
        cursor = None
        while True:
            page = deps.store.list_integration_ids(state, limit=100, cursor=cursor)
            for integration_id in page.items:
                integration = deps.store.get_integration(integration_id)
                if (
                    integration
                    and integration.channel
                    and integration.channel.expires_at - now <= RENEW_BEFORE
                ):
                    renewed += renew_channel(deps, integration, now)
            if not (cursor := page.next_cursor):
                break
    logger.info("notification channels renewed", extra={"renewed": renewed})
    return renewed


def renew_channel(deps: Deps, integration: Integration, now: datetime) -> bool:
    bind(tenant_id=integration.tenant_id, integration_id=integration.integration_id)
    expires = now + CHANNEL_LIFETIME
    try:
        _put_again(deps, integration, expires)
    except (ChannelRenewalFailed, VendorError, KeyError) as exc:
        message = str(exc) if isinstance(exc, ChannelRenewalFailed) else _reason(exc)
        logger.warning("notification channel renewal failed", extra={"error": message})
        metrics.add_metric(name="ChannelRenewalsFailed", unit="Count", value=1)
        _save(
            deps, integration.integration_id, lambda i: i.model_copy(update={"channel_error": message})
        )
        return False
    _save(
        deps,
        integration.integration_id,
        lambda i: i.model_copy(
            update={"channel": i.channel.model_copy(update={"expires_at": expires}), "channel_error": None}
        ),
    )
    return True


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return "The integration's CRM credentials are missing; reconnect the integration."
    return (
        f"The CRM refused to renew the notification channel ({exc}); it is retried at the next scheduled run."
    )


def _put_again(deps: Deps, integration: Integration, expires: datetime) -> None:
    channel = integration.channel
    crm = deps.vendors.for_integration(integration).crm
    listed = [w for w in crm.list_watches() if w.channel_id in channel.channel_ids and w.notify_url]
    if not listed:
        raise ChannelRenewalFailed(
            "The CRM no longer has this integration's notification channel (it expired); reconnect the "
            "integration to receive instant updates again."
        )
    token = listed[0].token or ""
    if not hmac.compare_digest(token_hash(token), channel.token_hash):
        raise ChannelRenewalFailed(
            "The CRM's notification channel carries another token; reconnect the integration."
        )
    events = PRIMARY_EVENTS if integration.role is Role.PRIMARY else RECORD_EVENTS
    renewal = WatchChannel(
        channel_id=listed[0].channel_id,
        events=events,
        notify_url=listed[0].notify_url,
        token=token,
        channel_expiry=expires,
    )
    outcomes = crm.update_watch([renewal])
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise ChannelRenewalFailed(f"The CRM refused to renew the notification channel ({failed[0].code}).")


def _save(deps: Deps, integration_id: str, change: Callable[[Integration], Integration]) -> None:
    update_integration(deps.store, integration_id, change)
