"""Task comment use cases: add, edit own (versioned), delete own; audit and notify."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from itpm.accounts.models import ROLE_RANK, Role, User
from itpm.accounts.permissions import require_role
from itpm.collab.models import TaskComment
from itpm.core.errors import Forbidden, Invalid
from itpm.core.services import audit, check_version, save_versioned
from itpm.notifications.events import task_url
from itpm.notifications.mentions import can_see, mentioned_users, mentions_notify
from itpm.notifications.models import Kind
from itpm.notifications.services import notification_send
from itpm.planning.models import Task

MAX_BODY = 20_000


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise Invalid.field("body", "write something")
    if len(body) > MAX_BODY:
        raise Invalid.field("body", f"at most {MAX_BODY} characters")
    return body


def _where(task: Task) -> str:
    return f"{task.project.key} task {task.wbs_code} {task.name}".strip()


def _notify(actor: User, comment: TaskComment, *, new: bool) -> None:
    task = comment.task
    mentioned = mentions_notify(
        text=comment.body, project=comment.project, actor=actor,
        what=f"a comment on {_where(task)}", url=task_url(task.pk) + f"#comment-{comment.pk}",
        dedupe_key=f"mention:comment:{comment.pk}",
    )  # fmt: skip
    if not new:
        return
    # The people working on the task hear of a new comment (unless mentioned already).
    told = {n.recipient_id for n in mentioned} | {
        u.pk for u in mentioned_users(comment.body, comment.project)
    }
    workers = {u.pk: u for u in task.assignees.filter(is_active=True)}
    for assignment in task.assignments.select_related("resource__user"):
        if assignment.resource.user is not None:
            workers[assignment.resource.user.pk] = assignment.resource.user
    notification_send(
        recipients=[u for pk, u in workers.items()
                    if pk != actor.pk and pk not in told and can_see(u, comment.project)],
        kind=Kind.COMMENT, text=f"{actor.display_name} commented on {_where(task)}",
        url=task_url(task.pk) + f"#comment-{comment.pk}", project=comment.project, actor=actor,
    )  # fmt: skip


def task_comment_create(*, actor: User, task: Task, body: str) -> TaskComment:
    project = task.project
    require_role(actor, project, Role.MEMBER)
    body = _clean_body(body)
    with transaction.atomic():
        comment = TaskComment.objects.create(task=task, project=project, author=actor, body=body)
        audit(actor=actor, action="task_comment.create", obj=comment, project=project,
              changes={"task": [None, task.wbs_code], "body": [None, body]})  # fmt: skip
        _notify(actor, comment, new=True)
    return comment


def task_comment_update(
    *, actor: User, comment: TaskComment, version: int | None, body: str
) -> TaskComment:
    project = comment.project
    require_role(actor, project, Role.MEMBER)
    if comment.author_id != actor.pk:
        raise Forbidden("only its author may edit a comment")
    body = _clean_body(body)
    with transaction.atomic():
        comment = (
            TaskComment.objects.select_for_update()
            .select_related("task", "project")
            .get(pk=comment.pk)
        )
        check_version(comment, version)
        if body != comment.body:
            before = comment.body
            comment.body, comment.edited_at = body, timezone.now()
            save_versioned(comment, ["body", "edited_at"])
            audit(actor=actor, action="task_comment.update", obj=comment, project=project,
                  changes={"body": [before, body]})  # fmt: skip
            _notify(actor, comment, new=False)
    return comment


def task_comment_delete(*, actor: User, comment: TaskComment, version: int | None = None) -> None:
    """Its author deletes a comment; a project manager may remove anyone's (moderation)."""
    project = comment.project
    role = require_role(actor, project, Role.MEMBER)
    if comment.author_id != actor.pk and ROLE_RANK[role] < ROLE_RANK[Role.MANAGER]:
        raise Forbidden("only its author (or the project's manager) may delete a comment")
    with transaction.atomic():
        locked = TaskComment.objects.select_for_update().get(pk=comment.pk)
        check_version(locked, version)
        audit(actor=actor, action="task_comment.delete", obj=locked, project=project,
              changes={"body": [locked.body, None]})  # fmt: skip
        locked.delete()
