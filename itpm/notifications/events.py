"""Notices derived from the audit events the other apps' services write.

Every use case already writes one AuditEvent, in its own transaction, naming what changed.
Listening to those events lets this app notify about task assignments, description
@mentions, approvals requested (change-board, timesheets, purchase requests) and published
status reports without each of those services knowing about notifications; the notice is
written in the same transaction as the change, so a rolled-back change notifies nobody.
(The lifecycle and help desk call ``itpm.portfolio.notify.notify`` explicitly instead.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

from itpm.accounts.models import Membership, Role, User
from itpm.core.models import AuditEvent
from itpm.notifications.mentions import can_see, mentions_notify
from itpm.notifications.models import Kind
from itpm.notifications.services import notification_send

log = logging.getLogger(__name__)


def task_url(task_id: Any) -> str:
    return f"/tasks/{task_id}/discussion/"


def _managers(project: Any) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            project=project, role__in=(Role.MANAGER, Role.OWNER)
        ).select_related("user")
    ]


def _task(event: AuditEvent) -> None:
    from itpm.planning.models import Task

    task = Task.objects.filter(pk=event.object_id).select_related("project").first()
    if task is None:
        return
    changes = event.changes or {}
    if "description" in changes:
        mentions_notify(
            text=task.description, project=task.project, actor=event.actor,
            what=f"{task.project.key} task {task.wbs_code} {task.name}", url=task_url(task.pk),
            dedupe_key=f"mention:task:{task.pk}",
        )  # fmt: skip
    if "assignees" in changes:
        before, after = changes["assignees"]
        added = set(after or []) - set(before or [])
        people = User.objects.filter(username__in=added)
        notification_send(
            recipients=[u for u in people if event.actor_id != u.pk], kind=Kind.ASSIGNMENT,
            text=f"You were assigned to {task.project.key} {task.wbs_code} {task.name}",
            url=task_url(task.pk), project=task.project, actor=event.actor,
        )  # fmt: skip


def _assignment(event: AuditEvent) -> None:
    from itpm.planning.models import Assignment

    found = (
        Assignment.objects.filter(pk=event.object_id)
        .select_related("task", "resource__user", "project")
        .first()
    )
    if found is None or found.resource.user is None or found.resource.user_id == event.actor_id:
        return
    # Resources are shared across projects: their person may have no role on this one.
    if not can_see(found.resource.user, found.project):
        return
    task = found.task
    notification_send(
        recipients=[found.resource.user], kind=Kind.ASSIGNMENT,
        text=f"You were assigned to {found.project.key} {task.wbs_code} {task.name} "
        f"at {found.units * 100:.0f} %",
        url=task_url(task.pk), project=found.project, actor=event.actor,
        dedupe_key=f"assignment:{found.pk}",
    )  # fmt: skip


def _change_request(event: AuditEvent) -> None:
    from itpm.control.models import ChangeRequest

    change = ChangeRequest.objects.filter(pk=event.object_id).select_related("project").first()
    if change is None:
        return
    project = change.project
    notification_send(
        recipients=[u for u in change.board.all() if u.pk != event.actor_id],
        kind=Kind.APPROVAL,
        text=f"Your vote is requested: {project.key} {change.code} {change.title}",
        url=f"/projects/{project.key}/changes/{change.pk}/", project=project, actor=event.actor,
        dedupe_key=f"approval:change:{change.pk}:{change.version}",
    )  # fmt: skip


def _timesheet(event: AuditEvent) -> None:
    from itpm.tracking.models import Timesheet

    sheet = Timesheet.objects.filter(pk=event.object_id).select_related("project", "user").first()
    if sheet is None or sheet.project is None or sheet.state != "submitted":
        return
    notification_send(
        recipients=[u for u in _managers(sheet.project) if u.pk != sheet.user_id],
        kind=Kind.APPROVAL,
        text=f"{sheet.user.display_name} submitted the {sheet.project.key} timesheet of the "
        f"week of {sheet.week_start.isoformat()} for approval",
        url="/timesheet/approvals/", project=sheet.project, actor=event.actor,
        dedupe_key=f"approval:timesheet:{sheet.pk}:{sheet.version}",
    )  # fmt: skip


def _purchase_request(event: AuditEvent) -> None:
    from itpm.accounts.models import TeamKind
    from itpm.tracking.models import PurchaseRequest

    request = PurchaseRequest.objects.filter(pk=event.object_id).select_related("project").first()
    if request is None or request.state != "submitted":
        return
    project = request.project
    people = list(User.objects.filter(teams__kind=TeamKind.PROCUREMENT, is_active=True))
    if request.needs_manager:
        people += _managers(project)
    notification_send(
        recipients=[u for u in people if u.pk != event.actor_id], kind=Kind.APPROVAL,
        text=f"Your approval is requested: {project.key} purchase request {request.number} "
        f"{request.title}",
        url=f"/projects/{project.key}/budget/", project=project, actor=event.actor,
        dedupe_key=f"approval:purchase:{request.pk}:{request.version}",
    )  # fmt: skip


def _status_report(event: AuditEvent) -> None:
    from itpm.tracking.models import StatusReport

    state = (event.changes or {}).get("state")
    if not state or state[-1] != "published":
        return
    report = StatusReport.objects.filter(pk=event.object_id).select_related("project").first()
    if report is None:
        return
    project = report.project
    members = [m.user for m in Membership.objects.filter(project=project).select_related("user")]
    notification_send(
        recipients=[u for u in members if u.pk != event.actor_id], kind=Kind.STATUS_REPORT,
        text=f"{project.key} status report of {report.status_date.isoformat()} is published",
        url=f"/projects/{project.key}/reports/{report.pk}/", project=project, actor=event.actor,
        dedupe_key=f"status_report:{report.pk}",
    )  # fmt: skip


HANDLERS: dict[str, Callable[[AuditEvent], None]] = {
    "task.create": _task,
    "task.update": _task,
    "assignment.create": _assignment,
    "change_request.submit": _change_request,
    "timesheet.submit": _timesheet,
    "purchase_request.submit": _purchase_request,
    "status_report.update": _status_report,
}


def on_audit_event(event: AuditEvent) -> None:
    handler = HANDLERS.get(event.action)
    if handler is None:
        return
    try:
        # A savepoint: a failure here never breaks the use case that wrote the event.
        with transaction.atomic():
            handler(event)
    except Exception:  # noqa: BLE001 - a notice is not worth failing someone's change
        log.exception("notifications for %s %s failed", event.action, event.object_id)


def connect() -> None:
    """Listen to ``audit()`` the way the webhooks app does (core.services.AUDIT_LISTENERS)."""
    from itpm.core.services import AUDIT_LISTENERS

    if on_audit_event not in AUDIT_LISTENERS:
        AUDIT_LISTENERS.append(on_audit_event)
