"""Customer payments: the way an invoice reaches `partially_paid` and `paid`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .endpoint import Call, Reply, api_route, ok
from .errors import Code, InventoryApiError, invalid_value, mandatory, not_found, status_not_allowed
from .listing import ListSpec, equal_filters, page
from .models import CustomerPaymentIn
from .store import OrgData, Record
from .wire import IdSequence, format_date, money, parse_date, with_times

PAYABLE = ("sent", "partially_paid")
SPEC = ListSpec(
    "Customer Payments",
    {
        "date": lambda p: p["date"],
        "created_time": lambda p: p["created_time"],
        "amount": lambda p: p["amount"],
    },
    "created_time",
    "D",
)


def record_payment(org: OrgData, ids: IdSequence, now: datetime, body: dict[str, Any]) -> Record:
    data = CustomerPaymentIn.model_validate(body)
    if not data.customer_id:
        raise mandatory("customer_id")
    customer = org.contacts.get(data.customer_id)
    if customer is None or customer["contact_type"] != "customer":
        raise not_found("Customer", 400)
    invoices = org.kind_records("invoices")
    applied = []
    for position, share in enumerate(data.invoices):
        invoice = invoices.get(share.invoice_id)
        if invoice is None or invoice["customer_id"] != customer["contact_id"]:
            raise invalid_value(f"invoices[{position}].invoice_id")
        if invoice["status"] not in PAYABLE:
            raise status_not_allowed(f"Payments cannot be recorded for a {invoice['status']} invoice.")
        if share.amount_applied > invoice["balance"] + 0.005:
            raise InventoryApiError(
                Code.PAYMENT_EXCEEDS_BALANCE,
                f"The amount applied to {invoice['invoice_number']} exceeds its balance of {invoice['balance']}.",
            )
        applied.append((invoice, money(share.amount_applied)))
    total_applied = money(sum(amount for _, amount in applied))
    amount = data.amount if data.amount is not None else total_applied
    if not amount:
        raise mandatory("amount")
    if total_applied > amount + 0.005:
        raise InventoryApiError(
            Code.PAYMENT_EXCEEDS_BALANCE, "The amount applied to invoices exceeds the payment."
        )
    org.numbers["customerpayments"] += 1
    payment: Record = {
        "payment_id": ids.next(),
        "payment_number": str(org.numbers["customerpayments"]),
        "customer_id": customer["contact_id"],
        "customer_name": customer["contact_name"],
        "payment_mode": data.payment_mode,
        "amount": money(amount),
        "unused_amount": money(amount - total_applied),
        "date": parse_date(data.date, "date") if data.date else format_date(now, org.tz),
        "reference_number": data.reference_number or "",
        "invoices": [
            {"invoice_id": inv["invoice_id"], "invoice_number": inv["invoice_number"], "amount_applied": amt}
            for inv, amt in applied
        ],
        "created_time": now,
        "last_modified_time": now,
    }
    for invoice, share_amount in applied:
        _settle(invoice, invoice["payment_made"] + share_amount, now)
    org.payments[payment["payment_id"]] = payment
    org.transactions_by_contact[customer["contact_id"]] += 1
    return payment


def delete_payment(org: OrgData, now: datetime, payment_id: str) -> None:
    payment = _find(org, payment_id)
    for share in payment["invoices"]:
        invoice = org.kind_records("invoices").get(share["invoice_id"])
        if invoice is not None:
            _settle(invoice, invoice["payment_made"] - share["amount_applied"], now)
    org.transactions_by_contact[payment["customer_id"]] -= 1
    del org.payments[payment_id]


def _settle(invoice: Record, paid: float, now: datetime) -> None:
    invoice["payment_made"] = money(paid)
    invoice["balance"] = money(invoice["total"] - paid)
    invoice["status"] = "paid" if invoice["balance"] <= 0 else "partially_paid" if paid > 0 else "sent"
    invoice["last_modified_time"] = now


def _find(org: OrgData, payment_id: str) -> Record:
    payment = org.payments.get(payment_id)
    if payment is None:
        raise not_found("Payment")
    return payment


def post_payment(call: Call) -> Reply:
    payment = record_payment(call.org, call.state.ids, call.now, call.body)
    return ok("The payment has been recorded.", 201, payment=with_times(payment, call.org.tz))


def list_payments(call: Call) -> Reply:
    payments = equal_filters(call.org.payments.values(), call.query, ("customer_id", "reference_number"))
    selected, context = page(payments, call.query, SPEC, call.query.get("filter_by", "PaymentMode.All"))
    return ok(customerpayments=[with_times(p, call.org.tz) for p in selected], page_context=context)


def get_payment(call: Call) -> Reply:
    return ok(payment=with_times(_find(call.org, call.params["payment_id"]), call.org.tz))


def remove_payment(call: Call) -> Reply:
    delete_payment(call.org, call.now, call.params["payment_id"])
    return ok("The payment has been deleted.")


ROUTES = [
    api_route("/customerpayments", list_payments, ["GET"]),
    api_route("/customerpayments", post_payment, ["POST"]),
    api_route("/customerpayments/{payment_id}", get_payment, ["GET"]),
    api_route("/customerpayments/{payment_id}", remove_payment, ["DELETE"]),
]
