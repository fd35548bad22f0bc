"""One-click connect (L1 through the vendor's consent page).

1. `start_connect`: a connect attempt for the tenant, and the accounts server's consent URL with a
   `state` signed by the deployment's key, bound to the tenant and the attempt, good for
   `STATE_LIFETIME`. One grant covers the CRM and inventory (`adapters.oauth.CONSENT_SCOPES`).
2. `finish_consent` (the callback): checks the state, takes the attempt (single use: a conditional
   save from `started`), exchanges the code with the accounts server of the attempt's data centre
   (never a host the redirect names), stores the refresh token in the attempt's own secret, and lists
   the organizations the grant reaches on both sides. Each failure raises `ConsentFailed` naming what
   happened and what to do; nothing is stored then (the attempt says it failed).
3. `complete_connect`: the organizations picked, then L1 as with pasted credentials
   (`connect.connect_with`); the attempt's secret becomes the integration's.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from crmsync.contracts.connect import ConnectStartIn
from crmsync.domain.consent import (
    BadState,
    ConnectAttempt,
    ConnectStatus,
    OrgChoice,
    read_state,
    sign_state,
)
from crmsync.domain.errors import ConflictError, CrmsyncError, InvalidFieldsError, NotFoundError
from crmsync.domain.models import Integration, Role
from crmsync.observability import bind, logger, metrics
from crmsync.ports.errors import AuthorizationExpired, VendorError
from crmsync.ports.secrets import IntegrationCredentials, OAuthClient, OAuthCredentials
from crmsync.services.connect import ConnectTarget, connect_with, refuse_custom_endpoints
from crmsync.services.deps import Deps

STATE_LIFETIME = timedelta(minutes=10)
START_AGAIN = "Start again from the console: Integrations, Connect with Zoho."


class ConsentFailed(CrmsyncError):
    """The consent did not give a usable grant; `reason` is a stable code, the message says what to do."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def attempt_secret(connect_id: str) -> str:
    """The id, under the integrations' secret prefix, of the secret holding an attempt's grant."""
    return f"connect-{connect_id}"


def oauth_client(deps: Deps) -> OAuthClient:
    try:
        return deps.oauth_client.get()
    except KeyError:
        raise ConflictError(
            "This deployment has no OAuth client yet: an operator registers one with the vendor and stores "
            "it with `crmsync oauth-client set` (README: registering the OAuth client)."
        ) from None


# ------------------------------------------------------------------ 1. start
def start_connect(
    deps: Deps, tenant_id: str, request: ConnectStartIn, callback_url: str
) -> tuple[ConnectAttempt, str]:
    """The attempt and the consent URL the admin's browser goes to."""
    refuse_custom_endpoints(
        deps, {"crm_base_url": request.crm_base_url, "inventory_base_url": request.inventory_base_url}
    )
    client = oauth_client(deps)
    now = deps.clock()
    attempt = deps.store.create_connect_attempt(
        ConnectAttempt(
            connect_id=uuid.uuid4().hex,
            tenant_id=tenant_id,
            role=Role(request.role),
            data_center=request.data_center,
            crm_base_url=request.crm_base_url,
            inventory_base_url=request.inventory_base_url,
            created_at=now,
            state_expires_at=now + STATE_LIFETIME,
        )
    )
    state = sign_state(_key(client), attempt.connect_id, tenant_id, attempt.state_expires_at)
    url = deps.vendors.consent_url(
        attempt.data_center, attempt.crm_base_url, client_id=client.client_id, redirect_uri=callback_url, state=state
    )
    logger.info("connect started", extra={"connect_id": attempt.connect_id, "data_center": attempt.data_center})
    return attempt, url


# ------------------------------------------------------------------ 2. the callback
def finish_consent(
    deps: Deps, *, state: str | None, code: str | None, error: str | None, callback_url: str
) -> ConnectAttempt:
    try:
        client = oauth_client(deps)
    except ConflictError as missing:
        raise ConsentFailed("not_set_up", str(missing)) from None
    attempt = _attempt_of_state(deps, client, state)
    bind(tenant_id=attempt.tenant_id)
    if error or not code:
        _fail(deps, attempt, "denied" if error == "access_denied" else "no_code")
        if error == "access_denied":
            raise ConsentFailed("denied", f"You declined the access the integration asks for; nothing was stored. {START_AGAIN}")
        raise ConsentFailed("no_code", f"The accounts server sent no authorization code ({error or 'none'}). {START_AGAIN}")
    taken = _take(deps, attempt)
    try:
        refresh_token = deps.vendors.exchange_code(
            "crm",
            data_center=taken.data_center,
            base_url=taken.crm_base_url,
            client_id=client.client_id,
            client_secret=client.client_secret.get_secret_value(),
            code=code,
            redirect_uri=callback_url,
        )
    except AuthorizationExpired:
        _fail(deps, taken, "code_refused")
        raise ConsentFailed(
            "code_refused", f"The accounts server refused the authorization code: it was used already or expired. {START_AGAIN}"
        ) from None
    except VendorError:
        _fail(deps, taken, "accounts_error")
        raise ConsentFailed(
            "accounts_error", f"Zoho's accounts server did not answer properly; nothing was stored. Try again in a few minutes. {START_AGAIN}"
        ) from None
    credentials = _credentials(client, taken, refresh_token)
    try:
        crm_orgs, inventory_orgs = _reachable(deps, credentials)
    except VendorError as exc:
        _fail(deps, taken, "orgs_unreadable")
        raise ConsentFailed(
            "orgs_unreadable", f"The grant works, but the organizations could not be read ({exc.system}: {exc.message}). {START_AGAIN}"
        ) from None
    deps.credentials.put(attempt_secret(taken.connect_id), credentials)
    consented = deps.store.save_connect_attempt(
        taken.model_copy(update={"crm_orgs": crm_orgs, "inventory_orgs": inventory_orgs})
    )
    metrics.add_metric(name="ConsentsGranted", unit="Count", value=1)
    return consented


def _attempt_of_state(deps: Deps, client: OAuthClient, state: str | None) -> ConnectAttempt:
    try:
        connect_id, tenant_id = read_state(_key(client), state or "", deps.clock())
    except BadState as bad:
        raise ConsentFailed("bad_state", f"This consent answer cannot be trusted: {bad}. {START_AGAIN}") from None
    attempt = deps.store.get_connect_attempt(connect_id)
    if attempt is None or attempt.tenant_id != tenant_id:
        raise ConsentFailed("bad_state", f"This consent answer belongs to no connect in progress. {START_AGAIN}")
    if attempt.status is not ConnectStatus.STARTED:
        raise ConsentFailed("used_state", f"This consent answer was used already. {START_AGAIN}")
    return attempt


def _take(deps: Deps, attempt: ConnectAttempt) -> ConnectAttempt:
    """Single use: of two callbacks with the same state, one moves the attempt on."""
    try:
        return deps.store.save_connect_attempt(attempt.model_copy(update={"status": ConnectStatus.CONSENTED}))
    except ConflictError:
        raise ConsentFailed("used_state", f"This consent answer was used already. {START_AGAIN}") from None


def _fail(deps: Deps, attempt: ConnectAttempt, reason: str) -> None:
    try:
        deps.store.save_connect_attempt(attempt.model_copy(update={"status": ConnectStatus.FAILED, "failure": reason}))
    except ConflictError:
        logger.info("connect attempt changed while failing", extra={"connect_id": attempt.connect_id})


def _credentials(client: OAuthClient, attempt: ConnectAttempt, refresh_token: str) -> IntegrationCredentials:
    def side(base_url: str | None) -> OAuthCredentials:
        return OAuthCredentials(
            client_id=client.client_id,
            client_secret=client.client_secret,
            refresh_token=refresh_token,
            data_center=attempt.data_center,
            base_url=base_url,
        )

    return IntegrationCredentials(crm=side(attempt.crm_base_url), inventory=side(attempt.inventory_base_url))


def _reachable(deps: Deps, credentials: IntegrationCredentials) -> tuple[tuple[OrgChoice, ...], tuple[OrgChoice, ...]]:
    """The organizations the grant reaches: the CRM organization of the user, every inventory one."""
    clients = deps.vendors.for_credentials(credentials, "")
    crm = clients.crm.get_org()
    inventory = clients.inventory.list_organizations()
    return (
        (OrgChoice(id=crm.id, name=crm.company_name or crm.id),),
        tuple(OrgChoice(id=o.organization_id, name=o.name or o.organization_id) for o in inventory),
    )


# ------------------------------------------------------------------ 3. the organizations picked
def get_attempt(deps: Deps, tenant_id: str, connect_id: str) -> ConnectAttempt:
    attempt = deps.store.get_connect_attempt(connect_id)
    if attempt is None or attempt.tenant_id != tenant_id:
        raise NotFoundError(f"No connect {connect_id}.")
    return attempt


def complete_connect(
    deps: Deps, tenant_id: str, connect_id: str, crm_org_id: str, inventory_org_id: str, webhook_base_url: str
) -> Integration:
    attempt = get_attempt(deps, tenant_id, connect_id)
    if attempt.status is not ConnectStatus.CONSENTED:
        raise ConflictError(f"This connect is {attempt.status}; it cannot be completed.", current=attempt.status)
    wrong = [
        (field, "not an organization this consent reaches")
        for field, value, choices in (("crm_org_id", crm_org_id, attempt.crm_orgs),
                                      ("inventory_organization_id", inventory_org_id, attempt.inventory_orgs))
        if value not in {c.id for c in choices}
    ]
    if wrong:
        raise InvalidFieldsError(wrong)
    credentials = deps.credentials.get(attempt_secret(connect_id))
    target = ConnectTarget(
        role=attempt.role.value,
        crm_org_id=crm_org_id,
        inventory_org_id=inventory_org_id,
        crm_data_center=attempt.data_center,
        inventory_data_center=attempt.data_center,
        crm_base_url=attempt.crm_base_url,
        inventory_base_url=attempt.inventory_base_url,
    )
    integration = connect_with(deps, tenant_id, credentials, target, webhook_base_url)
    deps.credentials.delete(attempt_secret(connect_id))
    deps.store.save_connect_attempt(
        attempt.model_copy(update={"status": ConnectStatus.COMPLETED, "integration_id": integration.integration_id})
    )
    return integration


def _key(client: OAuthClient) -> bytes:
    return client.state_key.get_secret_value().encode()
