"""Template helpers for lifecycle bits shown on other apps' pages (project header, overview)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from itpm.portfolio.closing import lessons_for
from itpm.portfolio.models import Project, Stage, next_stage

register = template.Library()


@register.filter
def next_gate_label(project: Project) -> str:
    """'Planning' for a project in initiation; '' when there is no further gate."""
    if project.archived:
        return ""
    following = next_stage(project.stage)
    return Stage(following).label if following else ""


@register.inclusion_tag("portfolio/_lessons_offered.html")
def lessons_offered(project: Project) -> dict[str, Any]:
    """Lessons of earlier projects of the same category, while this one is young."""
    early = project.stage in (Stage.INITIATION, Stage.PLANNING)
    return {"lessons": lessons_for(project) if early else [], "project": project}


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """0.2041 -> '20.4 %'; None -> '—'."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f} %"


@register.simple_tag
def project_link(project: Project, member_of: set[int]) -> str:
    """The project's gates page, or its business case for a portfolio manager who is not a
    member (the gates page would answer 404)."""
    name = "portfolio:gates" if project.pk in member_of else "portfolio:business_case"
    return reverse(name, args=[project.key])
