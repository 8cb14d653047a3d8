"""Permission-scoped reads of budgets, costs, procurement, time and earned value."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from itpm.accounts.permissions import visible_projects
from itpm.core.errors import NotFound
from itpm.portfolio.models import Project
from itpm.tracking.models import (
    ZERO,
    BudgetCategory,
    BudgetLine,
    BudgetPeriod,
    EvmSnapshot,
    Expense,
    Invoice,
    PurchaseOrder,
    PurchaseRequest,
    StatusReport,
    TimeEntry,
    Timesheet,
)
from itpm.tracking.procurement import is_procurement, line_commitments


# ---------------------------------------------------------------------------- budget
def project_budget_total(project: Project) -> Decimal:
    """The project's budget (all lines, contingency included, management reserve excluded).

    For the business case (issue 5) and dashboards; the caller has already checked that the
    user may see ``project``.
    """
    total = BudgetPeriod.objects.filter(line__project=project).aggregate(t=Sum("amount"))["t"]
    return total or ZERO


def project_budget_by_month(project: Project) -> dict[dt.date, Decimal]:
    """Budget per month (first day of the month → amount), all lines together."""
    result: dict[dt.date, Decimal] = defaultdict(Decimal)
    for month, amount in BudgetPeriod.objects.filter(line__project=project).values_list(
        "month", "amount"
    ):
        result[month] += amount
    return dict(sorted(result.items()))


def budget_lines(project: Project) -> QuerySet[BudgetLine]:
    return BudgetLine.objects.filter(project=project).prefetch_related("periods")


def budget_summary(project: Project) -> dict[str, Any]:
    """Per line: budget, committed, actual, remaining and forecast at completion.

    Labour actuals (time entries) book to the first internal-labour line; without one they
    show on a line of their own. Forecast = actual + committed, or the budget when more is
    still expected (a line is not forecast to spend less than its budget until it is closed
    out); the labour line forecasts actual labour + the remaining work of the tasks.
    """
    from itpm.tracking.earned_value import labour_cost_total, project_evm

    lines = list(budget_lines(project))
    commitments = line_commitments(project)
    expenses: dict[int, Decimal] = defaultdict(Decimal)
    for line_id, amount in Expense.objects.filter(project=project).values_list("line_id", "amount"):
        expenses[line_id] += amount
    labour = labour_cost_total(project)
    labour_line = next((ln for ln in lines if ln.category == BudgetCategory.INTERNAL_LABOUR), None)
    rows: list[dict[str, Any]] = []
    months: set[dt.date] = set()
    for line in lines:
        periods = {p.month: p.amount for p in line.periods.all()}
        months.update(periods)
        budget = sum(periods.values(), ZERO)
        c = commitments.get(line.pk, {"committed": ZERO, "invoiced": ZERO, "disputed": ZERO})
        actual = c["invoiced"] + expenses.get(line.pk, ZERO)
        if labour_line is not None and line.pk == labour_line.pk:
            actual += labour
        forecast = max(budget, actual + c["committed"] + c["disputed"])
        rows.append({"line": line, "periods": periods, "budget": budget,
                     "committed": c["committed"], "disputed": c["disputed"], "actual": actual,
                     "remaining": budget - actual - c["committed"], "forecast": forecast,
                     "labour": labour_line is not None and line.pk == labour_line.pk})  # fmt: skip
    if labour_line is None and labour:
        rows.append({"line": None, "periods": {}, "budget": ZERO, "committed": ZERO,
                     "disputed": ZERO, "actual": labour, "remaining": -labour,
                     "forecast": labour, "labour": True})  # fmt: skip
    from django.utils import timezone

    evm = project_evm(project, timezone.localdate())
    # The labour forecast: what is spent plus the remaining work of the tasks (bottom-up).
    for row in rows:
        if row["labour"] and evm.source == "baseline tasks":
            remaining_work = evm.remaining_task_work
            row["forecast"] = max(row["actual"] + row["committed"], row["actual"] + remaining_work)
    from itpm.tracking.services import finance_get

    finance = finance_get(project)
    total = {k: sum((r[k] for r in rows), ZERO)
             for k in ("budget", "committed", "disputed", "actual", "remaining", "forecast")}  # fmt: skip
    return {
        "rows": rows,
        "months": sorted(months),
        "total": total,
        "management_reserve": finance.management_reserve,
        "finance": finance,
        "currency": project.currency,
    }


def costs(
    project: Project, *, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> dict[str, Any]:
    """Actual costs by kind and by month (labour, expenses, invoices)."""
    from itpm.tracking.earned_value import actual_cost_rows

    rows = actual_cost_rows(project)
    if date_from:
        rows = [r for r in rows if r[0] >= date_from]
    if date_to:
        rows = [r for r in rows if r[0] <= date_to]
    by_month: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"labour": ZERO, "expense": ZERO, "invoice": ZERO}
    )
    totals = {"labour": ZERO, "expense": ZERO, "invoice": ZERO}
    for day, amount, kind in rows:
        by_month[day.strftime("%Y-%m")][kind] += amount
        totals[kind] += amount
    hours = TimeEntry.objects.filter(project=project).aggregate(h=Sum("hours"))["h"] or ZERO
    return {
        "totals": totals,
        "total": sum(totals.values(), ZERO),
        "by_month": dict(sorted(by_month.items())),
        "labour_hours": Decimal(hours).quantize(Decimal("0.01")),
        "currency": project.currency,
    }


# ---------------------------------------------------------------------------- procurement
def visible_requests(user: Any) -> QuerySet[PurchaseRequest]:
    """Requests of projects the user sees; the procurement team sees every request."""
    qs = PurchaseRequest.objects.select_related("project", "line", "requested_by")
    qs = qs.prefetch_related("items")
    if is_procurement(user):
        return qs
    return qs.filter(project__in=visible_projects(user))


def visible_orders(user: Any) -> QuerySet[PurchaseOrder]:
    qs = PurchaseOrder.objects.select_related("project", "line", "request").prefetch_related(
        "lines", "receipts__lines", "invoices__lines"
    )
    if is_procurement(user):
        return qs
    return qs.filter(project__in=visible_projects(user))


def request_get(*, user: Any, request_id: int) -> PurchaseRequest:
    request = visible_requests(user).filter(pk=request_id).first()
    if request is None:
        raise NotFound(f"purchase request {request_id} not found")
    return request


def order_get(*, user: Any, order_id: int) -> PurchaseOrder:
    order = visible_orders(user).filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"purchase order {order_id} not found")
    return order


def invoice_get(*, user: Any, invoice_id: int) -> Invoice:
    invoice = (
        Invoice.objects.select_related("order__project")
        .filter(pk=invoice_id, order__in=visible_orders(user))
        .first()
    )
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    return invoice


def line_get(*, user: Any, line_id: int) -> BudgetLine:
    line = (
        BudgetLine.objects.select_related("project")
        .prefetch_related("periods")
        .filter(pk=line_id, project__in=visible_projects(user))
        .first()
    )
    if line is None:
        raise NotFound(f"budget line {line_id} not found")
    return line


# ---------------------------------------------------------------------------- time
def visible_sheets(user: Any) -> QuerySet[Timesheet]:
    """Your own sheets, and the sheets of projects you manage (to approve them)."""
    from itpm.accounts.models import Role
    from itpm.accounts.permissions import is_admin

    qs = Timesheet.objects.select_related("user", "project", "decided_by")
    if is_admin(user):
        return qs
    if user is None or not user.is_authenticated:
        return qs.none()
    managed = visible_projects(user).filter(
        memberships__user=user, memberships__role__in=(Role.MANAGER, Role.OWNER)
    )
    return qs.filter(Q(user=user) | Q(project__in=managed))


def visible_entries(user: Any) -> QuerySet[TimeEntry]:
    from itpm.accounts.models import Role
    from itpm.accounts.permissions import is_admin

    qs = TimeEntry.objects.select_related("user", "project", "task", "timesheet")
    if is_admin(user):
        return qs
    if user is None or not user.is_authenticated:
        return qs.none()
    managed = visible_projects(user).filter(
        memberships__user=user, memberships__role__in=(Role.MANAGER, Role.OWNER)
    )
    return qs.filter(Q(user=user) | Q(project__in=managed))


def sheet_get(*, user: Any, sheet_id: int) -> Timesheet:
    sheet = visible_sheets(user).filter(pk=sheet_id).first()
    if sheet is None:
        raise NotFound(f"timesheet {sheet_id} not found")
    return sheet


def entry_get(*, user: Any, entry_id: int) -> TimeEntry:
    entry = visible_entries(user).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(f"time entry {entry_id} not found")
    return entry


def week_grid(*, user: Any, monday: dt.date) -> dict[str, Any]:
    """The rows of a person's week: tasks they are assigned to (directly or through their
    resource) in open projects they belong to, tasks they already logged time on, and the
    non-project categories."""
    from itpm.planning.models import Task, TaskStatus
    from itpm.portfolio.models import Stage
    from itpm.tracking.models import NonProjectCategory, TimeEntry

    days = [monday + dt.timedelta(days=i) for i in range(7)]
    entries = list(
        TimeEntry.objects.filter(user=user, date__gte=days[0], date__lte=days[-1]).select_related(
            "task", "project"
        )
    )
    projects = visible_projects(user).filter(archived=False).exclude(stage=Stage.CLOSED)
    assigned = (
        Task.objects.filter(project__in=projects, children__isnull=True)
        .filter(Q(assignees=user) | Q(assignments__resource__user=user))
        .exclude(status__in=(TaskStatus.DONE, TaskStatus.CANCELLED))
        .select_related("project")
        .distinct()
    )
    tasks = {t.pk: t for t in assigned}
    for entry in entries:
        if entry.task_id and entry.task_id not in tasks and entry.task is not None:
            tasks[entry.task_id] = entry.task
    cells: dict[tuple[str, Any, dt.date], TimeEntry] = {}
    for entry in entries:
        key = ("task", entry.task_id) if entry.task_id else ("category", entry.category)
        cells[(key[0], key[1], entry.date)] = entry
    rows = []
    for task in sorted(tasks.values(), key=lambda t: (t.project.key, t.wbs_sort)):
        row_cells = [cells.get(("task", task.pk, d)) for d in days]
        rows.append({"kind": "task", "id": task.pk, "task": task, "label": f"{task.project.key} {task.wbs_code} {task.name}",
                     "cells": row_cells, "total": sum((c.hours for c in row_cells if c), ZERO),
                     "notes": next((c.notes for c in row_cells if c and c.notes), "")})  # fmt: skip
    for value, label in NonProjectCategory.choices:
        row_cells = [cells.get(("category", value, d)) for d in days]
        rows.append({"kind": "category", "id": value, "task": None, "label": label,
                     "cells": row_cells, "total": sum((c.hours for c in row_cells if c), ZERO),
                     "notes": next((c.notes for c in row_cells if c and c.notes), "")})  # fmt: skip
    day_totals = [sum((e.hours for e in entries if e.date == d), ZERO) for d in days]
    sheets = list(Timesheet.objects.filter(user=user, week_start=monday).select_related("project"))
    return {"days": days, "rows": rows, "day_totals": day_totals,
            "total": sum(day_totals, ZERO), "sheets": sheets,
            "locked": {s.project_id for s in sheets if s.state in ("submitted", "approved")}}  # fmt: skip


# ---------------------------------------------------------------------------- EVM, reports
def evm_history(project: Project) -> QuerySet[EvmSnapshot]:
    return EvmSnapshot.objects.filter(project=project).order_by("week_start")


def report_list(project: Project) -> QuerySet[StatusReport]:
    return StatusReport.objects.filter(project=project).select_related("created_by")


def report_get(*, user: Any, report_id: int) -> StatusReport:
    report = (
        StatusReport.objects.select_related("project", "created_by")
        .filter(pk=report_id, project__in=visible_projects(user))
        .first()
    )
    if report is None:
        raise NotFound(f"status report {report_id} not found")
    return report
