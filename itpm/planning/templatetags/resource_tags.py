"""Template pieces of resource planning that other apps' pages include (the plan page)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import template
from django.templatetags.tz import do_timezone

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


@register.filter
def in_zone(value: Any, zone: Any) -> Any:
    """A datetime or ISO 8601 text (as a stored leveling run holds) shown in ``zone``.

    The answer keeps the zone through the ``date`` filter (which otherwise converts to the
    viewer's zone): ``{{ m.new_start|in_zone:project.schedule_zone|date:"Y-m-d H:i" }}``.
    Empty or unreadable text gives "" (the ``default`` filter then applies).
    """
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return ""
    if not isinstance(value, dt.datetime):
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if isinstance(zone, str):
        try:
            zone = zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = dt.UTC
    return do_timezone(value, zone or dt.UTC)


@register.filter
def assigned_people(task: Any) -> dict[str, Any]:
    """Who works on a task, each person once.

    A task has assignees (users it is given to: notifications, "my work") and resource
    assignments (who or what does the work, with units: load and cost). Both are kept;
    a user who is also assigned as a resource (``Resource.user``) is shown once, as the
    resource. ``users``: assignees without such a resource; ``assignments``: all resource
    assignments; ``merged``: the ids of the users shown through their resource.
    """
    assignments = list(task.assignments.all())
    resource_users = {a.resource.user_id for a in assignments if a.resource.user_id}
    assignees = list(task.assignees.all())
    users = [u for u in assignees if u.pk not in resource_users]
    merged = {u.pk for u in assignees} & resource_users
    return {"users": users, "assignments": assignments, "merged": merged}


@register.filter
def own_calendars(task: Any) -> list[str]:
    """ "Nina on Night shift" for each resource of a task scheduled on their own calendars
    ("Dana on the project calendar" for the others).

    Empty when the task runs on the project calendar (no resource with its own calendar, a
    milestone, an elapsed duration, a summary): see ``scheduling.task_calendars``.
    """
    if task.milestone or task.elapsed or task.children.exists():
        return []
    project_calendar = task.project.calendar_id
    assignments = list(
        task.assignments.select_related("resource__calendar").order_by("resource__name")
    )

    def own(resource: Resource) -> bool:
        return resource.calendar_id is not None and resource.calendar_id != project_calendar

    if not any(own(a.resource) for a in assignments):
        return []
    return [
        f"{a.resource.name} on {a.resource.calendar.name if own(a.resource) else 'the project calendar'}"
        for a in assignments
    ]
