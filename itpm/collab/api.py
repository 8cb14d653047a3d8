"""API: comments on a task (markdown; @mentions notify people who can see the project)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from itpm.accounts.permissions import request_user
from itpm.collab import selectors, services
from itpm.collab.models import TaskComment
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.core.markdown import render_markdown

router = Router(tags=["collab"])
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class TaskCommentOut(Schema):
    id: int = Field(examples=[12])
    version: int = Field(examples=[1])
    task: int = Field(validation_alias="task_id", examples=[7])
    author: str | None = Field(None, validation_alias="author.username", examples=["olivia"])
    body: str = Field(examples=["@mia can you check the **firewall rules**?"])
    html: str = Field(description="The body as sanitized HTML", examples=["<p>@mia can …</p>"])
    created_at: dt.datetime
    edited_at: dt.datetime | None = None

    @staticmethod
    def resolve_html(obj: TaskComment) -> str:
        return render_markdown(obj.body)


class TaskCommentIn(StrictSchema):
    body: str = Field(min_length=1, max_length=services.MAX_BODY,
                      examples=["@mia can you check the **firewall rules**?"])  # fmt: skip


class TaskCommentPatch(StrictSchema):
    version: int | None = Field(None, examples=[1])
    body: str = Field(min_length=1, max_length=services.MAX_BODY, examples=["Checked: all fine."])


@router.get("/tasks/{task_id}/comments", response={200: Page[TaskCommentOut], 404: ErrorOut})
def task_comment_list(
    request: HttpRequest, task_id: int, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """The task's comments, oldest first."""
    task = selectors.visible_task(request.user, task_id)
    return paginate(selectors.task_comments(task), limit, offset)


@router.post("/tasks/{task_id}/comments", response={201: TaskCommentOut, **WRITE_ERRORS})
def task_comment_create(
    request: HttpRequest, task_id: int, payload: TaskCommentIn
) -> tuple[int, TaskComment]:
    """Comment on a task; `@username` notifies that person if they can see the project."""
    task = selectors.visible_task(request.user, task_id)
    return 201, services.task_comment_create(actor=request_user(request), task=task,
                                             body=payload.body)  # fmt: skip


@router.patch("/task-comments/{comment_id}", response={200: TaskCommentOut, **WRITE_ERRORS})
def task_comment_update(
    request: HttpRequest, comment_id: int, payload: TaskCommentPatch, response: HttpResponse
) -> TaskComment:
    """Edit your own comment (send the version you read)."""
    comment = selectors.visible_comment(request.user, comment_id)
    version = expected_version(request, payload.version)
    comment = services.task_comment_update(actor=request_user(request), comment=comment,
                                           version=version, body=payload.body)  # fmt: skip
    with_etag(response, comment.version)
    return comment


@router.delete("/task-comments/{comment_id}", response={204: None, **WRITE_ERRORS})
def task_comment_delete(request: HttpRequest, comment_id: int) -> tuple[int, None]:
    """Delete your own comment (a project manager may delete any)."""
    comment = selectors.visible_comment(request.user, comment_id)
    services.task_comment_delete(actor=request_user(request), comment=comment)
    return 204, None
