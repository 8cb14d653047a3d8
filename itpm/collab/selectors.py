"""Reads of task comments, always through the projects the reader can see."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from itpm.accounts.permissions import visible_projects
from itpm.collab.models import TaskComment
from itpm.core.errors import NotFound
from itpm.planning.models import Assignment, Task

MAX_ID = 2**63 - 1


def visible_task(user: Any, task_id: int) -> Task:
    task = None
    if 0 < task_id <= MAX_ID:
        task = (
            Task.objects.filter(pk=task_id, project__in=visible_projects(user))
            .select_related("project", "project__calendar")
            .prefetch_related(
                "assignees", Prefetch("assignments", Assignment.objects.select_related("resource"))
            )
            .first()
        )
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


def visible_comment(user: Any, comment_id: int) -> TaskComment:
    comment = None
    if 0 < comment_id <= MAX_ID:
        comment = (
            TaskComment.objects.filter(pk=comment_id, project__in=visible_projects(user))
            .select_related("task", "project", "author")
            .first()
        )
    if comment is None:
        raise NotFound(f"comment {comment_id} not found")
    return comment


def task_comments(task: Task) -> QuerySet[TaskComment]:
    return TaskComment.objects.filter(task=task).select_related("author")
