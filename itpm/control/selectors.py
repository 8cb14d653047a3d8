"""Reads of the control app. The caller passes a project the user may see (``get_visible_project``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import QuerySet

from itpm.control.models import (
    IMPACT_SCALE,
    OPEN_ISSUE_STATUSES,
    PROBABILITY_SCALE,
    ChangeRequest,
    ChangeStatus,
    Decision,
    Deliverable,
    ForecastRun,
    Issue,
    Risk,
    RiskStatus,
)
from itpm.portfolio.models import Project

HEAT_VIEWS = ("before", "after")


def risk_list(
    project: Project,
    *,
    status: str | None = None,
    category: str | None = None,
    probability: int | None = None,
    impact: int | None = None,
    view: str = "before",
    escalated: bool | None = None,
    review_due: dt.date | None = None,
) -> QuerySet[Risk]:
    """Risks of the project, filtered; ``probability``/``impact`` read the ``view``'s values;
    ``review_due`` keeps the open risks whose review date is on or before that day.

    In the "after" view a risk without a residual assessment counts at its inherent values:
    no response recorded means no reduction.
    """
    risks = Risk.objects.filter(project=project).select_related("owner")
    if status:
        risks = risks.filter(status=status)
    if category:
        risks = risks.filter(category=category)
    if escalated is not None:
        risks = risks.filter(escalated=escalated)
    if review_due is not None:
        risks = risks.filter(status=RiskStatus.OPEN, review_date__lte=review_due)
    rows = risks.order_by("number")
    if probability is None and impact is None:
        return rows
    ids = [
        risk.pk
        for risk in rows
        if (probability is None or _cell(risk, view)[0] == probability)
        and (impact is None or _cell(risk, view)[1] == impact)
    ]
    return Risk.objects.filter(pk__in=ids).select_related("owner").order_by("number")


def _cell(risk: Risk, view: str) -> tuple[int, int]:
    if view == "after":
        return (risk.residual_probability or risk.probability, risk.residual_impact or risk.impact)
    return (risk.probability, risk.impact)


def heat_counts(project: Project, view: str = "before") -> dict[tuple[int, int], int]:
    """Open risks per (probability, impact) cell."""
    return dict(
        Counter(_cell(r, view) for r in Risk.objects.filter(project=project, status="open"))
    )


def _band(score: int) -> str:
    return "high" if score >= 15 else "medium" if score >= 8 else "low"


_FILL = {"high": "#e5534b", "medium": "#f2c94c", "low": "#6fcf97"}


def heat_map(project: Project, view: str, base_url: str) -> dict[str, Any]:
    """The 5 x 5 grid as drawable cells: position, colour, count and the filtered list URL."""
    counts = heat_counts(project, view)
    size, left, top = 56, 70, 10
    cells = []
    for probability in range(5, 0, -1):
        for impact in range(1, 6):
            count = counts.get((probability, impact), 0)
            band = _band(probability * impact)
            cells.append(
                {
                    "probability": probability, "impact": impact, "count": count,
                    "score": probability * impact, "band": band, "fill": _FILL[band],
                    "x": left + (impact - 1) * size, "y": top + (5 - probability) * size,
                    "cx": left + (impact - 1) * size + size // 2,
                    "cy": top + (5 - probability) * size + size // 2 + 6,
                    "url": f"{base_url}?view={view}&probability={probability}&impact={impact}"
                           f"&status=open#register",
                }
            )  # fmt: skip
    return {
        "view": view,
        "cells": cells,
        "size": size,
        "left": left,
        "top": top,
        "width": left + 5 * size + 10,
        "height": top + 5 * size + 40,
        "total": sum(counts.values()),
        "axis_impact": [{"n": n, "x": left + (n - 1) * size + size // 2} for n in range(1, 6)],
        "axis_probability": [
            {"n": n, "y": top + (5 - n) * size + size // 2 + 5} for n in range(1, 6)
        ],  # fmt: skip
    }


def scales() -> dict[str, Any]:
    return {"probability": PROBABILITY_SCALE, "impact": IMPACT_SCALE}


def top_risks(project: Project, limit: int = 5) -> list[Risk]:
    risks = list(Risk.objects.filter(project=project, status="open").select_related("owner"))
    risks.sort(key=lambda r: (-r.score, r.number))
    return risks[:limit]


def issue_list(project: Project, *, status: str | None = None) -> QuerySet[Issue]:
    issues = Issue.objects.filter(project=project).select_related("owner")
    if status == "open":
        issues = issues.filter(status__in=OPEN_ISSUE_STATUSES)
    elif status:
        issues = issues.filter(status=status)
    return issues.prefetch_related("tasks", "risks").order_by("number")


def change_list(project: Project, *, status: str | None = None) -> QuerySet[ChangeRequest]:
    changes = ChangeRequest.objects.filter(project=project).select_related("requested_by")
    if status:
        changes = changes.filter(status=status)
    return changes.prefetch_related("board", "votes__approver").order_by("-number")


def decision_list(project: Project) -> QuerySet[Decision]:
    return Decision.objects.filter(project=project).order_by("-date", "-id")


def deliverable_list(project: Project) -> QuerySet[Deliverable]:
    return (
        Deliverable.objects.filter(project=project)
        .select_related("owner", "accepted_by", "task")
        .prefetch_related("checks__reviewer", "defects")
        .order_by("due_date", "id")
    )


def forecast_runs(project: Project) -> QuerySet[ForecastRun]:
    return ForecastRun.objects.filter(project=project).order_by("-created_at", "-id")


def forecast_latest(project: Project) -> ForecastRun | None:
    return forecast_runs(project).filter(status="done").first()


def escalated_risks(projects: Any) -> list[Risk]:
    """Open risks escalated to the portfolio, across the given projects (already scoped)."""
    risks = list(
        Risk.objects.filter(project__in=projects, escalated=True, status="open").select_related(
            "project", "owner"
        )
    )
    risks.sort(key=lambda r: (-r.score, r.project.key, r.number))
    return risks


# ---------------------------------------------------------------------------- hooks
def status_report_items(project: Project) -> dict[str, list[dict[str, Any]]]:
    """Top risks, open issues and pending changes for status reports and the dashboard."""
    return {
        "risks": [
            {
                "title": f"{r.code} {r.title}",
                "score": r.score,
                "owner": r.owner.display_name if r.owner else "",
            }
            for r in top_risks(project)
        ],  # fmt: skip
        "issues": [
            {
                "title": f"{i.code} {i.title}",
                "severity": i.severity,
                "owner": i.owner.display_name if i.owner else "",
            }
            for i in issue_list(project, status="open")[:5]
        ],  # fmt: skip
        "changes": [
            {"title": f"{c.code} {c.title}", "status": c.status}
            for c in ChangeRequest.objects.filter(
                project=project, status__in=[ChangeStatus.SUBMITTED, ChangeStatus.APPROVED]
            ).order_by("number")
        ],
    }


def closure_deliverables(project: Project) -> tuple[str, str]:
    deliverables = list(
        Deliverable.objects.filter(project=project).values_list("status", flat=True)
    )
    if not deliverables:
        return "not_applicable", "no deliverables recorded"
    waiting = sum(1 for s in deliverables if s != "accepted")
    if waiting:
        return "open", f"{waiting} of {len(deliverables)} deliverables not accepted yet"
    return "done", f"all {len(deliverables)} deliverables accepted"


def closure_risks_issues(project: Project) -> tuple[str, str]:
    risks = Risk.objects.filter(project=project, status="open").count()
    issues = Issue.objects.filter(project=project, status__in=OPEN_ISSUE_STATUSES).count()
    if risks or issues:
        return "open", f"{risks} open risks and {issues} open issues"
    return "done", "no open risks or issues"


def register_closure_checks() -> None:
    try:
        from itpm.portfolio.closing import register_closure_check
    except ImportError:
        return
    register_closure_check("deliverables", "Deliverables accepted", closure_deliverables)
    register_closure_check(
        "risks_issues", "Open risks and issues closed or handed over", closure_risks_issues
    )
