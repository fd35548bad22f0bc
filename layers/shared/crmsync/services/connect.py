"""L1 connect: an inventory organization joins a CRM organization, or is refused with a reason.

Order of work, so that a failure half way leaves nothing behind:
1. read both organizations through the clients and check the vendor's prerequisites
   (CRM edition Professional or higher; same base currency while CRM multi-currency is on;
   the CRM organization has no primary partner yet unless `role: secondary` is asked;
   the inventory organization is not integrated yet);
2. store the OAuth credentials as the integration's secret;
3. register the CRM notification channel with a fresh random token (only its hash is kept);
4. write the integration record, claiming both organizations in one transaction.
Each done step registers its undo; any failure runs the undos in reverse and re-raises.
A secondary integration is fetch-from-CRM only: no transaction sync, no write to the CRM,
and its channel watches only the record modules it fetches (no deal automation).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from crmsync.contracts.connect import ConnectIn, OAuthGrantIn
from crmsync.domain.crm_modules import CRM_MODULES
from crmsync.domain.errors import AlreadyExistsError, ConflictError, InvalidFieldsError, PrerequisiteFailed
from crmsync.domain.models import Integration, NotificationChannel, OrgUser, Role, SharedOrgInfo
from crmsync.observability import bind, logger, metrics
from crmsync.ports.crm import CrmOrg, CrmPort, WatchChannel
from crmsync.ports.errors import AuthorizationExpired, NotFound
from crmsync.ports.inventory import InventoryOrganization
from crmsync.ports.secrets import IntegrationCredentials, OAuthCredentials
from crmsync.ports.store import Store
from crmsync.ports.vendors import VendorClients
from crmsync.services.deps import Deps
from crmsync.services.intake import token_hash

EDITION_RANK = {"free": 0, "standard": 1, "starter": 1, "professional": 2, "enterprise": 3, "zohoone": 3,
                "ultimate": 4, "crmplus": 4}
MINIMUM_EDITION = "professional"
RECORD_EVENTS = [f"{name}.all" for name in CRM_MODULES]
PRIMARY_EVENTS = [*RECORD_EVENTS, "Deals.all", "Quotes.create", "Sales_Orders.create", "Purchase_Orders.create"]
CHANNEL_LIFETIME = timedelta(days=7) - timedelta(minutes=5)  # the CRM allows at most one week


@dataclass(frozen=True)
class ConnectTarget:
    """The two organizations to connect, where their APIs live, and the role asked for."""

    role: str
    crm_org_id: str
    inventory_org_id: str
    crm_data_center: str = "com"
    inventory_data_center: str = "com"
    crm_base_url: str | None = None
    inventory_base_url: str | None = None

    @classmethod
    def of(cls, request: ConnectIn) -> ConnectTarget:
        return cls(
            role=request.role,
            crm_org_id=request.crm.org_id,
            inventory_org_id=request.inventory.organization_id,
            crm_data_center=request.crm.data_center,
            inventory_data_center=request.inventory.data_center,
            crm_base_url=request.crm.base_url,
            inventory_base_url=request.inventory.base_url,
        )


def connect(deps: Deps, tenant_id: str, request: ConnectIn, webhook_base_url: str) -> Integration:
    """L1 with pasted credentials (scripts): a refresh token or a one-time code per side."""
    refuse_custom_endpoints(deps, {"crm.base_url": request.crm.base_url, "inventory.base_url": request.inventory.base_url})
    return connect_with(deps, tenant_id, _credentials(deps, request), ConnectTarget.of(request), webhook_base_url)


def connect_with(
    deps: Deps, tenant_id: str, credentials: IntegrationCredentials, target: ConnectTarget, webhook_base_url: str
) -> Integration:
    """L1 with credentials in hand: check the prerequisites, then store, watch and record, or undo."""
    clients = deps.vendors.for_credentials(credentials, target.inventory_org_id)
    crm_org, inventory_org = _read_organizations(clients)
    _check_prerequisites(deps.store, target, crm_org, inventory_org)

    now = deps.clock()
    integration_id = uuid.uuid4().hex
    bind(tenant_id=tenant_id, integration_id=integration_id)
    primary = target.role == "primary"
    token = secrets.token_urlsafe(24)
    channel = NotificationChannel(
        channel_ids=(str(secrets.randbelow(9 * 10**17) + 10**17),),
        token_hash=token_hash(token),
        expires_at=now + CHANNEL_LIFETIME,
    )
    integration = Integration(
        integration_id=integration_id,
        tenant_id=tenant_id,
        role=Role(target.role),
        crm_org_id=crm_org.id,
        inventory_org_id=target.inventory_org_id,
        crm_data_center=target.crm_data_center,
        inventory_data_center=target.inventory_data_center,
        crm_base_url=target.crm_base_url,
        inventory_base_url=target.inventory_base_url,
        two_way=primary,
        inventory_org=_shared_info(inventory_org, clients.inventory.list_users()),
        channel=channel,
        crm_edition=crm_org.edition,
        crm_base_currency=crm_org.iso_code,
        crm_multi_currency=bool(crm_org.mc_status),
        inventory_base_currency=inventory_org.currency_code,
        created_at=now,
        updated_at=now,
    )
    with ExitStack() as undo:
        deps.credentials.put(integration_id, credentials)
        undo.callback(_quietly, deps.credentials.delete, integration_id)
        _watch(clients.crm, channel, token, f"{webhook_base_url}/webhooks/crm/{integration_id}",
               PRIMARY_EVENTS if primary else RECORD_EVENTS)
        undo.callback(_quietly, clients.crm.disable_watch, list(channel.channel_ids))
        try:
            deps.store.create_integration(integration)
        except AlreadyExistsError:
            raise ConflictError("The CRM or inventory organization was integrated by another request just now.") from None
        undo.pop_all()
    metrics.add_metric(name="IntegrationsConnected", unit="Count", value=1)
    logger.info("integration connected", extra={"role": target.role, "crm_edition": crm_org.edition})
    return integration


def refuse_custom_endpoints(deps: Deps, base_urls: dict[str, str | None]) -> None:
    """422 naming each field that sets a base URL, unless the deployment allows custom endpoints."""
    if deps.allow_custom_endpoints:
        return
    fields = [(name, "custom endpoints are not allowed in this deployment") for name, url in base_urls.items() if url]
    if fields:
        raise InvalidFieldsError(fields)


def _credentials(deps: Deps, request: ConnectIn) -> IntegrationCredentials:
    return IntegrationCredentials(
        crm=grant_credentials(deps, "crm", request.crm), inventory=grant_credentials(deps, "inventory", request.inventory)
    )


def grant_credentials(deps: Deps, system: Literal["crm", "inventory"], grant: OAuthGrantIn) -> OAuthCredentials:
    """One side's stored credentials from its grant: the refresh token, or the one a code is exchanged for."""
    refresh = grant.refresh_token.get_secret_value() if grant.refresh_token else _exchange(deps, system, grant)
    return OAuthCredentials(client_id=grant.client_id, client_secret=grant.client_secret,
                            refresh_token=refresh, data_center=grant.data_center, base_url=grant.base_url)


def _exchange(deps: Deps, system: Literal["crm", "inventory"], grant: OAuthGrantIn) -> str:
    assert grant.code is not None
    try:
        return deps.vendors.exchange_code(
            system,
            data_center=grant.data_center,
            base_url=grant.base_url,
            client_id=grant.client_id,
            client_secret=grant.client_secret.get_secret_value(),
            code=grant.code.get_secret_value(),
            redirect_uri=grant.redirect_uri,
        )
    except AuthorizationExpired as refused:
        raise InvalidFieldsError([(
            f"{system}.code",
            f"the accounts server refused this one-time code ({refused.code or 'refused'}): it is wrong, "
            "used already or expired (codes last two minutes); ask for consent again",
        )]) from None


def _read_organizations(clients: VendorClients) -> tuple[CrmOrg, InventoryOrganization]:
    """Both organizations; a refused grant or unknown organization names the field to fix."""
    try:
        crm_org = clients.crm.get_org()
    except AuthorizationExpired:
        raise InvalidFieldsError([("crm.refresh_token", "the CRM refused this OAuth grant")]) from None
    try:
        inventory_org = clients.inventory.get_organization()
    except AuthorizationExpired:
        raise InvalidFieldsError([("inventory.refresh_token", "the inventory system refused this OAuth grant")]) from None
    except NotFound:
        raise InvalidFieldsError([("inventory.organization_id", "no such organization for this grant")]) from None
    return crm_org, inventory_org


def _check_prerequisites(store: Store, target: ConnectTarget, crm_org: CrmOrg, inventory_org: InventoryOrganization) -> None:
    if crm_org.id != target.crm_org_id:
        raise InvalidFieldsError([("crm.org_id", "the OAuth grant belongs to another CRM organization")])
    edition = (crm_org.edition or "").replace(" ", "").lower()
    if EDITION_RANK.get(edition, -1) < EDITION_RANK[MINIMUM_EDITION]:
        raise PrerequisiteFailed(
            "crm_edition",
            f"The CRM organization is on the {crm_org.edition or 'unknown'} edition; "
            "the integration needs Professional or higher.",
            edition=crm_org.edition,
        )
    if crm_org.mc_status and crm_org.iso_code != inventory_org.currency_code:
        raise PrerequisiteFailed(
            "base_currency",
            f"CRM multi-currency is on and its base currency ({crm_org.iso_code}) differs from the "
            f"inventory base currency ({inventory_org.currency_code}); they must be the same.",
            crm_base_currency=crm_org.iso_code,
            inventory_base_currency=inventory_org.currency_code,
        )
    if store.inventory_org_integration_id(target.inventory_org_id):
        raise ConflictError("This inventory organization is already integrated with a CRM organization.")
    if target.role == "primary" and store.primary_integration_id(crm_org.id):
        raise ConflictError(
            "This CRM organization is already the primary partner of another inventory organization; "
            'connect with "role": "secondary" for a fetch-only integration.'
        )


def _shared_info(org: InventoryOrganization, users) -> SharedOrgInfo:
    return SharedOrgInfo(
        name=org.name or org.organization_id,
        email=org.email,
        country=org.country,
        users=tuple(OrgUser(user_id=u.user_id, name=u.name or u.user_id, email=u.email) for u in users),
    )


def _watch(crm: CrmPort, channel: NotificationChannel, token: str, notify_url: str, events: list[str]) -> None:
    outcomes = crm.enable_watch([
        WatchChannel(channel_id=channel.channel_ids[0], events=events, notify_url=notify_url, token=token,
                     channel_expiry=channel.expires_at)
    ])
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise PrerequisiteFailed(
            "crm_notifications",
            f"The CRM refused the notification channel ({failed[0].code}); check the OAuth scopes "
            "include ZohoCRM.notifications.ALL.",
        )


def _quietly(action: Callable, *args) -> None:
    try:
        action(*args)
    except Exception:  # an undo must not hide the failure that triggered it
        logger.exception("undo step failed")
