"""Use cases of status reports: generate for a date (figures frozen, RAG proposed from
thresholds), confirm or override the RAG with commentary, publish, render as PDF, e-mail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from itpm.accounts.models import Membership, Role, User
from itpm.accounts.permissions import require_role
from itpm.core.errors import Conflict, Invalid
from itpm.core.services import apply_changes, audit, check_version, save_versioned
from itpm.planning.models import Task, TaskStatus
from itpm.portfolio.models import Project
from itpm.tracking import charts
from itpm.tracking.earned_value import EvmResult, project_evm
from itpm.tracking.models import RAG_DIMENSIONS, ProjectFinance, Rag, ReportState, StatusReport
from itpm.tracking.money import week_start
from itpm.tracking.services import finance_get


def _index_rag(value: Decimal | None, red: Decimal, amber: Decimal) -> str:
    if value is None:
        return Rag.GREEN
    if value < red:
        return Rag.RED
    if value < amber:
        return Rag.AMBER
    return Rag.GREEN


def _worst(*values: str) -> str:
    order = [Rag.GREEN, Rag.AMBER, Rag.RED]
    return max(values, key=lambda v: order.index(Rag(v)))


def control_items(project: Project) -> dict[str, list[dict[str, Any]]]:
    """Hook for the control app (issue 7): top risks, open issues and pending changes.

    When ``itpm.control.selectors.status_report_items(project)`` exists it returns
    ``{"risks": [{"title", "score", "owner"}], "issues": [...], "changes": [...]}``;
    until then the sections are empty.
    """
    from django.apps import apps

    empty: dict[str, list[dict[str, Any]]] = {"risks": [], "issues": [], "changes": []}
    if not apps.is_installed("itpm.control"):
        return empty
    try:
        from itpm.control import selectors as control
    except ImportError:
        return empty
    items = getattr(control, "status_report_items", None)
    return items(project) if items else empty


def propose_rag(
    project: Project, evm: EvmResult, finance: ProjectFinance, items: dict[str, Any], today: dt.date
) -> tuple[dict[str, str], dict[str, str]]:
    """RAG per dimension from thresholds, with the reason for each proposal."""
    spi = evm.spi_t if evm.spi_t is not None else evm.spi
    # A deadline is a moment; "past it on the status date" is read in the plan's zone (a
    # deadline at 09:00 in Auckland is the day before in UTC), not the server's.
    day_start = dt.datetime.combine(today, dt.time(0, 0), tzinfo=project.schedule_zone)
    cutoff = _end_of_day(project, today)
    late = [
        task
        for task in Task.objects.filter(
            project=project, milestone=True, deadline__lt=day_start
        ).exclude(status=TaskStatus.CANCELLED)
        if not _done_by(task, cutoff)
    ]
    schedule = _index_rag(spi, finance.spi_red, finance.spi_amber)
    reasons = {"schedule": f"SPI {evm.spi or '—'}, SPI(t) {evm.spi_t or '—'} "
                           f"(red below {finance.spi_red}, amber below {finance.spi_amber})"}  # fmt: skip
    if late:
        schedule = _worst(schedule, Rag.AMBER)
        reasons["schedule"] += f"; {len(late)} milestone(s) past their deadline"
    cost = _index_rag(evm.cpi, finance.cpi_red, finance.cpi_amber)
    reasons["cost"] = (f"CPI {evm.cpi or '—'} (red below {finance.cpi_red}, "
                       f"amber below {finance.cpi_amber})")  # fmt: skip
    if (
        evm.estimate_at_completion is not None
        and evm.budget_at_completion
        and (evm.estimate_at_completion > evm.budget_at_completion + finance.management_reserve)
    ):
        cost = Rag.RED
        reasons["cost"] += "; the forecast exceeds the budget plus the management reserve"
    pending = len(items.get("changes", []))
    scope = Rag.AMBER if pending else Rag.GREEN
    reasons["scope"] = f"{pending} change request(s) pending"
    top = max((int(r.get("score") or 0) for r in items.get("risks", [])), default=0)
    risk = Rag.RED if top >= 15 else Rag.AMBER if top >= 10 else Rag.GREEN
    reasons["risk"] = f"highest open risk score {top or '—'} (red from 15, amber from 10)"
    blocked = Task.objects.filter(project=project, status=TaskStatus.BLOCKED).count()
    issues = len(items.get("issues", []))
    quality = Rag.AMBER if blocked or issues else Rag.GREEN
    reasons["quality"] = f"{blocked} blocked task(s), {issues} open issue(s)"
    rag = {"schedule": schedule, "cost": cost, "scope": scope, "risk": risk, "quality": quality}
    return {k: str(Rag(v).value) for k, v in rag.items()}, reasons


def _milestones(project: Project, status_date: dt.date) -> dict[str, list[dict[str, Any]]]:
    rows = Task.objects.filter(project=project, milestone=True).order_by(
        "planned_finish", "wbs_sort"
    )
    # The dates are days of the plan's calendar (the zone the Gantt shows them in), frozen as
    # text: the database hands back UTC, and neither the reader's nor the server's zone applies.
    zone = project.schedule_zone
    cutoff = _end_of_day(project, status_date)
    done, upcoming = [], []
    for task in rows:
        finished = _done_by(task, cutoff)
        reached = (task.actual_finish or task.completed_at) if finished else None
        when = reached or task.planned_finish
        item = {"wbs": task.wbs_code, "name": task.name,
                "date": when.astimezone(zone).date().isoformat() if when else None,
                "deadline": task.deadline.astimezone(zone).date().isoformat()
                if task.deadline else None}  # fmt: skip
        if finished:
            done.append(item)
        elif task.status != TaskStatus.CANCELLED:
            upcoming.append(item)
    return {"done": done[-5:], "next": upcoming[:5]}


def _end_of_day(project: Project, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=project.schedule_zone
    )


def _done_by(task: Task, cutoff: dt.datetime) -> bool:
    """Done at ``cutoff``: a report for a past date does not count later completions (a
    task marked done without a finish time counts as done)."""
    if task.status != TaskStatus.DONE:
        return False
    moment = task.actual_finish or task.completed_at
    return moment is None or moment < cutoff


def _snapshot_rows(project: Project) -> list[dict[str, Any]]:
    from itpm.tracking.selectors import evm_history

    return [
        {
            "week": s.week_start.isoformat(),
            "pv": str(s.planned_value),
            "ev": str(s.earned_value),
            "ac": str(s.actual_cost),
            "spi": None if s.spi is None else str(s.spi),
            "cpi": None if s.cpi is None else str(s.cpi),
        }  # fmt: skip
        for s in evm_history(project)
    ]


def report_figures(
    project: Project, status_date: dt.date
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Everything a report freezes at generation, and the proposed RAG with its reasons."""
    evm = project_evm(project, status_date)
    finance = finance_get(project)
    items = control_items(project)
    rag, reasons = propose_rag(project, evm, finance, items, status_date)
    history = _snapshot_rows(project)
    current = {"week": week_start(status_date).isoformat(), "ev": str(evm.earned_value),
               "spi": None if evm.spi is None else str(evm.spi),
               "cpi": None if evm.cpi is None else str(evm.cpi)}  # fmt: skip
    history = [h for h in history if h["week"] < current["week"]] + [current]
    data = {
        "evm": evm.as_dict(),
        "history": history,
        "milestones": _milestones(project, status_date),
        "risks": items.get("risks", [])[:5],
        "issues": items.get("issues", [])[:5],
        "changes": items.get("changes", [])[:5],
        "reasons": reasons,
        "project": {
            "key": project.key,
            "name": project.name,
            "stage": project.get_stage_display(),
            "manager": project.manager.display_name if project.manager else "",
            "currency": project.currency,
        },  # fmt: skip
    }
    return data, rag, reasons


def status_report_generate(*, actor: User, project: Project, status_date: dt.date) -> StatusReport:
    require_role(actor, project, Role.MANAGER)
    data, rag, _ = report_figures(project, status_date)
    with transaction.atomic():
        report = StatusReport.objects.create(
            project=project, status_date=status_date, proposed_rag=rag, rag=dict(rag),
            data=data, created_by=actor,
        )  # fmt: skip
        audit(actor=actor, action="status_report.generate", obj=report, project=project,
              changes={"status_date": [None, status_date.isoformat()], "rag": [None, rag]})  # fmt: skip
    return report


def status_report_update(
    *, actor: User, report: StatusReport, version: int | None, data: dict[str, Any]
) -> StatusReport:
    """Confirm or override the RAG (with commentary), edit the summary and decisions, publish."""
    project = report.project
    require_role(actor, project, Role.MANAGER)
    unknown = set(data) - {"rag", "commentary", "summary", "decisions_needed", "publish"}
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    clean: dict[str, Any] = {}
    if "rag" in data and data["rag"] is not None:
        rag = dict(report.rag)
        for key, value in data["rag"].items():
            if key not in RAG_DIMENSIONS:
                raise Invalid.field(f"rag.{key}", f"one of {', '.join(RAG_DIMENSIONS)}")
            if value not in Rag.values:
                raise Invalid.field(f"rag.{key}", f"must be one of {', '.join(Rag.values)}")
            rag[key] = value
        clean["rag"] = rag
    if "commentary" in data and data["commentary"] is not None:
        commentary = dict(report.commentary)
        for key, value in data["commentary"].items():
            if key not in RAG_DIMENSIONS:
                raise Invalid.field(f"commentary.{key}", f"one of {', '.join(RAG_DIMENSIONS)}")
            commentary[key] = str(value or "")[:5000]
        clean["commentary"] = commentary
    for name in ("summary", "decisions_needed"):
        if name in data and data[name] is not None:
            clean[name] = str(data[name])[:20_000]
    overridden = [
        k for k, v in clean.get("rag", report.rag).items() if v != report.proposed_rag.get(k)
    ]
    commentary = clean.get("commentary", report.commentary)
    missing = [k for k in overridden if not (commentary.get(k) or "").strip()]
    if missing:
        raise Invalid.field(f"commentary.{missing[0]}", "say why the proposed RAG is overridden")
    with transaction.atomic():
        report = StatusReport.objects.select_for_update().get(pk=report.pk)
        check_version(report, version)
        if report.state == ReportState.PUBLISHED and clean:
            raise Conflict("a published report is kept as it was sent; generate a new one")
        if data.get("publish"):
            clean["state"] = ReportState.PUBLISHED
            clean["published_at"] = timezone.now()
        changes = apply_changes(report, clean)
        if changes:
            save_versioned(report, list(changes))
            audit(actor=actor, action="status_report.update", obj=report, project=project,
                  changes={k: v for k, v in changes.items() if k != "published_at"})  # fmt: skip
    return report


def recipients(report: StatusReport) -> list[str]:
    project = report.project
    finance = finance_get(project)
    people = Membership.objects.filter(
        project=project, role__in=(Role.MANAGER, Role.OWNER)
    ).values_list("user__email", flat=True)
    extra = [project.sponsor.email] if project.sponsor and project.sponsor.email else []
    return sorted({e for e in [*people, *extra, *finance.report_recipients] if e})


def status_report_send(*, actor: User, report: StatusReport) -> StatusReport:
    """Queue the e-mail of the report (PDF attached) to the stakeholders."""
    from itpm.tracking.tasks import send_status_report_job

    project = report.project
    require_role(actor, project, Role.MANAGER)
    to = recipients(report)
    if not to:
        raise Conflict(
            "nobody to send to: add report recipients or e-mail addresses to the managers"
        )
    with transaction.atomic():
        event = audit(actor=actor, action="status_report.send", obj=report, project=project,
                      changes={"to": [None, to]})  # fmt: skip
        # The audit event names this send: its mail's Message-ID stays the same if the job
        # reruns, and differs when the manager sends the report again.
        transaction.on_commit(lambda: send_status_report_job.enqueue(report.pk, to, event.pk))
    return report


def report_context(report: StatusReport) -> dict[str, Any]:
    """What the page and the PDF show: the frozen figures and the two charts."""
    data = report.data
    evm = data.get("evm", {})
    curve = charts.merge_history(evm.get("curve", []), data.get("history", []))
    rag_rows = [
        {
            "name": d,
            "rag": report.rag.get(d, "green"),
            "proposed": report.proposed_rag.get(d),
            "reason": data.get("reasons", {}).get(d, ""),
            "commentary": report.commentary.get(d, ""),
        }  # fmt: skip
        for d in RAG_DIMENSIONS
    ]
    return {
        "report": report,
        "data": data,
        "evm": evm,
        "rag_rows": rag_rows,
        "curve": curve,
        "s_curve": charts.s_curve_svg(
            curve, status_week=week_start(report.status_date).isoformat()
        ),
        "trend": charts.trend_svg(data.get("history", [])),
    }


def status_report_pdf(report: StatusReport) -> bytes:
    import logging

    from django.contrib.staticfiles import finders
    from weasyprint import CSS, HTML

    # WeasyPrint narrates every layout step at INFO; the server log needs only its warnings.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    html = render_to_string("tracking/status_report_pdf.html", report_context(report))
    stylesheet = finders.find("tracking/report-pdf.css")
    return bytes(
        HTML(string=html).write_pdf(
            stylesheets=[CSS(filename=str(stylesheet))] if stylesheet else []
        )
    )
