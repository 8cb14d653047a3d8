"""Objects and bodies of the tracking routes for the permission matrix.

``build_tracking`` runs inside ``tests.world.build_world`` (before the world's baseline picture
of the database): per site, APL ("own", by its owner, time by mia) and ZED ("foreign", by zoe,
time by extra), a budget line, purchase requests in each state, an open order, an order with a
flagged invoice, a time entry, a submitted timesheet and a status report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from itpm.tracking import procurement, reports, services, timesheets
from itpm.tracking.models import Timer

WEEK = dt.date(2027, 1, 4)  # a Monday
OBJECTS: dict[str, dict[str, Any]] = {}


def _site_objects(world: Any, target: str) -> dict[str, Any]:
    users = world.users
    owner, worker = (users["zoe"], users["extra"]) if target == "foreign" else (
        users["owner"], users["member"])  # fmt: skip
    admin = users["admin"]
    site = world.sites[target]
    project = site.project
    design = site.tasks["design"]
    line = services.budget_line_create(actor=owner, project=project, category="hardware",
                                       name="Matrix line", months={"2027-02": "1000.00"})  # fmt: skip
    spare = services.budget_line_create(actor=owner, project=project, category="other",
                                        name="Spare line")  # fmt: skip
    # The resource world baselines the projects afterwards: budget changes then need this.
    from itpm.control.models import ChangeRequest

    change = ChangeRequest.objects.create(project=project, number=900, title="Matrix budget",
                                          status="approved")  # fmt: skip

    def request(title: str, submit: bool = True) -> Any:
        # Over the default manager threshold, so that the project's manager approves too.
        return procurement.purchase_request_create(
            actor=owner, project=project, title=title, vendor="V", line=line,
            justification="matrix", submit=submit,
            items=[{"description": "Server", "quantity": "2", "unit_price": "6000.00"}],
        )  # fmt: skip

    def approved(title: str) -> Any:
        made = request(title)
        return procurement.purchase_request_approve(actor=admin, request=made, version=made.version)

    order = procurement.purchase_order_create(actor=admin, request=approved("Ordered"))
    flagged_order = procurement.purchase_order_create(actor=admin, request=approved("Flagged"))
    flagged = procurement.invoice_record(
        actor=admin, order=flagged_order, number="M-1",
        lines=[{"line": flagged_order.lines.get().pk, "quantity": "1", "unit_price": "6500.00"}],
    )  # fmt: skip
    entry = timesheets.time_entry_create(actor=worker, task=design, date=WEEK, hours="2")
    monday = WEEK + dt.timedelta(days=7)
    timesheets.time_entry_create(actor=worker, task=design, date=monday, hours="3")
    sheet = timesheets.timesheet_submit(actor=worker, monday=monday)[0]
    report = reports.status_report_generate(actor=owner, project=project,
                                            status_date=dt.date(2027, 1, 29))  # fmt: skip
    return {
        "line": line, "spare": spare, "draft": request("Draft", submit=False),
        "submitted": request("Submitted"), "approved": approved("Approved"), "order": order,
        "invoice": flagged, "entry": entry, "sheet": sheet, "report": report, "task": design, "cr": change,
    }  # fmt: skip


def build_tracking(world: Any) -> None:
    OBJECTS.clear()
    for target in ("own", "foreign"):
        OBJECTS[target] = _site_objects(world, target)


def destroy_tracking() -> None:
    """Rows that protect budget lines, orders and timesheets go first."""
    from itpm.tracking import models

    models.Timer.objects.all().delete()
    models.TimeEntry.objects.all().delete()
    models.Timesheet.objects.all().delete()
    models.InvoiceLine.objects.all().delete()
    models.Invoice.objects.all().delete()
    models.ReceiptLine.objects.all().delete()
    models.GoodsReceipt.objects.all().delete()
    models.PurchaseOrder.objects.all().delete()
    models.PurchaseRequest.objects.all().delete()
    models.Expense.objects.all().delete()
    models.BudgetLine.objects.all().delete()
    models.StatusReport.objects.all().delete()
    models.ProjectFinance.objects.all().delete()
    models.EvmSnapshot.objects.all().delete()
    models.TaskProgress.objects.all().delete()


def _get(case: Any, name: str) -> Any:
    obj = OBJECTS["foreign" if case.target == "foreign" else "own"][name]
    return type(obj).objects.get(pk=obj.pk)


TRACKING_PARAMS: dict[str, Any] = {
    "line_id": lambda c, o: str(_get(c, o or "line").pk),
    "pr_id": lambda c, o: str(_get(c, o or "submitted").pk),
    "po_id": lambda c, o: str(_get(c, "order").pk),
    "invoice_id": lambda c, o: str(_get(c, "invoice").pk),
    "entry_id": lambda c, o: str(_get(c, "entry").pk),
    "sheet_id": lambda c, o: str(_get(c, "sheet").pk),
    "report_id": lambda c, o: str(_get(c, "report").pk),
}
TRACKING_SCOPED = tuple(f"{{{name}}}" for name in TRACKING_PARAMS)


# ---------------------------------------------------------------------------- bodies
def line_patch(c: Any) -> dict[str, Any]:
    return {"version": _get(c, "line").version, "months": {"2027-03": "500.00"},
            "change_request": _get(c, "cr").pk}  # fmt: skip


def line_body(c: Any) -> dict[str, Any]:
    return {"category": "cloud", "name": "Matrix cloud", "months": {"2027-02": "10.00"},
            "change_request": _get(c, "cr").pk}  # fmt: skip


def finance_patch(c: Any) -> dict[str, Any]:
    return {"version": services.finance_get(c.project).version, "management_reserve": "250.00",
            "change_request": _get(c, "cr").pk}  # fmt: skip


def expense_body(c: Any) -> dict[str, Any]:
    return {
        "line": _get(c, "line").pk,
        "date": "2027-01-05",
        "amount": "10.00",
        "description": "Cable",
    }


def request_body(c: Any) -> dict[str, Any]:
    return {"project": c.project.key, "title": "New", "vendor": "V", "line": _get(c, "line").pk,
            "justification": "j", "items": [{"description": "d", "quantity": "1",
                                              "unit_price": "5.00"}]}  # fmt: skip


def decision(name: str) -> Any:
    return lambda c: {"version": _get(c, name).version, "comment": "matrix"}


def order_body(c: Any) -> dict[str, Any]:
    return {"request": _get(c, "approved").pk}


def _order_line(c: Any) -> int:
    return int(_get(c, "order").lines.get().pk)


def receipt_body(c: Any) -> dict[str, Any]:
    return {"lines": [{"line": _order_line(c), "quantity": "1"}]}


def invoice_body(c: Any) -> dict[str, Any]:
    return {
        "number": "X-1",
        "lines": [{"line": _order_line(c), "quantity": "1", "unit_price": "6000.00"}],
    }


def close_body(c: Any) -> dict[str, Any]:
    return {"version": _get(c, "order").version}


def cancel_body(c: Any) -> dict[str, Any]:
    return {"version": _get(c, "order").version, "comment": "Vendor cannot deliver"}


def accept_body(c: Any) -> dict[str, Any]:
    return {"version": _get(c, "invoice").version, "comment": "agreed"}


def entry_body(c: Any) -> dict[str, Any]:
    return {"task": _get(c, "task").pk, "date": "2027-01-06", "hours": "1"}


def entry_patch(c: Any) -> dict[str, Any]:
    return {"version": _get(c, "entry").version, "hours": "3"}


def submit_body(c: Any) -> dict[str, Any]:
    return {"week": WEEK.isoformat()}  # only the site's worker (mia) has time that week


def sheet_body(c: Any) -> dict[str, Any]:
    return {"version": _get(c, "sheet").version, "comment": "please split"}


def timer_body(c: Any) -> dict[str, Any]:
    return {"task": _get(c, "task").pk}


TIMER_ACTORS = ("member", "manager", "owner", "admin")


def running_timer(c: Any) -> dict[str, Any]:
    """Start a timer for a caller who may log time on the site's task; others have none."""
    from django.utils import timezone

    if c.actor in TIMER_ACTORS:
        Timer.objects.create(user=c.world.users[c.actor], task=_get(c, "task"),
                             started_at=timezone.now())  # fmt: skip
    return {}


def report_patch(c: Any) -> dict[str, Any]:
    return {"version": _get(c, "report").version, "summary": "On track"}


def receive_form(c: Any) -> dict[str, Any]:
    return {f"qty_{_order_line(c)}": "1"}


def grid_form(c: Any) -> dict[str, Any]:
    return {"week": WEEK.isoformat(), f"category__training__{WEEK.isoformat()}": "2"}


def line_form(c: Any) -> dict[str, Any]:
    return {"name": "Form line", "category": "other", "month_2027-02": "100.00",
            "change_request": str(_get(c, "cr").pk)}  # fmt: skip


def request_form(c: Any) -> dict[str, Any]:
    return {"title": "T", "vendor": "V", "line": _get(c, "line").pk, "justification": "j",
            "item1_description": "d", "item1_quantity": "1", "item1_unit_price": "5.00"}  # fmt: skip
