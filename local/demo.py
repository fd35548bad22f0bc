"""`make demo`: start the local stack and walk through what the product does, in plain words.

Each step prints what it did and what came back. Later features add their steps here.
"""

from __future__ import annotations

import sys
import textwrap
import warnings

import httpx

from local.stack import LocalStack


def say(text: str) -> None:
    print(textwrap.fill(text, width=100, subsequent_indent="   "))


def step(number: int, title: str) -> None:
    print(f"\n{number}. {title}")


def run(stack: LocalStack) -> None:
    api = httpx.Client(base_url=stack.api_url, timeout=30)
    good = {"Authorization": f"Bearer {stack.api_key}"}

    step(1, "The local stack is up")
    say(f"API on {stack.api_url} (Swagger UI at {stack.api_url}/docs), the real Lambda handlers behind "
        "the authorizer; DynamoDB Local, SQS and Secrets Manager (moto), and the two vendor sandboxes.")
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

    integration_id = connect_to_sandboxes(stack, api, good)
    configure_modules(api, good, integration_id)
    pause_and_resume(api, good, integration_id)

    print("\nDone: the stack served the API through the authorizer, refused what it should, and connected "
          "an inventory organization to a CRM organization.")


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


def connect_to_sandboxes(stack: LocalStack, api: httpx.Client, key: dict) -> str:
    step(4, "Connecting to a CRM on the Standard edition is refused (L1)")
    inventory = seed(stack.endpoints["inventory"], {"preset": "demo"})
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
    return body["integration_id"]


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


def main() -> int:
    print("Starting the local stack (DynamoDB Local, moto, sandboxes, gateway)...")
    # Function logs would drown the story; `make dev` shows them in full.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with LocalStack(free_ports=True, in_memory=True, parameter_overrides={"LogLevel": "WARNING"}) as stack:
        run(stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
