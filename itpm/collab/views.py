"""The task page with its discussion: description, comments (htmx), add / edit / delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from itpm.accounts.models import ROLE_RANK, Role
from itpm.accounts.permissions import project_role, request_user
from itpm.collab import selectors, services
from itpm.collab.models import TaskComment
from itpm.core.errors import NotFound, ServiceError
from itpm.planning.models import Task


def _task(request: HttpRequest, task_id: int) -> Task:
    try:
        return selectors.visible_task(request.user, task_id)
    except NotFound:
        raise Http404("task not found") from None


def _comment(request: HttpRequest, comment_id: int) -> TaskComment:
    try:
        return selectors.visible_comment(request.user, comment_id)
    except NotFound:
        raise Http404("comment not found") from None


def _context(request: HttpRequest, task: Task, **extra: Any) -> dict[str, Any]:
    role = project_role(request.user, task.project)
    can_comment = role is not None and ROLE_RANK[role] >= ROLE_RANK[Role.MEMBER]
    return {
        "task": task, "project": task.project, "comments": selectors.task_comments(task),
        "can_comment": can_comment and not task.project.archived,
        "can_moderate": role in (Role.MANAGER, Role.OWNER) and not task.project.archived,
        **extra,
    }  # fmt: skip


def _answer(request: HttpRequest, task: Task, **extra: Any) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(request, "collab/_comments.html", _context(request, task, **extra))
    if extra.get("error"):
        messages.error(request, extra["error"])
    return redirect(reverse("collab:task_discussion", args=[task.pk]) + "#comments")


@login_required
def task_discussion(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task(request, task_id)
    return render(request, "collab/task.html", _context(request, task))


@login_required
@require_POST
def comment_create(request: HttpRequest, task_id: int) -> HttpResponse:
    task = _task(request, task_id)
    try:
        services.task_comment_create(actor=request_user(request), task=task,
                                     body=request.POST.get("body", ""))  # fmt: skip
    except ServiceError as exc:
        return _answer(request, task, error=exc.detail, draft=request.POST.get("body", ""))
    return _answer(request, task)


@login_required
@require_POST
def comment_edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = _comment(request, comment_id)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        services.task_comment_update(actor=request_user(request), comment=comment,
                                     version=version, body=request.POST.get("body", ""))  # fmt: skip
    except ServiceError as exc:
        return _answer(request, comment.task, error=exc.detail)
    return _answer(request, comment.task)


@login_required
@require_POST
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = _comment(request, comment_id)
    task = comment.task
    try:
        services.task_comment_delete(actor=request_user(request), comment=comment)
    except ServiceError as exc:
        return _answer(request, task, error=exc.detail)
    return _answer(request, task)
