"""Pages: Budget & time and Reports tabs, purchase orders, my timesheet, approvals, the task's
time page (timer, progress), the portfolio dashboard. Thin: parse, call, redirect or render.

A refused change (validation, role, state) redirects back with the message shown on the page;
things the user may not see are 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from itpm.accounts.permissions import request_user
from itpm.core.errors import NotFound, ServiceError
from itpm.planning import selectors as planning_selectors
from itpm.tracking import charts, procurement, reports, selectors, services, timesheets
from itpm.tracking.dashboards import portfolio_rollup
from itpm.tracking.earned_value import project_evm
from itpm.tracking.models import (
    RAG_DIMENSIONS,
    BudgetCategory,
    EarnedValueMethod,
    NonProjectCategory,
    Rag,
    Timer,
)
from itpm.tracking.money import week_start
from itpm.web.guards import deny_if_forbidden
from itpm.web.views import _context, _project


def _parse_date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _fail(request: HttpRequest, exc: ServiceError) -> None:
    messages.error(request, exc.detail)


def _found(call: Any, **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except NotFound:
        raise Http404("not found") from None


# ---------------------------------------------------------------------------- budget & time
@login_required
def project_budget(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    status_date = _parse_date(request.GET.get("date"), timezone.localdate())
    summary = selectors.budget_summary(project)
    evm = project_evm(project, status_date)
    history = [
        {
            "week": s.week_start.isoformat(),
            "ev": str(s.earned_value),
            "spi": s.spi,
            "cpi": s.cpi,
            "pv": s.planned_value,
            "ac": s.actual_cost,
            "status_date": s.status_date,
        }  # fmt: skip
        for s in selectors.evm_history(project)
    ]
    curve = charts.merge_history(evm.curve, history)
    current_week = week_start(status_date).isoformat()
    curve = [{**p, "ev": str(evm.earned_value)} if p["week"] == current_week else p for p in curve]
    return render(
        request,
        "tracking/project_budget.html",
        _context(
            request, project, "budget",
            summary=summary, evm=evm, status_date=status_date, history=history,
            s_curve=charts.s_curve_svg(curve, status_week=current_week),
            trend=charts.trend_svg(history), curve=curve,
            costs=selectors.costs(project),
            requests=selectors.visible_requests(request.user).filter(project=project)
            .select_related("procurement_approved_by", "manager_approved_by"),
            orders=selectors.visible_orders(request.user).filter(project=project),
            categories=BudgetCategory.choices,
            baselined=services.project_is_baselined(project),
            change_requests=services.approved_change_requests(project),
            is_buyer=procurement.is_procurement(request.user),
            month_inputs=_month_inputs(project),
        ),
    )  # fmt: skip


def _month_inputs(project: Any) -> list[str]:
    start = project.start_date or timezone.localdate()
    first = start.replace(day=1)
    months = []
    for _ in range(6):
        months.append(first.strftime("%Y-%m"))
        first = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def _back(key: str, anchor: str = "") -> HttpResponse:
    return redirect(reverse("tracking:project_budget", args=[key]) + anchor)


@login_required
@require_POST
def budget_line_create(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    months = {
        name.removeprefix("month_"): value
        for name, value in request.POST.items()
        if name.startswith("month_") and str(value).strip()
    }
    try:
        services.budget_line_create(
            actor=request_user(request), project=project,
            category=request.POST.get("category", ""), name=request.POST.get("name", ""),
            notes=request.POST.get("notes", ""), months=months,
            change_request=services.change_request_get(project, request.POST.get("change_request")),
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        _fail(request, exc)
    else:
        messages.success(request, "Budget line added.")
    return _back(project.key, "#budget")


@login_required
@require_POST
def expense_create(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    line = project.budget_lines.filter(pk=request.POST.get("line") or 0).first()
    try:
        if line is None:
            from itpm.core.errors import Invalid

            raise Invalid.field("line", "choose a budget line")
        services.expense_create(
            actor=request_user(request), project=project, line=line,
            date=_parse_date(request.POST.get("date"), timezone.localdate()),
            amount=request.POST.get("amount", ""), description=request.POST.get("description", ""),
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        _fail(request, exc)
    else:
        messages.success(request, "Expense recorded.")
    return _back(project.key, "#costs")


@login_required
@require_POST
def purchase_request_create(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    line = project.budget_lines.filter(pk=request.POST.get("line") or 0).first()
    items = []
    for index in range(1, 4):
        description = request.POST.get(f"item{index}_description", "").strip()
        if description:
            items.append({
                "description": description,
                "quantity": request.POST.get(f"item{index}_quantity", ""),
                "unit_price": request.POST.get(f"item{index}_unit_price", ""),
                "is_hardware": request.POST.get(f"item{index}_hardware") == "on",
            })  # fmt: skip
    try:
        if line is None:
            from itpm.core.errors import Invalid

            raise Invalid.field("line", "choose a budget line")
        created = procurement.purchase_request_create(
            actor=request_user(request), project=project, title=request.POST.get("title", ""),
            vendor=request.POST.get("vendor", ""), line=line,
            justification=request.POST.get("justification", ""), items=items,
            submit=request.POST.get("submit") == "on",
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        _fail(request, exc)
    else:
        messages.success(request, f"{created.number} created ({created.get_state_display()}).")
    return _back(project.key, "#procurement")


REQUEST_ACTIONS = {"submit", "approve", "reject", "order"}


@login_required
@require_POST
def purchase_request_action(request: HttpRequest, pr_id: int, action: str) -> HttpResponse:
    found = _found(selectors.request_get, user=request.user, request_id=pr_id)
    if action not in REQUEST_ACTIONS:
        raise Http404("no such action")
    actor = request_user(request)
    version = int(request.POST.get("version") or found.version)
    comment = request.POST.get("comment", "")
    try:
        if action == "submit":
            procurement.purchase_request_submit(actor=actor, request=found, version=version)
        elif action == "approve":
            procurement.purchase_request_approve(actor=actor, request=found, version=version,
                                                 comment=comment)  # fmt: skip
        elif action == "reject":
            procurement.purchase_request_reject(actor=actor, request=found, version=version,
                                                comment=comment)  # fmt: skip
        else:
            order = procurement.purchase_order_create(actor=actor, request=found)
            messages.success(request, f"{order.number} issued to {order.vendor}.")
            return redirect("tracking:order_detail", po_id=order.pk)
    except ServiceError as exc:
        deny_if_forbidden(exc)
        _fail(request, exc)
    else:
        messages.success(request, f"{found.number}: {action} done.")
    return _back(found.project.key, "#procurement")


@login_required
def order_detail(request: HttpRequest, po_id: int) -> HttpResponse:
    order = _found(selectors.order_get, user=request.user, order_id=po_id)
    quantities = procurement.order_quantities(order)
    lines = [{"line": ln, **quantities[ln.pk]} for ln in order.lines.all()]
    return render(
        request,
        "tracking/order_detail.html",
        _context(
            request,
            order.project,
            "budget",
            order=order,
            lines=lines,
            is_buyer=procurement.is_procurement(request.user),
            today=timezone.localdate(),
            has_hardware=procurement.order_has_hardware(order),
            assets=_order_assets(order),
        ),  # fmt: skip
    )


def _order_assets(order: Any) -> list[Any]:
    """Asset records made from this order's deliveries (when the assets app is installed)."""
    from django.apps import apps

    if not apps.is_installed("itpm.assets"):
        return []
    from itpm.assets.models import Asset

    return list(Asset.objects.filter(project=order.project, purchase_order=order.number))


@login_required
@require_POST
def order_action(request: HttpRequest, po_id: int, action: str) -> HttpResponse:
    order = _found(selectors.order_get, user=request.user, order_id=po_id)
    if action not in {"receive", "invoice", "close", "cancel"}:
        raise Http404("no such action")
    actor = request_user(request)
    day = _parse_date(request.POST.get("date"), timezone.localdate())
    try:
        if action == "close":
            procurement.purchase_order_close(actor=actor, order=order, version=order.version)
        elif action == "cancel":
            procurement.purchase_order_cancel(actor=actor, order=order, version=order.version,
                                              reason=request.POST.get("comment", ""))  # fmt: skip
        else:
            lines = []
            for line in order.lines.all():
                qty = request.POST.get(f"qty_{line.pk}", "").strip()
                if qty and qty != "0":
                    entry: dict[str, Any] = {"line": line.pk, "quantity": qty}
                    if action == "invoice":
                        entry["unit_price"] = request.POST.get(f"price_{line.pk}", "")
                    lines.append(entry)
            if action == "receive":
                procurement.goods_receipt_create(
                    actor=actor, order=order, lines=lines, date=day,
                    note=request.POST.get("note", ""),
                    create_assets=request.POST.get("create_assets") == "1",
                )  # fmt: skip
            else:
                invoice = procurement.invoice_record(actor=actor, order=order, lines=lines,
                                                     date=day, number=request.POST.get("number", ""))  # fmt: skip
                if invoice.mismatches:
                    messages.warning(request, "Invoice flagged: " + "; ".join(
                        m["message"] for m in invoice.mismatches))  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        _fail(request, exc)
    else:
        messages.success(request, f"{order.number}: {action} recorded.")
    return redirect("tracking:order_detail", po_id=order.pk)


# ---------------------------------------------------------------------------- reports
@login_required
def project_reports(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    if request.method == "POST":
        try:
            report = reports.status_report_generate(
                actor=request_user(request), project=project,
                status_date=_parse_date(request.POST.get("status_date"), timezone.localdate()),
            )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _fail(request, exc)
            return redirect("tracking:project_reports", key=project.key)
        messages.success(request, "Report generated: confirm or override the proposed RAG.")
        return redirect("tracking:report_detail", key=project.key, report_id=report.pk)
    return render(
        request,
        "tracking/project_reports.html",
        _context(
            request,
            project,
            "reports",
            reports=selectors.report_list(project),
            today=timezone.localdate(),
        ),  # fmt: skip
    )


def _report(request: HttpRequest, key: str, report_id: int) -> Any:
    project = _project(request, key)
    report = _found(selectors.report_get, user=request.user, report_id=report_id)
    if report.project_id != project.pk:
        raise Http404("not found")
    return project, report


@login_required
def report_detail(request: HttpRequest, key: str, report_id: int) -> HttpResponse:
    project, report = _report(request, key, report_id)
    if request.method == "POST":
        data: dict[str, Any] = {
            "rag": {d: request.POST.get(f"rag_{d}") for d in RAG_DIMENSIONS
                    if request.POST.get(f"rag_{d}")},
            "commentary": {d: request.POST.get(f"commentary_{d}", "") for d in RAG_DIMENSIONS},
            "summary": request.POST.get("summary", ""),
            "decisions_needed": request.POST.get("decisions_needed", ""),
        }  # fmt: skip
        if request.POST.get("publish") == "on":
            data["publish"] = True
        if report.state == "published":
            data = {}
        try:
            reports.status_report_update(actor=request_user(request), report=report,
                                         version=int(request.POST.get("version") or 0) or None,
                                         data=data)  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _fail(request, exc)
        else:
            messages.success(request, "Report saved.")
        return redirect("tracking:report_detail", key=project.key, report_id=report.pk)
    return render(
        request,
        "tracking/report_detail.html",
        _context(request, project, "reports", rags=Rag.choices, **reports.report_context(report)),
    )


@login_required
def report_pdf(request: HttpRequest, key: str, report_id: int) -> HttpResponse:
    project, report = _report(request, key, report_id)
    response = HttpResponse(reports.status_report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{project.key}-status-{report.status_date.isoformat()}.pdf"'
    )
    return response


@login_required
@require_POST
def report_send(request: HttpRequest, key: str, report_id: int) -> HttpResponse:
    project, report = _report(request, key, report_id)
    try:
        reports.status_report_send(actor=request_user(request), report=report)
    except ServiceError as exc:
        deny_if_forbidden(exc)
        _fail(request, exc)
    else:
        messages.success(
            request, "The report is on its way to: " + ", ".join(reports.recipients(report))
        )
    return redirect("tracking:report_detail", key=project.key, report_id=report.pk)


# ---------------------------------------------------------------------------- time
@login_required
def my_timesheet(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    monday = week_start(_parse_date(request.GET.get("week") or request.POST.get("week"),
                                    timezone.localdate()))  # fmt: skip
    if request.method == "POST":
        cells: dict[tuple[str, Any, dt.date], str] = {}
        notes: dict[tuple[str, Any], str] = {}
        for name, value in request.POST.items():
            parts = name.split("__")
            if len(parts) == 3 and parts[0] in ("task", "category"):
                ident: Any = (
                    int(parts[1]) if parts[0] == "task" and parts[1].isdigit() else parts[1]
                )
                day = _parse_date(parts[2], monday)
                if monday <= day < monday + dt.timedelta(days=7):
                    cells[(parts[0], ident, day)] = str(value)
            elif len(parts) == 3 and parts[0] == "notes":
                ident = int(parts[2]) if parts[1] == "task" and parts[2].isdigit() else parts[2]
                notes[(parts[1], ident)] = str(value)[:500]
        try:
            count = timesheets.timesheet_week_save(
                actor=user, monday=monday, cells=cells, notes=notes
            )
            if request.POST.get("submit_week") == "1":
                timesheets.timesheet_submit(actor=user, monday=monday)
                messages.success(request, "Week submitted for approval.")
            else:
                messages.success(request, f"Saved ({count} change{'s' if count != 1 else ''}).")
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _fail(request, exc)
        return redirect(reverse("tracking:my_timesheet") + f"?week={monday.isoformat()}")
    grid = selectors.week_grid(user=user, monday=monday)
    timer = Timer.objects.filter(user=user).select_related("task__project").first()
    return render(
        request,
        "tracking/my_timesheet.html",
        {
            **grid,
            "monday": monday,
            "previous": monday - dt.timedelta(days=7),
            "next": monday + dt.timedelta(days=7),
            "timer": timer,
            "max_hours": _max_hours(),
            "categories": NonProjectCategory.choices,
        },  # fmt: skip
    )


def _max_hours() -> int:
    from django.conf import settings

    return int(settings.ITPM_MAX_HOURS_PER_DAY)


@login_required
def timesheet_approvals(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    sheets = (
        selectors.visible_sheets(user)
        .filter(state="submitted", project__isnull=False)
        .exclude(user=user)
        .prefetch_related("entries__task")
        .order_by("week_start", "project__key", "user__username")
    )
    rows = [
        {"sheet": s, "hours": sum((e.hours for e in s.entries.all()), Decimal(0))} for s in sheets
    ]
    return render(request, "tracking/approvals.html", {"rows": rows})


@login_required
@require_POST
def timesheet_action(request: HttpRequest, sheet_id: int, action: str) -> HttpResponse:
    sheet = _found(selectors.sheet_get, user=request.user, sheet_id=sheet_id)
    if action not in {"approve", "reject"}:
        raise Http404("no such action")
    version = int(request.POST.get("version") or sheet.version)
    try:
        if action == "approve":
            timesheets.timesheet_approve(actor=request_user(request), sheet=sheet, version=version)
        else:
            timesheets.timesheet_reject(actor=request_user(request), sheet=sheet, version=version,
                                        comment=request.POST.get("comment", ""))  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        _fail(request, exc)
    else:
        messages.success(request, f"Timesheet of {sheet.user.display_name}: {action}d.")
    return redirect("tracking:timesheet_approvals")


@login_required
def task_time(request: HttpRequest, task_id: int) -> HttpResponse:
    """The task's time page: timer, progress and remaining work, and the time logged on it."""
    task = _found(planning_selectors.task_get, user=request.user, task_id=task_id)
    entries = selectors.visible_entries(request.user).filter(task=task).order_by("-date")[:100]
    from itpm.tracking.models import TaskProgress

    progress = TaskProgress.objects.filter(task=task).first()
    timer = Timer.objects.filter(user=request_user(request)).select_related("task").first()
    return render(
        request,
        "tracking/task_time.html",
        _context(
            request,
            task.project,
            "budget",
            task=task,
            entries=entries,
            progress=progress,
            timer=timer,
            methods=EarnedValueMethod.choices,
        ),  # fmt: skip
    )


@login_required
@require_POST
def task_progress(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _found(planning_selectors.task_get, user=request.user, task_id=task_id)
    try:
        percent = request.POST.get("percent_complete", "").strip()
        timesheets.task_progress_update(
            actor=request_user(request), task=task,
            percent_complete=int(percent) if percent.isdigit() else None,
            remaining_hours=request.POST.get("remaining_hours", "").strip() or None,
            ev_method=request.POST.get("ev_method") or None,
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        _fail(request, exc)
    else:
        messages.success(request, "Progress saved.")
    return redirect("tracking:task_time", task_id=task.pk)


@login_required
@require_POST
def timer_start(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _found(planning_selectors.task_get, user=request.user, task_id=task_id)
    try:
        timesheets.timer_start(actor=request_user(request), task=task)
    except ServiceError as exc:
        deny_if_forbidden(exc)
        _fail(request, exc)
    else:
        messages.success(request, f"Timer started on {task}.")
    return redirect(request.POST.get("next") or reverse("tracking:task_time", args=[task.pk]))


@login_required
@require_POST
def timer_stop(request: HttpRequest) -> HttpResponse:
    try:
        entry = timesheets.timer_stop(
            actor=request_user(request), notes=request.POST.get("notes", ""),
            hours=request.POST.get("hours", "").strip() or None,
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        _fail(request, exc)
        return redirect("tracking:my_timesheet")
    messages.success(request, f"{entry.hours} h logged on {entry.task}.")
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//")
                    else reverse("tracking:my_timesheet"))  # fmt: skip


# ---------------------------------------------------------------------------- dashboard
SORTS = {"project", "name", "stage_value", "spi", "cpi", "burn", "budget_at_completion",
         "estimate_at_completion"}  # fmt: skip


@login_required
def portfolio_dashboard(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "project")
    if sort.lstrip("-") not in SORTS:
        sort = "project"
    today = timezone.localdate()
    data = portfolio_rollup(request.user, today, sort=sort)
    counts = {r: {d: 0 for d in RAG_DIMENSIONS} for r in Rag.values}
    for row in data["projects"]:
        for dim in RAG_DIMENSIONS:
            counts[row["rag"].get(dim, "green")][dim] += 1
    return render(request, "tracking/dashboard.html", {**data, "sort": sort,
                                                      "rag_counts": counts,
                                                      "dimensions": RAG_DIMENSIONS})  # fmt: skip
