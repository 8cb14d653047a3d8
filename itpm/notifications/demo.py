"""Demo data of notifications and task comments: a discussion with @mentions on PORTAL's
open tasks, a description that mentions a colleague, and the older notices read."""

from __future__ import annotations

from django.utils import timezone

from itpm.accounts.models import User
from itpm.accounts.permissions import project_role
from itpm.planning.models import Task, TaskStatus
from itpm.planning.services import task_update
from itpm.portfolio.models import Project


def load_notifications_demo(users: dict[str, User]) -> None:
    from itpm.collab.services import task_comment_create
    from itpm.notifications.models import Notification

    project = Project.objects.filter(key="PORTAL").first()
    if project is None:
        return
    pm = users["pm"]
    open_tasks = list(
        Task.objects.filter(project=project, children__isnull=True, milestone=False)
        .exclude(status__in=[TaskStatus.DONE, TaskStatus.CANCELLED])
        .order_by("wbs_sort")[:3]
    )
    team = [u for u in (users["dana"], users["sam"], users["lee"]) if project_role(u, project)]
    if not open_tasks or not team:
        return
    first = open_tasks[0]
    colleague = team[0]
    task_update(actor=pm, task=first, version=first.version, data={
        "description": f"Agree the API contract with the mobile team first.\n\n"
                       f"@{colleague.username} owns the **OpenAPI** draft; see the risk log.",
    })  # fmt: skip
    lines = [
        (pm, f"@{colleague.username} can you share the draft by *Thursday*? "
             "The vendor needs two days to review."),
        (colleague, f"Draft is up. @{pm.username} the auth flow still needs a decision:\n\n"
                    "- OAuth2 with PKCE\n- or session cookies behind the gateway"),
        (pm, "Let's go with **PKCE**; I logged it as a decision."),
    ]  # fmt: skip
    for author, body in lines:
        if project_role(author, project) is not None:
            task_comment_create(actor=author, task=first, body=body)
    for task, person in zip(open_tasks[1:], team[1:] or team, strict=False):
        if project_role(person, project) is not None:
            task_comment_create(actor=pm, task=task,
                                body=f"@{person.username} please update the estimate here.")  # fmt: skip
    # Everything but the last few notices of each person has been read, and the demo's
    # history is not mailed out when its worker starts (the queued jobs find it sent).
    now = timezone.now()
    Notification.objects.filter(emailed_at__isnull=True).exclude(email_mode="").update(
        emailed_at=now
    )
    for user in users.values():
        older = Notification.objects.filter(recipient=user).order_by("-created", "-id")[3:]
        Notification.objects.filter(pk__in=[n.pk for n in older]).update(read_at=now)
