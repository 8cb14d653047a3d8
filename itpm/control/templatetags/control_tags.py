"""Template tags other apps' pages use to show control data (escalated risks)."""

from __future__ import annotations

from typing import Any

from django import template

from itpm.accounts.permissions import visible_projects
from itpm.control import selectors

register = template.Library()


@register.inclusion_tag("control/_escalated_risks.html")
def escalated_risks(user: Any) -> dict[str, Any]:
    """Open risks escalated to the portfolio, across the projects the user may see here."""
    from itpm.portfolio.intake import is_portfolio_manager
    from itpm.portfolio.models import Project

    projects = Project.objects.all() if is_portfolio_manager(user) else visible_projects(user)
    return {"risks": selectors.escalated_risks(projects.filter(archived=False))}
