"""Generate openapi.json from the code: every router of every API function.

`python -m crmsync.api.openapi > openapi.json`; CI fails when the committed file drifts.
"""

from __future__ import annotations

import json
import sys

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from crmsync.api.app import create_resolver, lifecycle_routers, webhook_routers

TITLE = "crmsync API"
VERSION = "0.1.0"
DESCRIPTION = (
    "Keeps a Zoho CRM organization and a Zoho Inventory organization in step. "
    "Every route except the CRM webhook callback and the OAuth callback needs `Authorization: Bearer <api key>`. "
    'Errors are {"error": {"code", "message", "details"}}.'
)


PUBLIC_PATHS = {"/oauth/callback"}


def build_openapi() -> dict:
    app = create_resolver(*lifecycle_routers(), *webhook_routers())
    schema = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        security_schemes={"api_key": HTTPBearer(scheme="bearer")},
        security=[{"api_key": []}],
    )
    document = json.loads(schema)
    # The CRM callback is authenticated by its channel token and the OAuth callback by its signed
    # state, not the API key. Powertools drops an empty per-route `security`, so it is set here.
    for path, operations in document["paths"].items():
        if path.startswith("/webhooks/") or path in PUBLIC_PATHS:
            for operation in operations.values():
                operation["security"] = []
    return document


def render() -> str:
    return json.dumps(build_openapi(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
