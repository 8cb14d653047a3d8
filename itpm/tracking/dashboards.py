"""Dashboards: one project's tiles (for the Overview page) and the portfolio roll-up."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from itpm.accounts.permissions import visible_projects
from itpm.planning.models import Task, TaskStatus
from itpm.portfolio.models import Project
from itpm.tracking.earned_value import EvmResult, project_evm
from itpm.tracking.models import ZERO, StatusReport
from itpm.tracking.money import cents
from itpm.tracking.reports import control_items, propose_rag
from itpm.tracking.services import finance_get

RATIO = Decimal("0.001")


def _open_tickets(project: Project) -> int | None:
    """Open help-desk tickets linked to the project (None when the help desk is not there)."""
    try:
        from itpm.helpdesk.models import OPEN_STATUSES, Ticket
    except ImportError:
        return None
    return Ticket.objects.filter(project=project, status__in=OPEN_STATUSES).count()


def project_dashboard(project: Project, today: dt.date) -> dict[str, Any]:
    """The tiles of a project's Overview: stage, RAG, SPI/CPI, budget burn, next milestones,
    top risks, open tickets. The caller has checked that the user may see ``project``."""
    evm = project_evm(project, today)
    finance = finance_get(project)
    items = control_items(project)
    report = StatusReport.objects.filter(project=project).order_by("-status_date", "-id").first()
    if report is not None:
        rag, rag_source = report.rag, f"status report of {report.status_date.isoformat()}"
    else:
        rag, _ = propose_rag(project, evm, finance, items, today)
        rag_source = "proposed from today's figures"
    milestones = list(
        Task.objects.filter(project=project, milestone=True)
        .exclude(status__in=(TaskStatus.DONE, TaskStatus.CANCELLED))
        .order_by("planned_finish", "wbs_sort")[:4]
    )
    burn = (
        (evm.actual_cost / evm.budget_at_completion * 100).quantize(Decimal("0.1"))
        if evm.budget_at_completion
        else None
    )
    return {
        "evm": evm,
        "rag": rag,
        "rag_source": rag_source,
        "report": report,
        "burn": burn,
        "burn_width": min(int(burn or 0), 100),
        "milestones": milestones,
        "risks": items.get("risks", [])[:3],
        "open_tickets": _open_tickets(project),
        "management_reserve": finance.management_reserve,
    }


def _row(project: Project, evm: EvmResult, rag: dict[str, str]) -> dict[str, Any]:
    return {"project": project.key, "name": project.name, "stage": project.get_stage_display(),
            "stage_value": project.stage, "currency": project.currency,
            "budget_at_completion": evm.budget_at_completion, "planned_value": evm.planned_value,
            "earned_value": evm.earned_value, "actual_cost": evm.actual_cost, "spi": evm.spi,
            "cpi": evm.cpi, "estimate_at_completion": evm.estimate_at_completion,
            "burn": (evm.actual_cost / evm.budget_at_completion * 100).quantize(Decimal("0.1"))
                    if evm.budget_at_completion else None,
            "rag": rag, "manager": project.manager.display_name if project.manager else ""}  # fmt: skip


def portfolio_rollup(user: Any, today: dt.date, *, sort: str = "project") -> dict[str, Any]:
    """Every visible, not archived project with its EVM and RAG; totals per currency.

    Portfolio SPI = ΣEV / ΣPV and CPI = ΣEV / ΣAC over the projects of one currency (the
    indices of a portfolio are ratios of sums, not averages of ratios).
    """
    rows = []
    projects = visible_projects(user).filter(archived=False).select_related("manager", "calendar")
    latest: dict[int, dict[str, str]] = {}
    for report in StatusReport.objects.filter(project__in=projects).order_by("status_date", "id"):
        latest[report.project_id] = report.rag
    for project in projects:
        evm = project_evm(project, today)
        rag = latest.get(project.pk)
        if rag is None:
            rag, _ = propose_rag(project, evm, finance_get(project), control_items(project), today)
        rows.append(_row(project, evm, rag))
    totals: dict[str, dict[str, Decimal | None]] = defaultdict(
        lambda: {
            k: ZERO
            for k in (
                "budget_at_completion",
                "planned_value",
                "earned_value",
                "actual_cost",
                "estimate_at_completion",
            )
        }  # fmt: skip
    )
    for row in rows:
        bucket = totals[row["currency"]]
        for key in ("budget_at_completion", "planned_value", "earned_value", "actual_cost"):
            bucket[key] = (bucket[key] or ZERO) + row[key]
        bucket["estimate_at_completion"] = (bucket["estimate_at_completion"] or ZERO) + (
            row["estimate_at_completion"] or row["budget_at_completion"]
        )
    for bucket in totals.values():
        pv, ev, ac = bucket["planned_value"], bucket["earned_value"], bucket["actual_cost"]
        bucket["spi"] = (ev / pv).quantize(RATIO) if pv and ev is not None else None
        bucket["cpi"] = (ev / ac).quantize(RATIO) if ac and ev is not None else None
        for key in ("budget_at_completion", "planned_value", "earned_value", "actual_cost",
                    "estimate_at_completion"):  # fmt: skip
            value = bucket[key]
            bucket[key] = cents(value) if value is not None else None
    reverse = sort.startswith("-")
    key = sort.lstrip("-")
    if rows and key in rows[0]:
        rows.sort(
            key=lambda r: (r[key] is None, r[key] if r[key] is not None else 0), reverse=reverse
        )
    return {"status_date": today, "projects": rows, "totals": dict(totals)}
