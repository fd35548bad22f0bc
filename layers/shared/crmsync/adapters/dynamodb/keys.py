"""Key builders of the single-table design (the table of access patterns is in `store.py`)."""

from __future__ import annotations

from crmsync.domain.models import Module, Side

Key = dict[str, str]

TENANT = "TENANT"
APIKEY = "APIKEY"
INTEGRATION = "INTEGRATION"
PRIMARY = "PRIMARY"
DELIVERY = "DELIVERY"
KEY_PREFIX = "KEY#"
MODULE_PREFIX = "MODULE#"
CURSOR_PREFIX = "CURSOR#"
RUN_PREFIX = "RUN#"
FAIL_PREFIX = "FAIL#"
OPENFAIL_PREFIX = "OPENFAIL#"
ACTIVITY_PREFIX = "ACTIVITY#"
NOTIFICATION_PREFIX = "NOTIFICATION#"
TENANTS_GSI1PK = "TENANTS"
DEAL_LINK_PREFIX = "DEALLINK#"
TRIGGER_PREFIX = "TRIGGER#"
DEAL_WATERMARK = "DEALWATERMARK"
CONNECT = "CONNECT"


def connect_attempt(connect_id: str) -> Key:
    return {"pk": f"CONNECT#{connect_id}", "sk": CONNECT}


def tenant(tenant_id: str) -> Key:
    return {"pk": f"TENANT#{tenant_id}", "sk": TENANT}


def tenant_gsi1(created_at: str, tenant_id: str) -> Key:
    return {"gsi1pk": TENANTS_GSI1PK, "gsi1sk": f"{created_at}#{tenant_id}"}


def api_key_by_hash(key_hash: str) -> Key:
    return {"pk": f"APIKEY#{key_hash}", "sk": APIKEY}


def api_key_of_tenant(tenant_id: str, key_id: str) -> Key:
    return {"pk": f"TENANT#{tenant_id}", "sk": f"{KEY_PREFIX}{key_id}"}


def integration(integration_id: str) -> Key:
    return {"pk": integration_partition(integration_id), "sk": INTEGRATION}


def integration_partition(integration_id: str) -> str:
    return f"INTEGRATION#{integration_id}"


def tenant_integrations_partition(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}#INTEGRATIONS"


def integration_gsi1(tenant_id: str, created_at: str, integration_id: str) -> Key:
    return {"gsi1pk": tenant_integrations_partition(tenant_id), "gsi1sk": f"{created_at}#{integration_id}"}


def integrations_in_state_partition(state: str) -> str:
    return f"INTEGRATIONS#{state}"


def integration_gsi2(state: str, integration_id: str) -> Key:
    return {"gsi2pk": integrations_in_state_partition(state), "gsi2sk": integration_id}


def crm_org_primary(crm_org_id: str) -> Key:
    return {"pk": f"CRMORG#{crm_org_id}", "sk": PRIMARY}


def inventory_org(inventory_org_id: str) -> Key:
    return {"pk": f"INVORG#{inventory_org_id}", "sk": INTEGRATION}


def module(integration_id: str, module_name: Module) -> Key:
    return {"pk": integration_partition(integration_id), "sk": f"{MODULE_PREFIX}{module_name}"}


def cursor(integration_id: str, module_name: Module, side: Side) -> Key:
    return {"pk": integration_partition(integration_id), "sk": f"{CURSOR_PREFIX}{module_name}#{side}"}


def mapping_partition(integration_id: str, module_name: Module) -> str:
    return f"MAP#{integration_id}#{module_name}"


def mapping_prefix(side: Side) -> str:
    return "CRM#" if side is Side.CRM else "INV#"


def mapping(integration_id: str, module_name: Module, side: Side, record_id: str) -> Key:
    return {"pk": mapping_partition(integration_id, module_name), "sk": f"{mapping_prefix(side)}{record_id}"}


def run(integration_id: str, run_id: str) -> Key:
    return {"pk": integration_partition(integration_id), "sk": f"{RUN_PREFIX}{run_id}"}


def run_partition(run_id: str) -> str:
    return f"RUN#{run_id}"


def run_failure(run_id: str, side: Side, record_id: str) -> Key:
    return {"pk": run_partition(run_id), "sk": f"{FAIL_PREFIX}{side}#{record_id}"}


def open_failure_prefix(module_name: Module | None = None, side: Side | None = None) -> str:
    if side is not None and module_name is None:
        raise ValueError("open failures are listed by side within a module")
    if module_name is None:
        return OPENFAIL_PREFIX
    return f"{OPENFAIL_PREFIX}{module_name}#" + (f"{side}#" if side else "")


def open_failure(integration_id: str, module_name: Module, side: Side, record_id: str) -> Key:
    return {
        "pk": integration_partition(integration_id),
        "sk": f"{open_failure_prefix(module_name)}{side}#{record_id}",
    }


def activity(integration_id: str, at: str, entry_id: str) -> Key:
    return {"pk": integration_partition(integration_id), "sk": f"{ACTIVITY_PREFIX}{at}#{entry_id}"}


def notification(integration_id: str, at: str, notification_id: str) -> Key:
    return {"pk": integration_partition(integration_id), "sk": f"{NOTIFICATION_PREFIX}{at}#{notification_id}"}


def delivery(dedupe_key: str) -> Key:
    return {"pk": f"DELIVERY#{dedupe_key}", "sk": DELIVERY}


def deal_link(integration_id: str, transaction_kind: str, transaction_id: str) -> Key:
    return {
        "pk": integration_partition(integration_id),
        "sk": f"{DEAL_LINK_PREFIX}{transaction_kind}#{transaction_id}",
    }


def deal_links_partition(integration_id: str, deal_id: str) -> str:
    return f"DEAL#{integration_id}#{deal_id}"


def deal_link_gsi1(integration_id: str, deal_id: str, transaction_kind: str, transaction_id: str) -> Key:
    return {
        "gsi1pk": deal_links_partition(integration_id, deal_id),
        "gsi1sk": f"{transaction_kind}#{transaction_id}",
    }


def trigger_prefix(source_id: str) -> str:
    return f"{TRIGGER_PREFIX}{source_id}#"


def trigger_claim(integration_id: str, source_id: str, action: str, generation: int) -> Key:
    """Generations are zero-padded so that a source's claims list in generation order."""
    return {
        "pk": integration_partition(integration_id),
        "sk": f"{trigger_prefix(source_id)}{action}#{generation:06d}",
    }


def deal_watermark(integration_id: str) -> Key:
    return {"pk": integration_partition(integration_id), "sk": DEAL_WATERMARK}
