"""Deal automation while the CRM's refresh token is refused (issue 13, point 2): the deal event is
held, not failed, and becomes the invoice once the integration is re-authorized; against both
sandboxes over HTTP, through the trigger function's handler."""

from __future__ import annotations

import httpx

from crmsync.contracts.connect import ReauthorizeIn
from crmsync.services import reauthorization

pytest_plugins = ["tests.integration.sandbox_fixtures", "tests.integration.automation_fixtures"]


def test_a_deal_won_while_the_grant_is_refused_is_invoiced_after_reauthorizing(auto, monkeypatch):
    auto.automation(on_deal_won="create_invoice")
    deal_id = auto.new_deal("Closed Won")
    seed = auto.crm_seed
    httpx.post(f"{auto.crm_sandbox.base_url}/oauth/v2/token/revoke", params={"token": seed["refresh_token"]})
    auto.container.vendors.forget(auto.integration_id)
    held = []
    queue = auto.container.automation_queue
    monkeypatch.setattr(queue, "send", lambda m, **kw: held.append((m, kw)))

    assert auto.deliver(deal_id) == []  # handled: not failed back to the queue, not sent to the DLQ
    integration = auto.integration
    assert integration.state == "reauthorize" and "CRM refused the refresh token" in integration.reauthorize_reason
    [(message, options)] = held
    assert message.deal_id == deal_id and options == {"delay_seconds": reauthorization.HOLD_DELAY_S}
    assert auto.activity() == [] and auto.invoices(deal_id) == []
    assert auto.deliver(deal_id) == [] and len(held) == 2  # it comes back, and is held again

    monkeypatch.delattr(queue, "send")  # the queue's own method again
    grant = {"client_id": seed["client_id"], "client_secret": seed["client_secret"],
             "refresh_token": new_refresh_token(auto), "base_url": auto.crm_sandbox.base_url}
    auto.container.settings = auto.container.settings.model_copy(update={"allow_custom_endpoints": True})
    reauthorization.reauthorize(auto.container.deps, auto.integration.tenant_id, auto.integration_id,
                                ReauthorizeIn(crm=grant))
    assert auto.deliver(deal_id) == []  # the held event, back after its delay
    assert len(auto.invoices(deal_id)) == 1


def new_refresh_token(auto) -> str:
    """A new grant of the same CRM organization, through the sandbox's consent page."""
    from tests.sandboxes.consent_fixtures import REDIRECT_URI, consent

    seed, base = auto.crm_seed, auto.crm_sandbox.base_url
    code = consent(base, seed["client_id"])["code"]
    reply = httpx.post(f"{base}/oauth/v2/token", data={
        "grant_type": "authorization_code", "client_id": seed["client_id"], "client_secret": seed["client_secret"],
        "code": code, "redirect_uri": REDIRECT_URI,
    })
    return reply.json()["refresh_token"]

