"""Zoho Inventory v1 client: the inventory port over HTTP, for one organization."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from crmsync.adapters import ids as url_ids
from crmsync.adapters.http import RetryPolicy, VendorHttp, decode_json
from crmsync.adapters.inventory import wire
from crmsync.adapters.inventory.errors import ALREADY_IN_STATUS, classify, is_token_rejected
from crmsync.adapters.oauth import authorized_http
from crmsync.adapters.pacer import Pacer, TokenBucket
from crmsync.adapters.token_sharing import SharedTokens
from crmsync.domain.automation import InvoiceStanding
from crmsync.ports.budget import CallBudget
from crmsync.ports.errors import NotFound, ValidationFailed
from crmsync.ports.inventory import (
    ContactQuery,
    CustomFieldEntity,
    InventoryCurrency,
    InventoryCustomField,
    InventoryOrganization,
    InventoryPage,
    InventoryRecord,
    InventoryUser,
    ItemQuery,
    ListQuery,
    TransactionKind,
    TransactionQuery,
    TransactionStatus,
)
from crmsync.ports.secrets import OAuthCredentials

API_PATH = "/inventory/v1"
# The vendor allows 100 calls a minute per organization; the default pacer allows 90, leaving
# headroom for network jitter that could bunch paced calls into one of the vendor's windows.
PACED_PER_MINUTE = 90


class ZohoInventoryClient:
    """Implements `InventoryPort`: every call carries `organization_id` and passes the org's pacer."""

    def __init__(self, http: VendorHttp, organization_id: str):
        self._http = http
        self.organization_id = organization_id

    @classmethod
    def connect(
        cls,
        credentials: OAuthCredentials,
        organization_id: str,
        *,
        pacer: Pacer | None = None,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        shared_tokens: SharedTokens | None = None,
    ) -> ZohoInventoryClient:
        """`pacer` should be shared by every client of the organization (see `PacerPool`)."""
        http = authorized_http(
            "inventory",
            credentials,
            API_PATH,
            classify,
            is_token_rejected,
            policy=policy,
            pacer=pacer or TokenBucket(PACED_PER_MINUTE, 60.0),
            clock=clock,
            sleep=sleep,
            shared_tokens=shared_tokens,
        )
        return cls(http, organization_id)

    def close(self) -> None:
        self._http.close()

    def call_budget(self) -> CallBudget:
        return self._http.budget()

    # organization and settings

    def list_organizations(self) -> list[InventoryOrganization]:
        body = decode_json(self._http.request("GET", "/organizations"))
        return [InventoryOrganization.model_validate(o) for o in wire.many("organizations", body)]

    def get_organization(self) -> InventoryOrganization:
        body = self._call("GET", f"/organizations/{_id(self.organization_id)}")
        return InventoryOrganization.model_validate(body["organization"])

    def list_currencies(self) -> list[InventoryCurrency]:
        return [InventoryCurrency.model_validate(c) for c in self._all("/settings/currencies", "currencies")]

    def list_users(self) -> list[InventoryUser]:
        return [InventoryUser.model_validate(u) for u in self._all("/users", "users")]

    # contacts and contact persons

    def iter_contact_pages(
        self, query: ContactQuery | None = None, *, cursor: str | None = None
    ) -> Iterator[InventoryPage]:
        return self._pages(wire.CONTACTS, query, cursor)

    def get_contact(self, contact_id: str) -> InventoryRecord:
        return self._get(wire.CONTACTS, contact_id)

    def create_contact(self, values: Mapping[str, Any]) -> InventoryRecord:
        return self._create(wire.CONTACTS, values)

    def update_contact(self, contact_id: str, values: Mapping[str, Any]) -> InventoryRecord:
        return self._update(wire.CONTACTS, contact_id, values)

    def delete_contact(self, contact_id: str) -> None:
        self._call("DELETE", f"/contacts/{_id(contact_id)}")

    def list_contact_persons(self, contact_id: str) -> list[InventoryRecord]:
        persons = self._all(f"/contacts/{_id(contact_id)}/contactpersons", wire.CONTACT_PERSONS.plural)
        return [wire.record(wire.CONTACT_PERSONS, p) for p in persons]

    def create_contact_person(self, contact_id: str, values: Mapping[str, Any]) -> InventoryRecord:
        return self._create(wire.CONTACT_PERSONS, {**values, "contact_id": contact_id})

    def update_contact_person(
        self, contact_id: str, contact_person_id: str, values: Mapping[str, Any]
    ) -> InventoryRecord:
        return self._update(wire.CONTACT_PERSONS, contact_person_id, {**values, "contact_id": contact_id})

    def delete_contact_person(self, contact_person_id: str) -> None:
        self._call("DELETE", f"/{wire.CONTACT_PERSONS.path}/{_id(contact_person_id)}")

    # items

    def iter_item_pages(
        self, query: ItemQuery | None = None, *, cursor: str | None = None
    ) -> Iterator[InventoryPage]:
        return self._pages(wire.ITEMS, query, cursor)

    def get_item(self, item_id: str) -> InventoryRecord:
        return self._get(wire.ITEMS, item_id)

    def create_item(self, values: Mapping[str, Any]) -> InventoryRecord:
        return self._create(wire.ITEMS, values)

    def update_item(self, item_id: str, values: Mapping[str, Any]) -> InventoryRecord:
        return self._update(wire.ITEMS, item_id, values)

    def delete_item(self, item_id: str) -> None:
        self._call("DELETE", f"/items/{_id(item_id)}")

    def set_item_active(self, item_id: str, active: bool) -> None:
        self._call("POST", f"/items/{_id(item_id)}/{'active' if active else 'inactive'}", idempotent=True)

    # transactions

    def create_transaction(
        self, kind: TransactionKind, values: Mapping[str, Any], *, ignore_auto_number: bool = False
    ) -> InventoryRecord:
        params = {"ignore_auto_number_generation": "true"} if ignore_auto_number else {}
        return self._create(wire.TRANSACTIONS[kind], values, params)

    def get_transaction(self, kind: TransactionKind, transaction_id: str) -> InventoryRecord:
        return self._get(wire.TRANSACTIONS[kind], transaction_id)

    def iter_transaction_pages(
        self, kind: TransactionKind, query: TransactionQuery | None = None, *, cursor: str | None = None
    ) -> Iterator[InventoryPage]:
        return self._pages(wire.TRANSACTIONS[kind], query, cursor)

    def update_transaction(
        self, kind: TransactionKind, transaction_id: str, values: Mapping[str, Any]
    ) -> InventoryRecord:
        return self._update(wire.TRANSACTIONS[kind], transaction_id, values)

    def set_transaction_status(
        self, kind: TransactionKind, transaction_id: str, status: TransactionStatus
    ) -> None:
        self._call("POST", f"/{wire.TRANSACTIONS[kind].path}/{_id(transaction_id)}/status/{url_ids.api_name(status)}", idempotent=True)

    def find_transaction_by_reference(self, kind: TransactionKind, reference: str) -> InventoryRecord | None:
        for page in self.iter_transaction_pages(kind, TransactionQuery(reference_number=reference)):
            for record in page.records:
                if record.values.get("reference_number") == reference:
                    return record
        return None

    def get_invoice_standing(self, invoice_id: str) -> InvoiceStanding:
        values = self.get_transaction("invoices", invoice_id).values
        return InvoiceStanding(
            status=str(values.get("status") or ""), payments=float(values.get("payment_made") or 0)
        )

    def void_invoice(self, invoice_id: str) -> None:
        try:
            self.set_transaction_status("invoices", invoice_id, "void")
        except ValidationFailed as exc:
            if exc.code != ALREADY_IN_STATUS:
                raise

    # custom fields

    def list_custom_fields(self, entity: CustomFieldEntity | None = None) -> list[InventoryCustomField]:
        body = self._call("GET", "/settings/customfields", params={"entity": entity} if entity else None)
        return [InventoryCustomField.model_validate(f) for f in wire.many("customfields", body)]

    # plumbing

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        query = {"organization_id": self.organization_id, **(params or {})}
        response = self._http.request(method, path, params=query, json_body=json_body, idempotent=idempotent)
        return decode_json(response)

    def _get(self, entity: wire.Entity, entity_id: str) -> InventoryRecord:
        body = self._call("GET", f"/{entity.path}/{_id(entity_id)}")
        if body is None:
            raise NotFound("inventory", f"{entity.singular} {entity_id} not found")
        return wire.one(entity, body)

    def _create(
        self, entity: wire.Entity, values: Mapping[str, Any], params: Mapping[str, Any] | None = None
    ) -> InventoryRecord:
        return wire.one(entity, self._call("POST", f"/{entity.path}", params=params, json_body=dict(values)))

    def _update(self, entity: wire.Entity, entity_id: str, values: Mapping[str, Any]) -> InventoryRecord:
        return wire.one(entity, self._call("PUT", f"/{entity.path}/{_id(entity_id)}", json_body=dict(values)))

    def _page_bodies(
        self, path: str, params: Mapping[str, str], cursor: str | None
    ) -> Iterator[tuple[Any, str | None]]:
        page = wire.page_number(cursor)
        while True:
            body = self._call("GET", path, params={**params, "page": page, "per_page": wire.PER_PAGE})
            next_cursor = f"page:{page + 1}" if wire.has_more_page(body) else None
            yield body, next_cursor
            if next_cursor is None:
                return
            page += 1

    def _pages(
        self, entity: wire.Entity, query: ListQuery | None, cursor: str | None
    ) -> Iterator[InventoryPage]:
        for body, next_cursor in self._page_bodies(f"/{entity.path}", wire.query_params(query), cursor):
            records = [wire.record(entity, r) for r in wire.many(entity.plural, body)]
            yield InventoryPage(records=records, next_cursor=next_cursor)

    def _all(self, path: str, key: str) -> list[dict[str, Any]]:
        return [item for body, _ in self._page_bodies(path, {}, None) for item in wire.many(key, body)]


def _id(value: str) -> str:
    """An inventory id as a URL path segment (checked and escaped)."""
    return url_ids.record_id("inventory", value)
