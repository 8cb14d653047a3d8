"""Permission-scoped reads of projects and their activity."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from itpm.accounts.permissions import visible_projects
from itpm.core.models import AuditEvent
from itpm.portfolio.models import Project


def project_list(
    *,
    user: Any,
    stage: str | None = None,
    category: str | None = None,
    archived: bool | None = None,
    search: str | None = None,
) -> QuerySet[Project]:
    projects = visible_projects(user).select_related("manager", "sponsor").order_by("key")
    if stage:
        projects = projects.filter(stage=stage)
    if category:
        projects = projects.filter(category=category)
    if archived is not None:
        projects = projects.filter(archived=archived)
    if search:
        projects = projects.filter(Q(name__icontains=search) | Q(key__icontains=search))
    return projects


def project_activity(*, project: Project, action: str | None = None) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(project=project).select_related("actor")
    if action:
        events = events.filter(action__startswith=action)
    return events.order_by("-created_at", "-id")
