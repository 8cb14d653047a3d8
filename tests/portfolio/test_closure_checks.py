"""The closure checklist's purchase-order, budget and final-status-report items, computed
from the tracking app (procurement, costs and time, status reports)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from itpm.accounts.models import Team, TeamKind, User
from itpm.planning.models import Task
from itpm.portfolio import closing
from itpm.portfolio.models import GateDecision, GateReview, GateStatus, Project, Stage
from itpm.tracking.models import PurchaseOrder
from itpm.tracking.procurement import (
    invoice_accept,
    invoice_record,
    purchase_order_close,
    purchase_order_create,
    purchase_request_approve,
    purchase_request_create,
)
from itpm.tracking.reports import status_report_generate, status_report_update
from itpm.tracking.services import budget_line_create, expense_create
from itpm.tracking.timesheets import time_entry_create, timesheet_approve, timesheet_submit

pytestmark = pytest.mark.django_db


def items(project: Project) -> dict[str, closing.ClosureItem]:
    return {item.key: item for item in closing.closure_checklist(project)}


@pytest.fixture
def buyer(people: dict[str, User], settings: Any) -> User:
    """Pat from procurement, who approves orders below the manager's threshold alone."""
    settings.ITPM_PROCUREMENT_MANAGER_THRESHOLD = 100_000
    user = User.objects.create_user(username="pat", password="x", email="pat@example.com")
    Team.objects.create(name="Procurement", kind=TeamKind.PROCUREMENT).members.add(user)
    return user


def _order(people: dict[str, User], project: Project, buyer: User) -> PurchaseOrder:
    line = budget_line_create(actor=people["owner"], project=project, category="hardware",
                              name="Switches", months={"2027-02": "20000.00"})  # fmt: skip
    request = purchase_request_create(
        actor=people["member"], project=project, title="Core switches", vendor="Northwind",
        line=line, justification="End of life", submit=True,
        items=[{"description": "Switch", "quantity": "2", "unit_price": "8000.00"}],
    )  # fmt: skip
    request = purchase_request_approve(actor=buyer, request=request, version=request.version)
    return purchase_order_create(actor=buyer, request=request, order_date=dt.date(2027, 2, 1))


def test_purchase_orders_are_open_until_every_order_is_closed(
    people: dict[str, User], project: Project, buyer: User
) -> None:
    assert items(project)["purchase_orders"].state == "not_applicable"
    order = _order(people, project, buyer)
    item = items(project)["purchase_orders"]
    assert item.state == "open" and order.number in item.detail
    # An invoice that bills goods nobody received is a mismatch: the budget is not
    # reconciled and the order cannot close until procurement accepts the difference.
    invoice = invoice_record(actor=buyer, order=order, number="INV-1", date=dt.date(2027, 2, 15),
                             lines=[{"line": order.lines.get().pk, "quantity": "2",
                                     "unit_price": "8000.00"}])  # fmt: skip
    assert invoice.match_state == "mismatch"
    budget = items(project)["budget"]
    assert budget.state == "open" and "1 invoice does not match" in budget.detail
    invoice_accept(actor=buyer, invoice=invoice, version=invoice.version, comment="Delivered")
    order.refresh_from_db()
    purchase_order_close(actor=buyer, order=order, version=order.version)
    after = items(project)
    assert after["purchase_orders"].state == "done", after["purchase_orders"].detail
    assert after["budget"].state == "done"
    assert after["budget"].detail == (
        "actual 16,000.00 USD of budget 20,000.00 USD, 4,000.00 USD under"
    )


def test_budget_waits_for_unapproved_time_and_reports_an_overrun(
    people: dict[str, User], project: Project, tasks: dict[str, Task]
) -> None:
    assert items(project)["budget"].state == "not_applicable"
    line = budget_line_create(actor=people["owner"], project=project, category="other",
                              name="Travel", months={"2027-01": "100.00"})  # fmt: skip
    expense_create(actor=people["manager"], project=project, line=line,
                   date=dt.date(2027, 1, 12), amount="150", description="Train")  # fmt: skip
    assert items(project)["budget"].detail.endswith("50.00 USD over")
    monday = dt.date(2027, 1, 4)
    time_entry_create(actor=people["member"], date=monday, hours="2", task=tasks["design"])
    budget = items(project)["budget"]
    assert budget.state == "open" and "1 timesheet not approved" in budget.detail
    (sheet,) = timesheet_submit(actor=people["member"], monday=monday)
    assert items(project)["budget"].state == "open"  # submitted is not approved yet
    timesheet_approve(actor=people["manager"], sheet=sheet, version=sheet.version)
    assert items(project)["budget"].state == "done"


def test_final_status_report_is_one_published_after_the_project_entered_closing(
    people: dict[str, User], project: Project
) -> None:
    manager = people["manager"]
    early = status_report_generate(actor=manager, project=project,
                                   status_date=timezone.localdate() - dt.timedelta(days=20))  # fmt: skip
    status_report_update(actor=manager, report=early, version=early.version,
                         data={"publish": True})  # fmt: skip
    item = items(project)["status_report"]
    assert item.state == "open" and "once the project is in closing" in item.detail
    GateReview.objects.create(
        project=project, from_stage=Stage.MONITORING, to_stage=Stage.CLOSING,
        status=GateStatus.DECIDED, decision=GateDecision.GO,
        decided_at=timezone.now() - dt.timedelta(days=5),
    )  # fmt: skip
    Project.objects.filter(pk=project.pk).update(stage=Stage.CLOSING)
    project.refresh_from_db()
    assert items(project)["status_report"].state == "open"  # the report predates closing
    final = status_report_generate(actor=manager, project=project,
                                   status_date=timezone.localdate())  # fmt: skip
    assert items(project)["status_report"].state == "open"  # a draft is not written yet
    status_report_update(actor=manager, report=final, version=final.version,
                         data={"publish": True})  # fmt: skip
    item = items(project)["status_report"]
    assert item.state == "done" and f"{timezone.localdate():%Y-%m-%d}" in item.detail


def test_the_closure_api_and_the_gates_page_show_the_computed_items(
    people: dict[str, User], project: Project, api: Any
) -> None:
    line = budget_line_create(actor=people["owner"], project=project, category="other",
                              name="Travel", months={"2027-01": "100.00"})  # fmt: skip
    expense_create(actor=people["manager"], project=project, line=line,
                   date=dt.date(2027, 1, 12), amount="40", description="Train")  # fmt: skip
    Project.objects.filter(pk=project.pk).update(stage=Stage.CLOSING)
    body = api("viewer").get(f"/api/v1/projects/{project.key}/closure").json()
    budget = next(x for x in body["checklist"] if x["key"] == "budget")
    assert budget == {"key": "budget", "label": "Budget reconciled", "state": "done",
                      "detail": "actual 40.00 USD of budget 100.00 USD, 60.00 USD under"}  # fmt: skip
    client = Client()
    client.force_login(people["viewer"])
    html = client.get(f"/projects/{project.key}/gates/").content.decode()
    assert "actual 40.00 USD of budget 100.00 USD" in html
