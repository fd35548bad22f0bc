"""The DynamoDB store: one table (`Table` in template.yaml), every access pattern a key lookup.

Access pattern -> key (reads are GetItem, Query or BatchGetItem only; never Scan):

| access pattern                                 | key                                                                 |
|------------------------------------------------|---------------------------------------------------------------------|
| tenant by id                                   | pk=TENANT#{tenant_id}, sk=TENANT                                    |
| list tenants (operator), oldest first          | gsi1pk=TENANTS, gsi1sk={created_at}#{tenant_id}                     |
| API key hash -> key record (authorizer)        | pk=APIKEY#{sha256 hex}, sk=APIKEY                                   |
| keys of a tenant / revoke by key id            | pk=TENANT#{tenant_id}, sk=KEY#{key_id} (revoke deletes both items)  |
| integration by id (caller checks tenant_id)    | pk=INTEGRATION#{integration_id}, sk=INTEGRATION                     |
| integrations of a tenant, newest first         | gsi1pk=TENANT#{tenant_id}#INTEGRATIONS, gsi1sk={created_at}#{id}    |
| integration ids by state (scheduler)           | gsi2pk=INTEGRATIONS#{state}, gsi2sk={integration_id}                |
| primary integration of a CRM organization      | pk=CRMORG#{crm_org_id}, sk=PRIMARY -> integration_id                |
| integration of an inventory organization       | pk=INVORG#{inventory_org_id}, sk=INTEGRATION -> integration_id      |
| module preferences and status                  | pk=INTEGRATION#{id}, sk=MODULE#{module}                             |
| mapping by CRM id                              | pk=MAP#{integration_id}#{module}, sk=CRM#{crm_id}                   |
| mapping by inventory id                        | pk=MAP#{integration_id}#{module}, sk=INV#{inventory_id}             |
| cursor per module and side                     | pk=INTEGRATION#{id}, sk=CURSOR#{module}#{side}                      |
| sync runs, newest first                        | pk=INTEGRATION#{id}, sk=RUN#{run_id} (run_id sorts by time)         |
| failures of a run                              | pk=RUN#{run_id}, sk=FAIL#{side}#{record_id}                         |
| open failures by record                        | pk=INTEGRATION#{id}, sk=OPENFAIL#{module}#{side}#{record_id}        |
| activity log, newest first                     | pk=INTEGRATION#{id}, sk=ACTIVITY#{timestamp}#{entry_id}             |
| notifications, newest first                    | pk=INTEGRATION#{id}, sk=NOTIFICATION#{timestamp}#{notification_id}  |
| match index, last full reads (sync runtime) | see sync_state.py                                                 |
| a preview run's mappings, index and samples (B2) | see previews.py                                                 |
| webhook delivery dedupe (TTL expires_at)       | pk=DELIVERY#{sha256 of channel, sorted ids, operation, time}, sk=DELIVERY |
| deal link by transaction                       | pk=INTEGRATION#{id}, sk=DEALLINK#{kind}#{transaction_id}            |
| deal links of a deal                           | gsi1pk=DEAL#{integration_id}#{deal_id}, gsi1sk={kind}#{transaction_id} |
| trigger claims of a deal or CRM record         | pk=INTEGRATION#{id}, sk=TRIGGER#{source_id}#{action}#{generation:06d} |
| deal catch-up watermark                        | pk=INTEGRATION#{id}, sk=DEALWATERMARK                               |
| connect attempt (one-click connect; TTL)       | pk=CONNECT#{connect_id}, sk=CONNECT                                 |
| shared access token of a refresh token (TTL)   | pk=TOKEN#{sha256 of token URL, client id, refresh token}, sk=TOKEN (tokens.py) |

Writes that decide a race are conditional: creates and claims (attribute_not_exists),
integration state transitions (state IN allowed, gsi2pk moved in the same update),
versioned saves (integration, module settings, mapping), run status changes,
cursor advances (never backwards), delivery dedupe, trigger claims (attribute_not_exists, then
version), deal links (never over a trigger-made one), the deal watermark (never backwards). A mapping pair and an
integration with its organization claims are written in one transaction.
Timestamps in keys are fixed-width UTC ISO 8601, so text order is time order.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from crmsync.adapters.dynamodb.automation import AutomationArea
from crmsync.adapters.dynamodb.base import StoreBase
from crmsync.adapters.dynamodb.connects import ConnectArea
from crmsync.adapters.dynamodb.deliveries import DeliveryArea
from crmsync.adapters.dynamodb.integrations import IntegrationArea
from crmsync.adapters.dynamodb.journal import JournalArea
from crmsync.adapters.dynamodb.mappings import MappingArea
from crmsync.adapters.dynamodb.modules import ModuleArea
from crmsync.adapters.dynamodb.previews import PreviewArea
from crmsync.adapters.dynamodb.runs import RunArea
from crmsync.adapters.dynamodb.sync_state import SyncStateArea
from crmsync.adapters.dynamodb.table import Table
from crmsync.adapters.dynamodb.tenants import TenantArea
from crmsync.ports.clock import Clock, utc_now


class DynamoStore(
    TenantArea,
    IntegrationArea,
    ModuleArea,
    MappingArea,
    RunArea,
    JournalArea,
    DeliveryArea,
    AutomationArea,
    SyncStateArea,
    ConnectArea,
    PreviewArea,
    StoreBase,
):
    """The `Store` port on DynamoDB.

    The boto3 client is built on first use from `session` (default: a new one)
    and `endpoint_url` (default: boto3's own resolution, which honours
    AWS_ENDPOINT_URL_DYNAMODB), or taken as given with `client`.
    """

    def __init__(
        self,
        table_name: str,
        *,
        session: Any = None,
        endpoint_url: str | None = None,
        client: Any = None,
        clock: Clock = utc_now,
    ):
        def build_client() -> Any:
            if client is not None:
                return client
            config = Config(retries={"mode": "standard", "max_attempts": 5})
            return (session or boto3.session.Session()).client(
                "dynamodb", endpoint_url=endpoint_url, config=config
            )

        self._table = Table(table_name, build_client)
        self._clock = clock

    @property
    def table(self) -> Table:
        """The table, for adapters beside the store that keep their own items (shared tokens)."""
        return self._table
