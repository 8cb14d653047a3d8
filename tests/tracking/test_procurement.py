"""Procurement through the API: approvals, orders, partial receipts, three-way match."""

from __future__ import annotations

import json
from typing import Any

import pytest

from itpm.core.models import AuditEvent
from tests.conftest import api_client

V1 = "/api/v1"


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def ordered(api, buyer, lines, settings) -> dict[str, Any]:
    """An approved, ordered request: 2 switches at 8,400.00 and 10 cables at 12.50."""
    settings.ITPM_PROCUREMENT_MANAGER_THRESHOLD = 100_000
    member = api("member")
    created = post(member, f"{V1}/purchase-requests", {
        "project": "APL", "title": "Core switches", "vendor": "Northwind", "submit": True,
        "line": lines["hardware"].pk, "justification": "End of life",
        "items": [{"description": "Switch", "quantity": "2", "unit_price": "8400.00", "is_hardware": True},
                  {"description": "Cable", "quantity": "10", "unit_price": "12.50"}],
    })  # fmt: skip
    assert created.status_code == 201, created.content
    pr = created.json()
    assert pr["expected_cost"] == "16925.00" and pr["state"] == "submitted"
    assert pr["needs_manager"] is False
    procurement = api_client(buyer)
    approved = post(
        procurement, f"{V1}/purchase-requests/{pr['id']}/approve", {"version": pr["version"]}
    )
    assert approved.json()["state"] == "approved", approved.content
    order = post(
        procurement, f"{V1}/purchase-orders", {"request": pr["id"], "order_date": "2027-02-01"}
    )
    assert order.status_code == 201, order.content
    return {"order": order.json(), "buyer": procurement, "member": member}


def _receive(client, order, quantities):
    lines = [
        {"line": ln["id"], "quantity": q}
        for ln, q in zip(order["lines"], quantities, strict=True)
        if q
    ]
    return post(
        client,
        f"{V1}/purchase-orders/{order['id']}/receipts",
        {"date": "2027-02-10", "lines": lines},
    )


def _invoice(client, order, number, lines):
    return post(client, f"{V1}/purchase-orders/{order['id']}/invoices", {
        "number": number, "date": "2027-02-15",
        "lines": [{"line": order["lines"][i]["id"], "quantity": q, "unit_price": p} for i, q, p in lines],
    })  # fmt: skip


def test_invoice_matching_order_and_receipt_is_matched(ordered):
    order = ordered["order"]
    assert _receive(ordered["member"], order, ["2", "10"]).status_code == 201
    invoice = _invoice(ordered["buyer"], order, "INV-1", [(0, "2", "8400.00"), (1, "10", "12.50")])
    assert invoice.status_code == 201, invoice.content
    body = invoice.json()
    assert body["match_state"] == "matched" and body["mismatches"] == []
    assert body["amount"] == "16925.00"


def test_price_above_the_order_is_flagged(ordered):
    order = ordered["order"]
    _receive(ordered["member"], order, ["2", "10"])
    body = _invoice(ordered["buyer"], order, "INV-2", [(0, "2", "8900.00")]).json()
    assert body["match_state"] == "mismatch"
    assert [m["reason"] for m in body["mismatches"]] == ["price"]


def test_billing_more_than_received_is_a_quantity_mismatch(ordered):
    order = ordered["order"]
    _receive(ordered["member"], order, ["1", None])  # a partial delivery
    body = _invoice(ordered["buyer"], order, "INV-3", [(0, "2", "8400.00")]).json()
    assert [m["reason"] for m in body["mismatches"]] == ["quantity"]
    lines = ordered["buyer"].get(f"{V1}/purchase-orders/{order['id']}").json()["lines"]
    assert lines[0]["received"] == "1.00" and lines[0]["invoiced"] == "2.00"


def test_over_receipt_is_flagged(ordered):
    order = ordered["order"]
    _receive(ordered["member"], order, ["2", "10"])
    _receive(ordered["member"], order, ["1", None])
    body = _invoice(ordered["buyer"], order, "INV-4", [(0, "3", "8400.00")]).json()
    assert {m["reason"] for m in body["mismatches"]} == {"over_receipt"}


def test_flagged_invoice_blocks_closing_until_accepted(ordered):
    order, buyer = ordered["order"], ordered["buyer"]
    _receive(ordered["member"], order, ["2", "10"])
    invoice = _invoice(buyer, order, "INV-5", [(0, "2", "8500.00")]).json()
    closed = post(buyer, f"{V1}/purchase-orders/{order['id']}/close", {"version": order["version"]})
    assert closed.status_code == 409 and "flagged" in closed.json()["detail"]
    accepted = post(buyer, f"{V1}/invoices/{invoice['id']}/accept",
                    {"version": invoice["version"], "comment": "Surcharge agreed"})  # fmt: skip
    assert accepted.json()["match_state"] == "matched"
    assert (
        post(
            buyer, f"{V1}/purchase-orders/{order['id']}/close", {"version": order["version"]}
        ).status_code
        == 200
    )


def test_an_order_with_nothing_received_is_cancelled_with_a_reason(ordered, api):
    order, buyer = ordered["order"], ordered["buyer"]
    url = f"{V1}/purchase-orders/{order['id']}/cancel"
    # A reason is required; a member may not cancel; a stale version is refused.
    no_reason = post(buyer, url, {"version": order["version"]})
    assert no_reason.status_code == 422 and "comment" in no_reason.content.decode()
    assert (
        post(ordered["member"], url, {"version": order["version"], "comment": "x"}).status_code
        == 403
    )
    stale = post(buyer, url, {"version": order["version"] - 1, "comment": "Vendor cannot deliver"})
    assert stale.status_code == 409
    cancelled = post(buyer, url, {"version": order["version"], "comment": "Vendor cannot deliver"})
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["state"] == "cancelled"
    # The commitment is released and the reason is on record.
    lines = api("owner").get(f"{V1}/projects/APL/budget").json()["lines"]
    assert next(ln for ln in lines if ln["name"] == "Switches")["committed"] == "0.00"
    event = AuditEvent.objects.filter(action="purchase_order.cancel").get()
    assert event.changes["reason"] == [None, "Vendor cannot deliver"]
    # Nothing more happens to a cancelled order.
    again = post(buyer, url, {"version": cancelled.json()["version"], "comment": "again"})
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    assert _receive(ordered["member"], order, ["1", ""]).status_code == 409


def test_an_order_with_a_delivery_is_closed_not_cancelled(ordered):
    order, buyer = ordered["order"], ordered["buyer"]
    assert _receive(ordered["member"], order, ["1", ""]).status_code == 201
    refused = post(buyer, f"{V1}/purchase-orders/{order['id']}/cancel",
                   {"version": order["version"], "comment": "Too late"})  # fmt: skip
    assert refused.status_code == 409 and "close it instead" in refused.json()["detail"]
    assert not AuditEvent.objects.filter(action="purchase_order.cancel").exists()


def test_committed_actual_and_remaining_per_line(ordered, api):
    order = ordered["order"]
    budget = api("owner").get(f"{V1}/projects/APL/budget").json()
    switches = next(ln for ln in budget["lines"] if ln["name"] == "Switches")
    assert switches["committed"] == "16925.00" and switches["actual"] == "0.00"
    assert switches["remaining"] == "33075.00"
    _receive(ordered["member"], order, ["2", "10"])
    _invoice(ordered["buyer"], order, "INV-6", [(0, "2", "8400.00")])
    switches = next(ln for ln in api("owner").get(f"{V1}/projects/APL/budget").json()["lines"]
                    if ln["name"] == "Switches")  # fmt: skip
    assert switches["committed"] == "125.00" and switches["actual"] == "16800.00"
    assert switches["forecast"] == "50000.00"


def test_member_cannot_approve_and_manager_approval_is_needed_above_threshold(
    api, buyer, lines, settings
):
    settings.ITPM_PROCUREMENT_MANAGER_THRESHOLD = 1000
    pr = post(api("member"), f"{V1}/purchase-requests", {
        "project": "APL", "title": "Rack", "vendor": "V", "submit": True,
        "line": lines["hardware"].pk, "justification": "Room for growth",
        "items": [{"description": "Rack", "quantity": "1", "unit_price": "2500.00"}],
    }).json()  # fmt: skip
    assert pr["needs_manager"] is True
    assert (
        post(
            api("member"), f"{V1}/purchase-requests/{pr['id']}/approve", {"version": pr["version"]}
        ).status_code
        == 403
    )
    after_buyer = post(
        api_client(buyer), f"{V1}/purchase-requests/{pr['id']}/approve", {"version": pr["version"]}
    ).json()
    assert after_buyer["state"] == "submitted" and after_buyer["procurement_approved_by"] == "pat"
    done = post(
        api("manager"),
        f"{V1}/purchase-requests/{pr['id']}/approve",
        {"version": after_buyer["version"]},
    ).json()
    assert done["state"] == "approved" and done["manager_approved_by"] == "manny"


def test_money_is_refused_as_a_float_and_returned_as_strings(api, lines):
    response = post(api("member"), f"{V1}/purchase-requests", {
        "project": "APL", "title": "X", "vendor": "V", "line": lines["hardware"].pk,
        "justification": "j", "items": [{"description": "d", "quantity": "1", "unit_price": 10.5}],
    })  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "items.0.unit_price"
    budget = api("viewer").get(f"{V1}/projects/APL/budget").json()
    assert budget["totals"]["budget"] == "100000.00"
    assert all(isinstance(v, str) for v in budget["months"].values())


def test_outsider_sees_no_request(api, lines, buyer):
    pr = post(api("member"), f"{V1}/purchase-requests", {
        "project": "APL", "title": "X", "vendor": "V", "line": lines["hardware"].pk,
        "justification": "j", "items": [{"description": "d", "quantity": "1", "unit_price": "10.00"}],
    }).json()  # fmt: skip
    assert api("outsider").get(f"{V1}/purchase-requests/{pr['id']}").status_code == 404
    assert api("outsider").get(f"{V1}/purchase-requests").json()["count"] == 0
    assert api_client(buyer).get(f"{V1}/purchase-requests/{pr['id']}").status_code == 200
