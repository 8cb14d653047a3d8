"""Template pieces of resource planning that other apps' pages include (the plan page)."""

from __future__ import annotations

from typing import Any

from django import template

from itpm.planning.models import Resource

register = template.Library()


@register.inclusion_tag("planning/_assign_form.html", takes_context=True)
def assign_form(context: dict[str, Any], project: Any, tasks: list[Any]) -> dict[str, Any]:
    """The plan page's "Assign a resource" form: leaf tasks x active resources."""
    return {
        "project": project,
        "tasks": [t for t in tasks if not getattr(t, "child_count", 0) and not t.milestone],
        "resources": list(Resource.objects.filter(active=True).order_by("name")),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
