"""Reads: a person's notices and unread count, and the calendar feeds' rows."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from itpm.accounts.models import User
from itpm.accounts.permissions import visible_projects
from itpm.notifications.models import Notification


def notification_list(user: User, *, unread: bool | None = None) -> QuerySet[Notification]:
    rows = Notification.objects.filter(recipient=user, in_app=True).select_related(
        "project", "actor"
    )
    if unread is True:
        rows = rows.filter(read_at__isnull=True)
    elif unread is False:
        rows = rows.filter(read_at__isnull=False)
    return rows


def unread_count(user: Any) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, in_app=True, read_at__isnull=True).count()


def feed_tasks(user: User) -> QuerySet[Any]:
    """The person's own work (assigned directly or through their resource) and the milestones
    of every project they can see now, archived projects left out."""
    from itpm.planning.models import Task

    projects = visible_projects(user).filter(archived=False)
    mine = Q(assignees=user) | Q(assignments__resource__user=user)
    return (
        Task.objects.filter(project__in=projects)
        .filter(mine | Q(milestone=True))
        .select_related("project")
        .distinct()
        .order_by("project__key", "wbs_sort")
    )


def feed_milestones(project: Any) -> QuerySet[Any]:
    from itpm.planning.models import Task

    return Task.objects.filter(project=project, milestone=True).select_related("project")
