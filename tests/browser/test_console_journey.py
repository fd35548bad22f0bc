"""The console in a real browser (console issue, point 6), by clicks and typing only, against the local
stack and the vendor sandboxes: sign in, connect through Zoho's consent page, a refused connect,
configure the three modules with a custom-field mapping, Save and Sync, status and history, a failing
record retried once fixed, pause and resume, a won deal's invoice in the activity log, disable, delete.

The sandboxes are seeded and edited through their own APIs, as the vendors' users would edit them.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.sandbox_api import auth, connect_body, seed, wait_for

pytestmark = pytest.mark.browser

ACCOUNT = "Acme Hardware LLC"
INVENTORY_ORG = "Acme Inventory"
REGION = {"api_name": "Region__c", "data_type": "picklist", "pick_list_values": ["North", "South", "East", "West"]}
LONG = 60_000  # ms: a sync through the queue, a deal notification through the webhook


@pytest.fixture(scope="module")
def world(stack):
    inventory = seed(stack.endpoints["inventory"], {"organization": {"name": INVENTORY_ORG, "currency_code": "USD"}})
    crm = seed(stack.endpoints["crm"], {
        "org": {"edition": "enterprise", "iso_code": "USD"},
        "custom_fields": {"Accounts": [REGION]},
        "records": {
            "Accounts": [{"Account_Name": ACCOUNT, "Region__c": "West"}],
            "Vendors": [{"Vendor_Name": "Bolt Supplies"}],
            "Products": [{"Product_Name": "Widget", "Product_Code": "W-1"},
                         {"Product_Name": "Widget Pro", "Product_Code": "W-1"}],  # the same SKU: refused
        },
    })
    return {"crm": crm, "inventory": inventory}


def crm_call(stack, crm: dict, method: str, path: str, body: dict | None = None) -> dict:
    """The CRM as its user edits it (a write sends the notification a real CRM sends)."""
    base = stack.endpoints["crm"]
    reply = httpx.request(method, f"{base}/crm/v8{path}", json=body, headers=auth(base, crm))
    assert reply.status_code < 300, reply.text
    return reply.json() if reply.content else {}


def inventory_call(stack, inventory: dict, path: str) -> dict:
    base = stack.endpoints["inventory"]
    reply = httpx.get(f"{base}/inventory/v1{path}", params={"organization_id": inventory["organization_id"]},
                      headers=auth(base, inventory))
    assert reply.status_code == 200, reply.text
    return reply.json()


def sign_in(page: Page, stack) -> None:
    page.goto(f"{stack.api_url}/console")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("API key").fill(stack.api_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()


def consent(page: Page, stack) -> None:
    """Connect with Zoho up to the organization picker: the wizard, then Accept on the consent page."""
    page.get_by_role("link", name="Connect with Zoho").click()
    page.get_by_label("Data centre of your Zoho account").select_option("com")
    page.get_by_text("Custom endpoints").click()
    page.get_by_label("CRM base URL").fill(stack.endpoints["crm"])
    page.get_by_label("Inventory base URL").fill(stack.endpoints["inventory"])
    page.get_by_role("button", name="Continue to Zoho").click()
    expect(page.get_by_role("button", name="Accept")).to_be_visible()
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("heading", name="Select the organizations")).to_be_visible()


def tab(page: Page, name: str) -> None:
    """One of the integration's screens, from its navigation."""
    page.get_by_role("navigation", name="Integration").get_by_role("link", name=name, exact=True).click()


def sync_and_wait(page: Page, module: str) -> None:
    page.get_by_role("button", name="Save and Sync", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Saved; the sync is queued.")
    expect(page.locator("#status-heading + p .badge").first).to_have_text("done", timeout=LONG)


def test_an_admin_runs_the_integration_from_the_console(page: Page, page_watch, stack, world, shot):
    sign_in(page, stack)
    shot(page, "01-integrations-empty")

    consent(page, stack)
    shot(page, "02-select-organizations")
    page.get_by_label("Inventory organization").select_option(world["inventory"]["organization_id"])
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("status")).to_contain_text("Connected")
    expect(page.get_by_role("heading", name=INVENTORY_ORG)).to_be_visible()
    integration_url = page.url
    shot(page, "03-integration")

    # a second connect of the same CRM organization is refused, with the vendor prerequisite's reason
    page.get_by_role("link", name="Integrations").first.click()
    consent(page, stack)
    page.get_by_label("Inventory organization").select_option(world["inventory"]["organization_id"])
    page_watch.expect_refusal(409, "/complete")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("alert")).to_contain_text("already")
    shot(page, "04-refused-connect")
    page.goto(integration_url)

    # customers, with one custom-field mapping (the CRM's Region__c -> inventory's Region)
    tab(page, "Customers")
    expect(page.get_by_role("heading", name="Configure customers")).to_be_visible()
    page.get_by_role("button", name="Add a mapping").click()
    page.get_by_label("CRM field 1").select_option(value="Region__c")
    page.get_by_label("Inventory field 1").select_option(value="cf_credit_limit")  # a picklist into a number
    page_watch.expect_refusal(422, "/modules/customers")
    page.get_by_role("button", name="Save and Sync Later").click()
    expect(page.get_by_role("alert")).to_contain_text("cf_credit_limit")
    page.get_by_label("Inventory field 1").select_option(value="cf_region")
    shot(page, "05-configure-customers")
    # B2: a preview of the preferences on screen, before they are saved and synced
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.get_by_role("table", name="Preview counts")).to_be_visible(timeout=LONG)
    expect(
        page.get_by_role("table", name="Records of the preview (up to 50 of each outcome)")
    ).to_contain_text("Created in inventory")
    shot(page, "05b-preview-customers")
    sync_and_wait(page, "customers")
    expect(page.get_by_role("table", name="Counts of the last run")).to_contain_text("1")
    shot(page, "06-customers-synced")
    [customer] = inventory_call(stack, world["inventory"], "/contacts")["contacts"]
    region = {f["api_name"]: f["value"] for f in inventory_call(
        stack, world["inventory"], f"/contacts/{customer['contact_id']}")["contact"]["custom_fields"]}
    assert (customer["contact_name"], region.get("cf_region")) == (ACCOUNT, "West")  # the mapping took

    tab(page, "Vendors")
    expect(page.get_by_role("heading", name="Configure vendors")).to_be_visible()
    sync_and_wait(page, "vendors")

    tab(page, "Items")
    expect(page.get_by_role("heading", name="Configure items")).to_be_visible()
    sync_and_wait(page, "items")

    tab(page, "Sync history")
    history = page.get_by_role("table", name="Runs, newest first")
    for module in ("customers", "vendors", "items"):
        expect(history).to_contain_text(module)
    shot(page, "07-history")

    # the second Widget's SKU is refused by inventory: an open failure with the reason
    tab(page, "Open failures")
    failures = page.get_by_role("table", name="Records that have not synced")
    expect(failures).to_contain_text("W-1")
    shot(page, "08-open-failure")
    widget_pro = world["crm"]["ids"]["Products"][1]
    crm_call(stack, world["crm"], "PUT", f"/Products/{widget_pro}", {"data": [{"Product_Code": "W-2"}]})
    page.get_by_role("button", name="Retry", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("1 synced, 0 still failing")
    expect(page.get_by_text("No open failure: every record synced.")).to_be_visible()

    tab(page, "Overview")
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("status")).to_contain_text("Paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("status")).to_contain_text("Resumed")

    # deal triggers on; a deal won in the CRM shows its invoice in the activity log
    tab(page, "Deal triggers")
    page.get_by_label("When a deal is won").select_option("create_invoice")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    account_id = world["crm"]["ids"]["Accounts"][0]
    crm_call(stack, world["crm"], "POST", "/Deals", {"data": [{
        "Deal_Name": "Annual service", "Stage": "Closed Won", "Closing_Date": "2026-12-31", "Amount": 990.0,
        "Account_Name": {"id": account_id}}]})
    log = page.get_by_role("table", name="Activity, newest first")
    for _ in range(30):
        if log.count() and "transaction number: INV-" in log.inner_text():
            break
        page.wait_for_timeout(1000)
        page.reload()
    row = log.get_by_role("row").filter(has_text="deal trigger")
    expect(row).to_contain_text("action: create_invoice")
    expect(row).to_contain_text("deal name: Annual service")
    expect(row).to_contain_text("transaction number: INV-")
    shot(page, "09-deal-won-invoice")

    tab(page, "Overview")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("status")).to_contain_text("Disabled")
    page.get_by_role("link", name="Delete…").click()
    page.get_by_label("Keep only the records that have transactions").check()
    page.get_by_label("Type the organization's name").fill(INVENTORY_ORG)
    shot(page, "10-delete")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Deleting")


def test_the_key_stays_in_the_tab_a_wrong_one_is_refused_and_the_console_fits_a_phone(page: Page, page_watch, stack, shot):
    page.goto(f"{stack.api_url}/console")
    page_watch.expect_refusal(401, "/integrations")
    page.get_by_label("API key").fill("not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That API key was refused")
    sign_in(page, stack)
    assert page.evaluate("sessionStorage.getItem('crmsync.apiKey')") == stack.api_key
    assert page.evaluate("localStorage.length") == 0 and stack.api_key not in page.url

    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Connect with Zoho").click()
    expect(page.get_by_role("heading", name="Connect with Zoho")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    shot(page, "11-connect-390px")

    page.get_by_role("button", name="Sign out").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('crmsync.apiKey')") is None


def test_crm_records_transactions_and_users_screens(page: Page, stack, shot):
    inventory = seed(stack.endpoints["inventory"], {
        "organization": {"name": "Globex Inventory", "currency_code": "USD"},
        "contacts": [{"contact_name": "Globex", "contact_type": "customer"}],
        "invoices": [{"customer_name": "Globex", "line_items": [{"name": "Consulting", "rate": 500, "quantity": 1}]}],
    })
    crm = seed(stack.endpoints["crm"], {
        "org": {"edition": "enterprise", "iso_code": "USD"},
        "records": {"Accounts": [{"Account_Name": "Globex"}],
                    "Contacts": [{"First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@example.com"}]},
    })
    key = {"Authorization": f"Bearer {stack.api_key}"}
    with httpx.Client(base_url=stack.api_url, headers=key, timeout=30) as api:
        created = api.post("/integrations", json=connect_body(stack, crm, inventory))
        assert created.status_code == 201, created.text
        base = f"/integrations/{created.json()['integration_id']}"
        saved = api.put(f"{base}/modules/customers", params={"sync": "now"},
                        json={"crm_source": "accounts", "duplicates": "overwrite"})
        assert saved.status_code == 200, saved.text
        wait_for(lambda: api.get(f"{base}/modules/customers").json()["status"] == "done", what="customers synced")
        for module in ("vendors", "items"):  # transaction sync needs all three configured
            assert api.put(f"{base}/modules/{module}", json={"duplicates": "skip"}).status_code == 200
    crm_call(stack, crm, "POST", "/Deals", {"data": [{
        "Deal_Name": "Globex rollout", "Stage": "Qualification", "Closing_Date": "2026-12-31",
        "Account_Name": {"id": crm["ids"]["Accounts"][0]}}]})
    [invoice] = inventory_call(stack, inventory, "/invoices")["invoices"]

    sign_in(page, stack)
    page.get_by_role("link", name="Globex Inventory").click()
    tab(page, "CRM records")
    customers = page.get_by_role("table", name="Customers from the CRM")
    expect(customers).to_contain_text("Globex")
    customers.get_by_role("button", name="Re-sync").click()
    expect(page.get_by_role("status")).to_contain_text("Re-synced Globex from the CRM.")

    page.get_by_label("Look in").select_option("contacts")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_role("button", name="Search").click()
    found = page.get_by_role("table", name="Found in the CRM")
    expect(found).to_contain_text("Lovelace")
    found.get_by_role("button", name="Import").click()
    expect(page.get_by_text("into inventory.")).to_be_visible()
    shot(page, "12-crm-records")

    tab(page, "Transactions and users")
    page.get_by_role("button", name="Turn on transaction sync").click()
    expect(page.get_by_role("status")).to_contain_text("Transaction sync is on.")
    page.get_by_label("CRM user or role id").fill("u-seller")
    page.get_by_label("View invoices").check()
    page.get_by_role("button", name="Save grants").click()
    expect(page.get_by_role("status")).to_contain_text("Saved 1 grant(s).")

    page.get_by_label("Transaction type").select_option("invoices")
    page.get_by_label("Transaction id").fill(invoice["invoice_id"])
    page.get_by_label("Inventory customer id").fill(invoice["customer_id"])
    page.get_by_role("button", name="Find deals").click()
    deals = page.get_by_role("table", name="Deals")
    expect(deals).to_contain_text("Globex rollout")
    deals.get_by_role("button", name="Associate").click()
    expect(page.get_by_text("Associated with Globex rollout.")).to_be_visible()
    shot(page, "13-deal-on-invoice")

    tab(page, "Notifications")
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
