"""Which router module answers each route of the lifecycle function, so its cold start loads none and
each request loads the one it needs (`api.app.OnDemandRoutes`).

`python -m crmsync.api.route_index` rewrites ROUTES (`make openapi` does); a unit test fails when it
drifts from the routers.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

LIFECYCLE_MODULES = (
    "integrations",
    "connect",
    "integration_settings",
    "modules",
    "module_views",
    "activity",
    "deals",
    "crm_side",
    "sync",
    "preview",
    "failures",
)

# "METHOD /resource" (API Gateway's resource template) -> module under crmsync.api.routers.
ROUTES = {
    "DELETE /integrations/{integration_id}": "integrations",
    "DELETE /integrations/{integration_id}/transactions/{type}/{txn_id}/deal": "deals",
    "GET /connect/{connect_id}": "connect",
    "GET /integrations": "integrations",
    "GET /integrations/{integration_id}": "integrations",
    "GET /integrations/{integration_id}/activity": "activity",
    "GET /integrations/{integration_id}/contacts": "sync",
    "GET /integrations/{integration_id}/crm-side/accounts/{crm_id}/transactions": "crm_side",
    "GET /integrations/{integration_id}/crm-side/deals/{deal_id}/transactions": "crm_side",
    "GET /integrations/{integration_id}/crm-side/organization": "crm_side",
    "GET /integrations/{integration_id}/crm-side/vendors/{crm_id}/transactions": "crm_side",
    "GET /integrations/{integration_id}/crm/search": "sync",
    "GET /integrations/{integration_id}/deals": "deals",
    "GET /integrations/{integration_id}/failures": "sync",
    "GET /integrations/{integration_id}/modules/{module}": "modules",
    "GET /integrations/{integration_id}/modules/{module}/fields": "modules",
    "GET /integrations/{integration_id}/modules/{module}/views": "module_views",
    "GET /integrations/{integration_id}/notifications": "integrations",
    "GET /integrations/{integration_id}/runs": "sync",
    "GET /integrations/{integration_id}/runs/{run_id}": "sync",
    "GET /integrations/{integration_id}/runs/{run_id}/failures": "sync",
    "GET /integrations/{integration_id}/runs/{run_id}/preview": "preview",
    "GET /oauth/callback": "connect",
    "POST /connect": "connect",
    "POST /connect/{connect_id}/complete": "connect",
    "POST /integrations": "integrations",
    "POST /integrations/{integration_id}/contacts/{inventory_contact_id}/resync": "sync",
    "POST /integrations/{integration_id}/crm-side/quotes": "crm_side",
    "POST /integrations/{integration_id}/crm-side/sales-orders": "crm_side",
    "POST /integrations/{integration_id}/crm/import": "sync",
    "POST /integrations/{integration_id}/disable": "integrations",
    "POST /integrations/{integration_id}/enable": "integrations",
    "POST /integrations/{integration_id}/failures/retry": "failures",
    "POST /integrations/{integration_id}/modules/{module}/preview": "preview",
    "POST /integrations/{integration_id}/pause": "integrations",
    "POST /integrations/{integration_id}/reauthorize": "integrations",
    "POST /integrations/{integration_id}/resume": "integrations",
    "POST /integrations/{integration_id}/sync": "sync",
    "POST /integrations/{integration_id}/transactions/enable": "integration_settings",
    "PUT /integrations/{integration_id}/automation": "integration_settings",
    "PUT /integrations/{integration_id}/crm-permissions": "integration_settings",
    "PUT /integrations/{integration_id}/modules/{module}": "modules",
    "PUT /integrations/{integration_id}/transactions/field-map": "integration_settings",
    "PUT /integrations/{integration_id}/transactions/{type}/{txn_id}/deal": "deals",
}


def current_routes() -> dict[str, str]:
    """ROUTES as the routers define them now (imports every lifecycle router)."""
    routes = {}
    for name in LIFECYCLE_MODULES:
        router = importlib.import_module(f"crmsync.api.routers.{name}").router
        for rule, methods, *_ in router._routes:  # Powertools keeps (rule, methods, ...) per route
            resource = re.sub(r"<(\w+)>", r"{\1}", rule)
            for method in methods:
                routes[f"{method.upper()} {resource}"] = name
    return dict(sorted(routes.items()))


def write() -> None:
    path = Path(__file__)
    text = path.read_text()
    start = text.index("ROUTES = {")
    end = text.index("\n}\n", start) + 3
    lines = "".join(f'    "{route}": "{module}",\n' for route, module in current_routes().items())
    path.write_text(text[:start] + "ROUTES = {\n" + lines + "}\n" + text[end:])


if __name__ == "__main__":
    write()
