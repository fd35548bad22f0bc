"""`make demo`: start the local stack and walk through what the product does, in plain words.

Each step prints what it did and what came back. Later features add their steps here.
"""

from __future__ import annotations

import sys
import textwrap
import time
import warnings

import httpx

from crmsync.domain.sync.matching import normalize_name
from local.sandboxes.demo_collisions import COLLIDING_CUSTOMERS
from local.stack import DEFAULT_PORTS, HOST, KEY_FILE, LocalStack
from local.template import ROOT


def say(text: str) -> None:
    print(textwrap.fill(text, width=100, subsequent_indent="   "))


def step(number: int, title: str) -> None:
    print(f"\n{number}. {title}")


def run(stack: LocalStack) -> None:
    api = httpx.Client(base_url=stack.api_url, timeout=120)  # the local stack runs one function at a time
    good = {"Authorization": f"Bearer {stack.api_key}"}

    step(1, "The local stack is up")
    say(f"API on {stack.api_url} (Swagger UI at {stack.api_url}/docs), the real Lambda handlers behind "
        "the authorizer; DynamoDB Local, SQS (local), Secrets Manager (moto), and the two vendor sandboxes.")
    say(f"The demo tenant's API key for this run is {stack.api_key}; `make dev` keeps one in .local/demo-api-key.")

    step(2, "The demo tenant lists its integrations")
    reply = api.get("/integrations", headers=good)
    reply.raise_for_status()
    integrations = reply.json()["integrations"]
    say(f"GET /integrations with the demo key -> {reply.status_code}: {len(integrations)} integration(s) so far.")

    step(3, "A bad API key is refused")
    reply = api.get("/integrations", headers={"Authorization": "Bearer csk_not-a-real-key"})
    say(f"GET /integrations with a made-up key -> {reply.status_code}: {reply.json()['error']['message']}")
    if reply.status_code != 401:
        raise SystemExit("expected 401 for a bad key")

    reply = api.get("/integrations")
    say(f"GET /integrations with no key at all -> {reply.status_code}: {reply.json()['error']['message']}")

    integration_id, crm = connect_to_sandboxes(stack, api, good)
    configure_modules(api, good, integration_id)
    pause_and_resume(api, good, integration_id)
    preview = preview_first_sync(api, good, integration_id)
    first_sync_and_edits(stack, api, good, integration_id, crm, inventory_seed(stack), preview)
    map_a_field_after_the_first_sync(stack, api, good, integration_id, crm, inventory_seed(stack))
    deal_automation(stack, api, good, integration_id, crm)

    print("\nDone: connected an inventory organization to a CRM organization, synced customers, vendors and "
          "items both ways, and turned deal stages into a quote, an invoice and a void.")


def seed(url: str, body: dict) -> dict:
    reply = httpx.post(f"{url}/_sandbox/seed", json=body, timeout=60)
    reply.raise_for_status()
    return reply.json()


def connect_body(stack: LocalStack, crm: dict, inventory: dict) -> dict:
    def grant(seeded: dict, url: str) -> dict:
        return {key: seeded[key] for key in ("client_id", "client_secret", "refresh_token")} | {"base_url": url}

    return {
        "role": "primary",
        "crm": {"org_id": crm["org_id"], **grant(crm, stack.endpoints["crm"])},
        "inventory": {"organization_id": inventory["organization_id"], **grant(inventory, stack.endpoints["inventory"])},
    }


_inventory_seeds: dict[str, dict] = {}


def inventory_seed(stack: LocalStack) -> dict:
    return _inventory_seeds[stack.endpoints["inventory"]]


def connect_to_sandboxes(stack: LocalStack, api: httpx.Client, key: dict) -> tuple[str, dict]:
    step(4, "Connecting to a CRM on the Standard edition is refused (L1)")
    inventory = seed(stack.endpoints["inventory"], {"preset": "demo"})
    _inventory_seeds[stack.endpoints["inventory"]] = inventory
    httpx.put(f"{stack.endpoints['inventory']}/_sandbox/limits", json={"per_minute": 3300}).raise_for_status()
    crm = seed(stack.endpoints["crm"], {"preset": "demo", "org": {"edition": "standard"}})
    say(f"Seeded the sandboxes with demo data: inventory organization {inventory['organization_id']}, "
        f"CRM organization {crm['org_id']} (Standard edition).")
    reply = api.post("/integrations", json=connect_body(stack, crm, inventory), headers=key)
    say(f"POST /integrations -> {reply.status_code}: {reply.json()['error']['message']}")

    step(5, "The CRM is upgraded to Enterprise; connecting now succeeds (L1)")
    crm = seed(stack.endpoints["crm"], {"preset": "demo", "org": {"edition": "enterprise"}})
    reply = api.post("/integrations", json=connect_body(stack, crm, inventory), headers=key)
    reply.raise_for_status()
    body = reply.json()
    shared = body["inventory_org"]
    say(f"POST /integrations -> {reply.status_code}: integration {body['integration_id']} is {body['state']}, "
        f"{body['role']}, {'two-way' if body['two_way'] else 'fetch-only'}. The inventory organization "
        f"'{shared['name']}' shared its name, e-mail, country and {len(shared['users'])} user(s) with the CRM side. "
        "The OAuth credentials went to Secrets Manager, and a CRM notification channel now points at "
        "this API's webhook route.")
    return body["integration_id"], crm


def configure_modules(api: httpx.Client, key: dict, integration_id: str) -> None:
    step(6, "Choosing what syncs: customers, vendors and items (M1-M9)")
    path = f"/integrations/{integration_id}/modules"
    wrong = {"crm_source": "accounts", "include_unassociated_contacts": True, "views": {"vendors": "123"}}
    reply = api.put(f"{path}/customers", json=wrong, headers=key)
    problems = "; ".join(f"{f['field']}: {f['problem']}" for f in reply.json()["error"]["details"]["fields"])
    say(f"A contradictory customers setup is refused at save time -> {reply.status_code}: {problems}")
    modules = {
        "customers": {"crm_source": "accounts_and_contacts", "include_unassociated_contacts": True,
                      "direction": "two_way", "duplicates": "overwrite"},
        "vendors": {"direction": "two_way", "duplicates": "skip"},
        "items": {"direction": "two_way", "duplicates": "skip", "product_type_field": "Product_Type__c"},
    }
    for module, prefs in modules.items():
        reply = api.put(f"{path}/{module}", json=prefs, headers=key)
        reply.raise_for_status()
        saved = reply.json()
        say(f"PUT .../modules/{module} -> {reply.status_code}: saved as version {saved['version']} "
            f"({', '.join(f'{k}={v}' for k, v in prefs.items())}); status {saved['status']}.")


def pause_and_resume(api: httpx.Client, key: dict, integration_id: str) -> None:
    step(7, "Pause and resume (S6)")
    paused = api.post(f"/integrations/{integration_id}/pause", headers=key).json()
    say(f"POST .../pause -> the integration is {paused['state']}: the schedule skips it.")
    again = api.post(f"/integrations/{integration_id}/pause", headers=key)
    say(f"Pausing again -> {again.status_code}: {again.json()['error']['message']}")
    resumed = api.post(f"/integrations/{integration_id}/resume", headers=key).json()
    say(f"POST .../resume -> the integration is {resumed['state']} again.")


def preview_first_sync(api: httpx.Client, key: dict, integration_id: str) -> dict:
    step(8, "A preview before the first sync (B2): what overwrite would do, with nothing written")
    path = f"/integrations/{integration_id}"
    started = api.post(f"{path}/modules/customers/preview", headers=key)
    started.raise_for_status()
    run_id = started.json()["run_id"]

    def finished():
        run = api.get(f"{path}/runs/{run_id}", headers=key).json()
        return run if run["status"] in ("done", "failed") else None

    run = wait_for(finished, timeout=120)
    t = run["preview"]
    say(f"POST .../modules/customers/preview -> {started.status_code}; the preview run is {run['status']}: the sync "
        f"would create {t['created_in_inventory']} records in inventory and {t['created_in_crm']} in the CRM, "
        f"link {t['linked']} duplicates (overwrite), overwrite {t['overwritten']} linked pairs, skip {t['skipped']}, "
        f"and the vendors would refuse {t['refused']}.")
    page = api.get(f"{path}/runs/{run_id}/preview", params={"outcome": "linked", "limit": 3}, headers=key).json()
    for sample in page["samples"]:
        fields = sorted({c["field"] for c in sample["changes"] if c["side"] == "inventory"})
        say(f"   e.g. CRM '{sample['crm_name']}' would be linked to inventory '{sample['inventory_name']}'"
            + (f", overwriting its {', '.join(fields)}." if fields else ", with nothing to change."))
    say("Nothing was written to either system and the module has still never synced; the preview stays in the run "
        "history with trigger 'preview'.")
    return run


def main() -> int:
    print("Starting the local stack (DynamoDB Local, SQS, moto, sandboxes, gateway)...")
    # Function logs would drown the story; `make dev` shows them in full.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    # The inventory sandbox is told to allow 3,300 calls a minute and the service to pace at 3,000,
    # so the first sync takes seconds, not the minutes Zoho's 100 a minute would make it.
    overrides = {"LogLevel": "WARNING", "InventoryCallsPerMinute": "3000"}
    with LocalStack(free_ports=True, in_memory=True, parameter_overrides=overrides) as stack:
        run(stack)
    say_how_to_open_the_console()
    return 0


def say_how_to_open_the_console() -> None:
    """This demo's stack is gone (free ports, nothing kept); `make dev` runs one that stays up."""
    console = f"http://{HOST}:{DEFAULT_PORTS['api']}/console"
    print("\nThe admin console")
    say(f"Run `make dev`, open {console} in a browser and sign in with the demo tenant's API key, "
        f"which `make dev` prints and keeps in {KEY_FILE.relative_to(ROOT)}. \"Connect with Zoho\" works "
        "there as it would in AWS: the stack sets up the OAuth client, and the CRM sandbox serves the consent page.")



class Crm:
    """The CRM sandbox as a user edits it; every write sends a real notification to our webhook."""

    def __init__(self, url: str, seeded: dict):
        self.url = url
        token = httpx.post(f"{url}/oauth/v2/token", data={
            "grant_type": "refresh_token", **{k: seeded[k] for k in ("client_id", "client_secret", "refresh_token")}
        }).json()["access_token"]
        self.headers = {"Authorization": f"Zoho-oauthtoken {token}"}

    def write(self, method: str, path: str, body: dict) -> dict:
        reply = httpx.request(method, f"{self.url}/crm/v8{path}", json=body, headers=self.headers)
        reply.raise_for_status()
        return reply.json()


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.3)
    raise SystemExit("the local stack did not finish the step in time")


class Inventory:
    """The inventory sandbox as a user edits it."""

    def __init__(self, url: str, seeded: dict):
        self.url, self.org = url, seeded["organization_id"]
        token = httpx.post(f"{url}/oauth/v2/token", data={
            "grant_type": "refresh_token", **{k: seeded[k] for k in ("client_id", "client_secret", "refresh_token")}
        }).json()["access_token"]
        self.headers = {"Authorization": f"Zoho-oauthtoken {token}"}

    def call(self, method: str, path: str, body: dict | None = None, params: dict | None = None) -> dict:
        reply = httpx.request(method, f"{self.url}/inventory/v1{path}",
                              params={"organization_id": self.org, **(params or {})}, json=body, headers=self.headers)
        reply.raise_for_status()
        return reply.json()


def sync_now(api: httpx.Client, key: dict, integration_id: str, modules: list[str]) -> list[dict]:
    """Start a manual sync (S3) and wait for its runs to finish; return them."""
    path = f"/integrations/{integration_id}"
    started = api.post(f"{path}/sync", json={"modules": modules}, headers=key)
    started.raise_for_status()
    ids = {r["run_id"] for r in started.json()["runs"]}

    def finished():
        runs = [api.get(f"{path}/runs/{run_id}", headers=key).json() for run_id in ids]
        return runs if all(r["status"] in ("done", "failed") for r in runs) else None

    return wait_for(finished, timeout=120)


def counts(run: dict) -> str:
    c = run["counts"]
    return (f"{c['added']} added, {c['updated']} updated, {c['skipped']} skipped, {c['conflicts']} conflicts, "
            f"{c['failed']} failed")


def first_sync_and_edits(stack, api: httpx.Client, key: dict, integration_id: str, crm_seed: dict,
                         inventory_seed: dict, preview: dict) -> None:
    step(9, "The first sync (S3): CRM first for customers and vendors, inventory first for items")
    for run in sorted(sync_now(api, key, integration_id, ["customers", "vendors", "items"]),
                      key=lambda r: r["module"]):
        say(f"{run['module']}: {run['status']}, {counts(run)}.")
        if run["module"] == preview["module"]:
            same = run["counts"] == preview["counts"]
            say("   exactly as the preview said." if same else f"   the preview said: {counts(preview)}.")
        if run["failure_count"]:  # a run's failures are a listing of their own, a page at a time
            path = f"/integrations/{integration_id}/runs/{run['run_id']}/failures"
            page = api.get(path, params={"limit": 2}, headers=key).json()
            for failure in page["failures"]:
                say(f"   e.g. {failure['side']} record {failure['record_id']}: {failure['reason']}")
    contacts = api.get(f"/integrations/{integration_id}/contacts", params={"source": "crm", "type": "customer",
                       "limit": 100}, headers=key).json()["contacts"]
    say(f"{len(contacts)} inventory customers are now linked to CRM records (GET .../contacts?source=crm, W1).")
    inventory = Inventory(stack.endpoints["inventory"], inventory_seed)
    for name in COLLIDING_CUSTOMERS:
        same = [c for c in inventory.call("GET", "/contacts", params={"contact_type": "customer", "per_page": 200})["contacts"]
                if normalize_name(c["contact_name"]) == normalize_name(name)]
        linked = [c for c in contacts if c["inventory_contact_id"] in {s["contact_id"] for s in same}]
        say(f"Duplicate '{name}' existed in both systems: inventory now holds {len(same)} such customer(s), "
            f"{len(linked)} linked to the CRM account (policy overwrite: linked, CRM values applied, no clone).")

    step(10, "Edits flow both ways (two-way, M2)")
    crm = Crm(stack.endpoints["crm"], crm_seed)
    pair = next(c for c in contacts if c["crm_module"] == "Accounts")
    crm.write("PUT", f"/Accounts/{pair['crm_id']}", {"data": [{"Billing_City": "Potsdam"}]})

    def city_in_inventory():
        # A run the CRM's notification already started may have read just before the edit: sync again then.
        sync_now(api, key, integration_id, ["customers"])
        contact = inventory.call("GET", f"/contacts/{pair['inventory_contact_id']}")["contact"]
        return contact["billing_address"]["city"] if contact["billing_address"]["city"] == "Potsdam" else None

    city = wait_for(city_in_inventory, timeout=60)
    say(f"In the CRM, '{pair['name']}' moved to Potsdam -> the inventory customer's billing city is now {city}.")
    time.sleep(1.1)  # both systems stamp changes to the second
    inventory.call("PUT", f"/contacts/{pair['inventory_contact_id']}", {"website": "https://potsdam.example"})
    sync_now(api, key, integration_id, ["customers"])
    reply = httpx.get(f"{crm.url}/crm/v8/Accounts/{pair['crm_id']}", headers=crm.headers).json()
    say(f"In inventory, its website was set -> the CRM account's Website is now {reply['data'][0]['Website']}.")

    step(11, "Run history (S5)")
    runs = api.get(f"/integrations/{integration_id}/runs", params={"limit": 6}, headers=key).json()["runs"]
    for run in runs:
        print(f"   {run['started_at']}  {run['module']:<9} {run['trigger']:<8} {run['status']:<6} {counts(run)}")


def map_a_field_after_the_first_sync(stack, api: httpx.Client, key: dict, integration_id: str, crm_seed: dict,
                                     inventory_seed: dict) -> None:
    step(12, "A field mapped after the first sync reaches the records synced before (S7)")
    path = f"/integrations/{integration_id}/modules/customers"
    module = api.get(path, headers=key).json()
    tier = {"crm": "Customer_Tier__c", "inventory": "notes"}
    body = module["preferences"] | {"field_map": [*module["preferences"]["field_map"], tier],
                                    "version": module["version"]}
    saved = api.put(path, json=body, headers=key)
    saved.raise_for_status()
    say(f"PUT .../modules/customers with the CRM's Customer Tier mapped to the inventory customers' notes -> "
        f"{saved.status_code}: version {saved.json()['version']}, reapply_pending {saved.json()['reapply_pending']}. "
        "No customer was edited since the first sync, so a run reading changes only would never carry it over.")

    def reapplied():
        # A run the CRM's notifications started before the save keeps its settings: sync again then.
        [run] = sync_now(api, key, integration_id, ["customers"])
        return run if not api.get(path, headers=key).json()["reapply_pending"] else None

    run = wait_for(reapplied, timeout=180)
    say(f"The next run read both systems once and planned every linked customer again: {counts(run)}. Only "
        "customers whose notes differ from their account's tier were written; the re-apply is done "
        "(reapply_pending false).")
    crm, inventory = Crm(stack.endpoints["crm"], crm_seed), Inventory(stack.endpoints["inventory"], inventory_seed)
    contacts = api.get(f"/integrations/{integration_id}/contacts", params={"source": "crm", "type": "customer",
                       "limit": 100}, headers=key).json()["contacts"]
    pair = next(c for c in contacts if c["crm_module"] == "Accounts" and c["origin"] == "crm")
    account = httpx.get(f"{crm.url}/crm/v8/Accounts/{pair['crm_id']}", headers=crm.headers).json()["data"][0]
    notes = inventory.call("GET", f"/contacts/{pair['inventory_contact_id']}")["contact"]["notes"]
    say(f"e.g. '{pair['name']}': tier {account['Customer_Tier__c']} in the CRM -> notes '{notes}' in inventory.")
    again = sync_now(api, key, integration_id, ["customers"])[0]
    say(f"Syncing again reads changes only: {counts(again)}.")


def deal_automation(stack: LocalStack, api: httpx.Client, key: dict, integration_id: str, seeded: dict) -> None:
    step(13, "Deal-stage automation (A1-A5): created gives a quote, won an invoice, lost voids it")
    path = f"/integrations/{integration_id}"
    triggers = {"on_deal_created": "create_quote", "on_deal_won": "create_invoice", "on_deal_lost": "void_invoice"}
    api.put(f"{path}/automation", json=triggers, headers=key).raise_for_status()
    api.post(f"{path}/transactions/enable", headers=key).raise_for_status()
    say("Turned on transaction sync and the three triggers.")
    crm = Crm(stack.endpoints["crm"], seeded)
    account_id = seeded["ids"]["Accounts"][0]
    created = crm.write("POST", "/Deals", {"data": [{
        "Deal_Name": "Espresso machines for the Berlin office", "Stage": "Qualification", "Amount": 4200.0,
        "Closing_Date": "2026-12-31", "Description": "Two machines, installation included",
        "Account_Name": {"id": account_id}}]})
    deal_id = created["data"][0]["details"]["id"]
    say(f"In the CRM, a user created deal {deal_id} (Qualification, 4,200.00) on an account that is not "
        "synced yet; the CRM notified our webhook.")

    def entries():
        reply = api.get(f"{path}/activity", params={"limit": 50}, headers=key).json()["entries"]
        return [e for e in reply if e["kind"] == "deal_trigger" and e["details"].get("deal_id") == deal_id]

    def has(action, result="created"):
        return lambda: [e for e in entries() if e["details"]["action"] == action and e["result"] == result]

    wait_for(has("create_quote"))
    say("-> a quote exists in inventory for it (the account was imported as a customer first).")
    crm.write("PUT", f"/Deals/{deal_id}", {"data": [{"Stage": "Closed Won"}]})
    wait_for(has("create_invoice"))
    say("The user marked the deal Closed Won -> exactly one invoice (item: the deal name, rate: the amount).")
    crm.write("PUT", f"/Deals/{deal_id}", {"data": [{"Stage": "Closed Lost"}]})
    wait_for(has("void_invoice", "voided"))
    say("Then Closed Lost -> the invoice the trigger made is void (a sent or paid one would be left alone).")
    print("\n   Activity log (A4), oldest first:")
    for entry in reversed(entries()):
        details = entry["details"]
        print(f"   {entry['at']}  deal {details['deal_id']}  stage {details.get('stage')!s:<12} "
              f"{details['action']:<15} {entry['result']:<8} {entry.get('reason') or ''}")


if __name__ == "__main__":
    sys.exit(main())
