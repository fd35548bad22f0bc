"""Module routes through the API handler (M1-M9, S7): moto for AWS, the real sandboxes over HTTP.

Both sandboxes are seeded once per module with the demo preset (the CRM with the inventory's base
currency, USD) and only read by these tests; each test gets a fresh moto account, an integration
record written straight to the store and its credentials in Secrets Manager.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from pydantic import SecretStr

from crmsync.adapters.crm import ZohoCrmClient
from crmsync.domain.models import Integration, IntegrationState, Module, ModuleStatus, Role, RunCounts
from crmsync.ports.secrets import IntegrationCredentials
from local.sandboxes.common import run_in_thread
from tests.conftest import FakeContext, load_handler, sample_event
from tests.integration.sandbox_fixtures import Sandbox

INTEGRATION_ID = "int-1"


@dataclass(frozen=True)
class Sandboxes:
    crm: Sandbox
    inventory: Sandbox
    crm_seed: dict[str, Any]
    inventory_seed: dict[str, Any]

    def credentials(self, *, refresh_token: str | None = None) -> IntegrationCredentials:
        crm = self.crm.credentials(self.crm_seed)
        if refresh_token:
            crm = crm.model_copy(update={"refresh_token": SecretStr(refresh_token)})
        return IntegrationCredentials(crm=crm, inventory=self.inventory.credentials(self.inventory_seed))

    def calls(self) -> tuple[dict[str, int], dict[str, int]]:
        return self.crm.calls(), self.inventory.calls()


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[Sandboxes]:
    from local.sandboxes.crm import create_app as crm_app
    from local.sandboxes.inventory import create_app as inventory_app

    servers = [run_in_thread(crm_app()), run_in_thread(inventory_app())]
    crm, inventory = (Sandbox(server.base_url) for server in servers)
    try:
        seeded = Sandboxes(
            crm=crm,
            inventory=inventory,
            crm_seed=crm.seed({"preset": "demo", "org": {"iso_code": "USD"}}),
            inventory_seed=inventory.seed({"preset": "demo"}),
        )
        # Every test builds fresh clients, so one refresh token mints more access tokens than
        # the vendors' 10 per 10 minutes.
        crm.set_limits(access_tokens_per_window=1000)
        inventory.set_limits(tokens_per_refresh_token=1000, per_minute=10_000)
        yield seeded
    finally:
        for sandbox, server in zip((crm, inventory), servers, strict=True):
            sandbox.close()
            server.stop()


@pytest.fixture
def handler(aws):
    return load_handler("integration_lifecycle")


@pytest.fixture
def tenant(aws) -> str:
    return aws.tenants.create_tenant("Acme").tenant_id


def connect(
    container, sandboxes: Sandboxes, tenant_id: str, *, role=Role.PRIMARY, refresh_token=None, **fields
):
    """An integration record pointing at the sandboxes, and its credentials in Secrets Manager."""
    now = datetime.now(UTC)
    integration = Integration(
        integration_id=INTEGRATION_ID,
        tenant_id=tenant_id,
        role=role,
        crm_org_id=sandboxes.crm_seed["org_id"],
        inventory_org_id=sandboxes.inventory_seed["organization_id"],
        crm_data_center="com",
        inventory_data_center="com",
        crm_base_url=sandboxes.crm.base_url,
        inventory_base_url=sandboxes.inventory.base_url,
        two_way=role is Role.PRIMARY,
        created_at=now,
        updated_at=now,
        **fields,
    )
    container.store.create_integration(integration)
    container.credentials.put(INTEGRATION_ID, sandboxes.credentials(refresh_token=refresh_token))
    return integration


def event(
    tenant_id: str,
    method: str,
    module: str,
    *,
    suffix: str = "",
    body: dict | None = None,
    query: dict[str, str] | None = None,
) -> dict:
    """An API Gateway proxy event for a module route, built from the committed sample."""
    resource = "/integrations/{integration_id}/modules/{module}" + suffix
    path = f"/integrations/{INTEGRATION_ID}/modules/{module}{suffix}"
    sample = sample_event("integration_lifecycle", "put_module_customers")
    sample.update(
        httpMethod=method,
        resource=resource,
        path=path,
        pathParameters={"integration_id": INTEGRATION_ID, "module": module},
        queryStringParameters=query,
        multiValueQueryStringParameters={k: [v] for k, v in query.items()} if query else None,
        body=None if body is None else json.dumps(body),
    )
    sample["requestContext"].update(httpMethod=method, resourcePath=resource, path=f"/dev{path}")
    sample["requestContext"]["authorizer"].update(principalId=tenant_id, tenant_id=tenant_id)
    return sample


def call(handler, request: dict) -> tuple[int, dict]:
    reply = handler(request, FakeContext())
    return reply["statusCode"], json.loads(reply["body"])


def save(handler, tenant_id: str, module: str, body: dict, sync: str = "later") -> tuple[int, dict]:
    return call(handler, event(tenant_id, "PUT", module, body=body, query={"sync": sync}))


def refused_fields(body: dict) -> list[str]:
    assert body["error"]["code"] == "invalid_fields", body
    return [f["field"] for f in body["error"]["details"]["fields"]]


def queued_messages(container) -> list[dict]:
    reply = boto3.client("sqs").receive_message(
        QueueUrl=container.settings.sync_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    )
    return [json.loads(message["Body"]) for message in reply.get("Messages", [])]


@pytest.fixture(scope="module")
def views(sandboxes) -> dict[str, str]:
    """The seeded CRM custom views: name -> id, read through the CRM client."""
    client = ZohoCrmClient.connect(
        sandboxes.crm.credentials(sandboxes.crm_seed), policy=sandboxes.crm.retry_policy
    )
    return {
        view.name: view.id
        for module in ("Accounts", "Contacts", "Vendors")
        for view in client.list_custom_views(module)
    }


# ------------------------------------------------------------------ save and read


def test_save_stores_version_1_then_2_when_saved_twice(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)
    sample = sample_event("integration_lifecycle", "put_module_customers")
    sample["requestContext"]["authorizer"].update(principalId=tenant, tenant_id=tenant)
    sample["path"] = sample["path"].replace("INTEGRATION_ID", INTEGRATION_ID)
    sample["pathParameters"]["integration_id"] = INTEGRATION_ID

    status, first = call(handler, sample)

    assert status == 200, first
    assert (first["version"], first["status"], first["paused"]) == (1, "never_synced", False)
    assert first["preferences"] == json.loads(sample["body"])
    status, second = save(handler, tenant, "customers", {"crm_source": "contacts", "version": 1})
    assert status == 200 and second["version"] == 2
    status, read = call(handler, event(tenant, "GET", "customers"))
    assert status == 200
    assert (read["version"], read["preferences"]["crm_source"], read["preferences"]["field_map"]) == (
        2,
        "contacts",
        [],
    )


def test_read_shows_defaults_with_version_0_when_never_saved(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)

    status, body = call(handler, event(tenant, "GET", "customers"))

    assert status == 200
    assert (body["version"], body["status"], body["last_run_id"], body["last_run_counts"]) == (
        0,
        "never_synced",
        None,
        None,
    )
    assert body["preferences"]["crm_source"] == "accounts"
    assert body["preferences"]["direction"] == "two_way"
    assert body["progress"] is None  # no run yet


def test_read_shows_last_run_and_counts_when_a_run_reported(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)
    save(handler, tenant, "vendors", {})
    aws.store.set_module_status(
        INTEGRATION_ID, Module.VENDORS, ModuleStatus.DONE, run_id="run-7", counts=RunCounts(added=3, failed=1)
    )

    status, body = call(handler, event(tenant, "GET", "vendors"))

    assert status == 200
    assert (body["status"], body["last_run_id"]) == ("done", "run-7")
    assert body["last_run_counts"] == {
        "added": 3,
        "updated": 0,
        "deleted_in_crm_kept": 0,
        "deleted": 0,
        "skipped": 0,
        "conflicts": 0,
        "failed": 1,
    }


def test_stale_version_gets_409_naming_the_current_version(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)
    save(handler, tenant, "vendors", {"duplicates": "skip"})
    save(handler, tenant, "vendors", {"duplicates": "clone", "version": 1})

    status, body = save(handler, tenant, "vendors", {"duplicates": "overwrite", "version": 1})

    assert status == 409
    assert body["error"]["code"] == "conflict" and body["error"]["details"] == {"current": "2"}
    assert "version 2" in body["error"]["message"]
    _, read = call(handler, event(tenant, "GET", "vendors"))
    assert (read["version"], read["preferences"]["duplicates"]) == (2, "clone")


def test_sync_now_queues_exactly_one_manual_sync_and_marks_the_module_queued(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)
    sample = sample_event("integration_lifecycle", "put_module_items_sync_now")

    status, body = save(handler, tenant, "items", json.loads(sample["body"]), sync="now")

    assert status == 200, body
    assert (body["version"], body["status"]) == (1, "queued")
    assert queued_messages(aws) == [
        {
            "kind": "sync",
            "integration_id": INTEGRATION_ID,
            "module": "items",
            "trigger": "manual",
            "run_id": None,
            "step": 0,
        }
    ]
    assert call(handler, event(tenant, "GET", "items"))[1]["status"] == "queued"


def test_sync_later_only_saves(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)

    status, body = save(handler, tenant, "vendors", {"direction": "fetch_from_crm"})

    assert status == 200 and body["status"] == "never_synced"
    assert queued_messages(aws) == []


def test_sync_now_queues_nothing_more_when_a_sync_is_already_queued(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)
    save(handler, tenant, "vendors", {}, sync="now")

    status, body = save(handler, tenant, "vendors", {"duplicates": "clone"}, sync="now")

    assert status == 200 and (body["version"], body["status"]) == (2, "queued")
    assert len(queued_messages(aws)) == 1


def test_paused_module_stays_paused_when_preferences_are_saved(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)
    save(handler, tenant, "vendors", {})
    aws.store.set_module_paused(INTEGRATION_ID, Module.VENDORS, True)

    status, body = save(handler, tenant, "vendors", {"duplicates": "overwrite"})
    assert status == 200 and (body["version"], body["paused"]) == (2, True)

    status, body = save(handler, tenant, "vendors", {"duplicates": "clone"}, sync="now")
    assert status == 409 and "paused" in body["error"]["message"]
    assert queued_messages(aws) == []


@pytest.mark.parametrize(
    ("state", "later", "now"),
    [
        (IntegrationState.DISABLED, 200, 409),
        (IntegrationState.PAUSED, 200, 409),
        (IntegrationState.DELETING, 409, 409),
    ],
)
def test_sync_now_is_refused_when_integration_is_not_active(
    aws, handler, sandboxes, tenant, state, later, now
):
    connect(aws, sandboxes, tenant, state=state)

    assert save(handler, tenant, "vendors", {}, sync="now")[0] == now
    assert save(handler, tenant, "vendors", {}, sync="later")[0] == later
    assert queued_messages(aws) == []


def test_save_makes_no_vendor_call_when_preferences_name_no_view_or_field(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)
    before = sandboxes.calls()

    status, _ = save(handler, tenant, "customers", {"crm_source": "accounts_and_contacts"})

    assert status == 200
    assert sandboxes.calls() == before


# ------------------------------------------------------------------ refusals


REFUSALS = [
    ("customers", {}, "crm_source", "Required"),
    ("vendors", {"crm_source": "accounts"}, "crm_source", "customers only"),
    (
        "customers",
        {"crm_source": "contacts", "include_unassociated_contacts": True},
        "include_unassociated_contacts",
        "accounts_and_contacts",
    ),
    (
        "customers",
        {"crm_source": "accounts", "views": {"accounts": "5843000000000000001"}},
        "views.accounts",
        "No custom view",
    ),
    (
        "customers",
        {"crm_source": "accounts", "field_map": [{"crm": "Email", "inventory": "website"}]},
        "field_map.0.crm",
        "No field Email",
    ),
    (
        "customers",
        {"crm_source": "accounts", "field_map": [{"crm": "Phone", "inventory": "cf_nothing"}]},
        "field_map.0.inventory",
        "No inventory",
    ),
    (
        "customers",
        {"crm_source": "accounts", "field_map": [{"crm": "Parent_Account", "inventory": "notes"}]},
        "field_map.0.crm",
        "lookup",
    ),
    (
        "customers",
        {"crm_source": "accounts", "field_map": [{"crm": "Employees", "inventory": "website"}]},
        "field_map.0",
        "cannot map",
    ),
    (
        "customers",
        {
            "crm_source": "accounts",
            "field_map": [
                {"crm": "Phone", "inventory": "website"},
                {"crm": "Website", "inventory": "website"},
            ],
        },
        "field_map.1.inventory",
        "Already mapped",
    ),
    ("items", {"product_type_field": "Usage_Unit"}, "product_type_field", "Goods and Services"),
    ("items", {"product_type_field": "Product_Code"}, "product_type_field", "picklist"),
    ("vendors", {"product_type_field": "Product_Type__c"}, "product_type_field", "items only"),
    ("customers", {"crm_source": "accounts", "colour": "red"}, "colour", "Extra inputs"),
    ("customers", {"crm_source": "everyone"}, "crm_source", "Input should be"),
    ("deals", {}, "path.module", "Input should be"),
]


@pytest.mark.parametrize(("module", "body", "field", "problem"), REFUSALS)
def test_save_gets_422_naming_the_field_when_a_rule_breaks(
    aws, handler, sandboxes, tenant, module, body, field, problem
):
    connect(aws, sandboxes, tenant)

    status, reply = save(handler, tenant, module, body)

    assert status == 422, reply
    fields = reply["error"]["details"]["fields"]
    assert [f["field"] for f in fields] == [field]
    assert problem in fields[0]["problem"]
    if module != "deals":
        assert call(handler, event(tenant, "GET", module))[1]["version"] == 0


def test_view_is_refused_when_it_exists_but_does_not_apply_to_the_module(
    aws, handler, sandboxes, tenant, views
):
    connect(aws, sandboxes, tenant)

    status, reply = save(
        handler, tenant, "customers", {"crm_source": "accounts", "views": {"vendors": views["Food vendors"]}}
    )

    assert status == 422 and refused_fields(reply) == ["views.vendors"]
    assert "Does not apply" in reply["error"]["details"]["fields"][0]["problem"]


def test_save_lists_every_broken_rule_at_once(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)
    body = {
        "include_unassociated_contacts": True,
        "views": {"products": "1"},
        "field_map": [{"crm": "Nope", "inventory": "cf_region"}, {"crm": "Phone", "inventory": "cf_region"}],
        "product_type_field": "Product_Type__c",
    }

    status, reply = save(handler, tenant, "customers", body)

    assert status == 422
    assert refused_fields(reply) == [
        "crm_source",
        "include_unassociated_contacts",
        "views.products",
        "field_map.0.crm",
        "field_map.1.inventory",
        "field_map.1",
        "product_type_field",
    ]


def test_save_accepts_existing_views_and_custom_fields_of_both_sides(aws, handler, sandboxes, tenant, views):
    connect(aws, sandboxes, tenant)
    body = {
        "crm_source": "accounts_and_contacts",
        "views": {
            "accounts": views["Customers in Germany"],
            "contacts": views["Contacts in Germany"],
        },
        "field_map": [
            {"crm": "Customer_Tier__c", "inventory": "cf_region"},
            {"crm": "Annual_Revenue", "inventory": "cf_credit_limit"},
            {"crm": "Email_Opt_Out", "inventory": "cf_vip"},
            {"crm": "Date_of_Birth", "inventory": "cf_customer_since"},
        ],
    }

    status, reply = save(handler, tenant, "customers", body)

    assert status == 200, reply
    assert reply["preferences"]["views"]["accounts"] == body["views"]["accounts"]
    assert reply["preferences"]["field_map"] == body["field_map"]


def test_currency_field_is_refused_when_recorded_base_currencies_differ(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant, crm_base_currency="EUR", inventory_base_currency="USD")

    status, reply = save(
        handler, tenant, "items", {"field_map": [{"crm": "Unit_Price", "inventory": "purchase_rate"}]}
    )

    assert status == 422 and refused_fields(reply) == ["field_map.0"]
    assert "(EUR)" in reply["error"]["details"]["fields"][0]["problem"]


def test_currency_field_is_accepted_when_both_organizations_use_one_currency(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)  # no recorded currencies: both are read from the sandboxes (USD)

    status, reply = save(
        handler, tenant, "items", {"field_map": [{"crm": "Unit_Price", "inventory": "purchase_rate"}]}
    )

    assert status == 200, reply


def test_two_way_is_refused_when_integration_is_secondary(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant, role=Role.SECONDARY)

    status, reply = save(handler, tenant, "customers", {"crm_source": "accounts", "direction": "two_way"})
    assert status == 422 and refused_fields(reply) == ["direction"]
    assert "secondary" in reply["error"]["details"]["fields"][0]["problem"]

    status, reply = save(handler, tenant, "customers", {"crm_source": "accounts"})
    assert status == 200 and reply["preferences"]["direction"] == "fetch_from_crm"


# ------------------------------------------------------------------ tenancy and vendor failures


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("GET", "", None), ("GET", "/fields", None), ("PUT", "", {"crm_source": "accounts"})],
)
def test_another_tenants_integration_gets_404(aws, handler, sandboxes, tenant, method, suffix, body):
    connect(aws, sandboxes, tenant)
    other = aws.tenants.create_tenant("Other").tenant_id

    status, reply = call(handler, event(other, method, "customers", suffix=suffix, body=body))

    assert status == 404 and reply["error"]["code"] == "not_found"
    assert aws.store.get_module(INTEGRATION_ID, Module.CUSTOMERS) is None


def test_vendor_refusal_gets_502_when_the_crm_grant_is_revoked(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant, refresh_token="revoked")

    status, reply = call(handler, event(tenant, "GET", "customers", suffix="/fields"))

    assert status == 502 and reply["error"]["code"] == "crm_unavailable"


# ------------------------------------------------------------------ fields for mapping


def test_fields_list_both_sides_with_the_seeded_custom_fields(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)

    status, body = call(handler, event(tenant, "GET", "customers", suffix="/fields"))

    assert status == 200, body
    assert body["crm_source"] == "accounts"
    crm = {f["api_name"]: f for f in body["crm_fields"]}
    assert {f["module"] for f in body["crm_fields"]} == {"Accounts"}
    assert crm["Customer_Tier__c"] == {
        "module": "Accounts",
        "api_name": "Customer_Tier__c",
        "label": "Customer Tier",
        "data_type": "picklist",
        "custom": True,
        "mappable": True,
    }
    assert crm["Parent_Account"]["mappable"] is False
    inventory = {f["name"]: f for f in body["inventory_fields"]}
    assert {name for name, f in inventory.items() if f["custom"]} == {
        "cf_region",
        "cf_credit_limit",
        "cf_vip",
        "cf_customer_since",
    }
    assert inventory["cf_credit_limit"] == {
        "name": "cf_credit_limit",
        "label": "Credit Limit",
        "data_type": "decimal",
        "custom": True,
        "mappable": True,
    }
    assert inventory["billing_address.city"]["custom"] is False
    assert {
        "crm_module": "Accounts",
        "crm": "Account_Name",
        "crm_type": "text",
        "inventory": "contact_name",
        "inventory_type": "text",
    } in body["default_map"]


def test_fields_follow_the_crm_source_given(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)

    status, body = call(
        handler, event(tenant, "GET", "customers", suffix="/fields", query={"crm_source": "contacts"})
    )

    assert status == 200
    assert {f["module"] for f in body["crm_fields"]} == {"Contacts"}
    assert {pair["crm_module"] for pair in body["default_map"]} == {"Contacts"}


def test_item_fields_list_the_product_type_picklist_and_item_custom_fields(aws, handler, sandboxes, tenant):
    connect(aws, sandboxes, tenant)

    status, body = call(handler, event(tenant, "GET", "items", suffix="/fields"))

    assert status == 200 and body["crm_source"] is None
    assert "Product_Type__c" in {f["api_name"] for f in body["crm_fields"] if f["custom"]}
    assert {f["name"] for f in body["inventory_fields"] if f["custom"]} == {"cf_brand", "cf_warranty_months"}


@pytest.mark.parametrize(
    ("module", "query"),
    [("customers", {"crm_source": "accounts_and_contacts"}), ("vendors", None), ("items", None)],
)
def test_default_map_names_crm_fields_that_exist_with_their_types(
    aws, handler, sandboxes, tenant, module, query
):
    connect(aws, sandboxes, tenant)

    _, body = call(handler, event(tenant, "GET", module, suffix="/fields", query=query))

    crm = {(f["module"], f["api_name"]): f["data_type"] for f in body["crm_fields"]}
    inventory = {f["name"] for f in body["inventory_fields"]}
    assert body["default_map"]
    for pair in body["default_map"]:
        assert crm.get((pair["crm_module"], pair["crm"])) == pair["crm_type"], pair
        assert pair["inventory"] in inventory, pair
