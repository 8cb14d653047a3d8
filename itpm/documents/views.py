"""Pages: the project's Documents tab, the task fields table (custom columns), and a task's
documents-and-fields page. Thin: parse, call one service or selector, render or redirect.

A refused change redirects back with the message (htmx requests get the partial with the
message instead); what the user may not see is 404. Every value is rendered through the
template engine's escaping, never marked safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from itpm.accounts.models import ROLE_RANK, Role
from itpm.accounts.permissions import request_user
from itpm.core.errors import NotFound, ServiceError
from itpm.documents import selectors, services
from itpm.documents.api import download_response
from itpm.documents.custom_fields import display, values_by_task
from itpm.documents.field_templates import suggested_fields
from itpm.documents.models import CustomField, Document, FieldType
from itpm.planning.models import Task
from itpm.portfolio.models import Project
from itpm.web.views import _context, _project


def _int(value: str | None) -> int | None:
    try:
        number = int(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is None or 0 <= number < 2**63 else None


def _attempt(request: HttpRequest, call: Callable[[], Any], done: str = "") -> Any:
    try:
        result = call()
    except ServiceError as exc:
        messages.error(request, exc.detail)
        return None
    if done:
        messages.success(request, done)
    return result if result is not None else True


def _document(project: Project, document_id: int) -> Document:
    try:
        return selectors.document_get(project=project, document_id=document_id)
    except NotFound:
        raise Http404("document not found") from None


def _task(project: Project, task_id: int) -> Task:
    try:
        return selectors.task_in_project(project=project, task_id=task_id)
    except NotFound:
        raise Http404("task not found") from None


def _may_delete(context: dict[str, Any], document: Document, user: Any) -> bool:
    role = context["role"]
    if role is None or context["project"].archived or role == Role.VIEWER:
        return False
    return ROLE_RANK[role] >= ROLE_RANK[Role.MANAGER] or document.created_by_id == user.pk


def _list_context(request: HttpRequest, project: Project, task: Task | None) -> dict[str, Any]:
    context = _context(request, project, "documents")
    documents = list(selectors.document_list(project=project, task=task))
    for document in documents:
        document.may_delete = _may_delete(context, document, request.user)  # type: ignore[attr-defined]
    context.update(
        documents=documents,
        task=task,
        tasks=list(Task.objects.filter(project=project).order_by("wbs_sort")) if not task else [],
        accept=",".join(f".{t}" for t in _allowed_types()),
    )
    return context


def _allowed_types() -> list[str]:
    from django.conf import settings

    return list(settings.ITPM_DOCUMENT_TYPES)


def _back(project: Project, task: Task | None) -> str:
    if task is not None:
        return reverse("documents:task_page", args=[project.key, task.pk])
    return reverse("documents:documents", args=[project.key])


def _after_write(request: HttpRequest, project: Project, task: Task | None) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(request, "documents/_document_list.html",
                      _list_context(request, project, task))  # fmt: skip
    return redirect(_back(project, task))


# ---------------------------------------------------------------------------- documents
@login_required
@require_http_methods(["GET", "POST"])
def documents(request: HttpRequest, key: str) -> HttpResponse:
    """The Documents tab: every document of the project; POST uploads one."""
    project = _project(request, key)
    task = None
    if request.method == "POST":
        task_id = _int(request.POST.get("task"))
        if task_id is not None:
            task = Task.objects.filter(project=project, pk=task_id).first()
        _attempt(
            request,
            lambda: services.document_upload(
                actor=request_user(request), project=project, upload=request.FILES.get("file"),
                task=task, subject=request.POST.get("subject", ""),
            ),
            "Document uploaded.",
        )  # fmt: skip
        from_task = request.POST.get("from") == "task"
        return _after_write(request, project, task if from_task else None)
    return render(request, "documents/documents.html", _list_context(request, project, None))


@login_required
@require_GET
def document_download(request: HttpRequest, key: str, document_id: int) -> FileResponse:
    project = _project(request, key)
    document = _document(project, document_id)
    try:
        version = selectors.document_version_get(
            document=document, number=_int(request.GET.get("version"))
        )
    except NotFound:
        raise Http404("version not found") from None
    return download_response(version)


@login_required
@require_POST
def document_version_add(request: HttpRequest, key: str, document_id: int) -> HttpResponse:
    project = _project(request, key)
    document = _document(project, document_id)
    _attempt(
        request,
        lambda: services.document_add_version(
            actor=request_user(request), document=document, upload=request.FILES.get("file"),
            version=_int(request.POST.get("version")),
        ),
        "New version uploaded.",
    )  # fmt: skip
    task = document.task if request.POST.get("from") == "task" else None
    return _after_write(request, project, task)


@login_required
@require_POST
def document_delete(request: HttpRequest, key: str, document_id: int) -> HttpResponse:
    project = _project(request, key)
    document = _document(project, document_id)
    _attempt(
        request,
        lambda: services.document_delete(
            actor=request_user(request), document=document,
            version=_int(request.POST.get("version")),
        ),
        "Document deleted.",
    )  # fmt: skip
    task = document.task if request.POST.get("from") == "task" else None
    return _after_write(request, project, task)


# ---------------------------------------------------------------------------- custom fields
def _field_rows(project: Project, fields: list[CustomField]) -> list[dict[str, Any]]:
    values = values_by_task(project)
    return [
        {
            "task": task,
            "cells": [display(f, values.get(task.pk, {}).get(f.key)) for f in fields],
        }
        for task in Task.objects.filter(project=project).order_by("wbs_sort")
    ]


@login_required
@require_http_methods(["GET", "POST"])
def fields(request: HttpRequest, key: str) -> HttpResponse:
    """Task fields: the definitions (managers edit) and the task list with their columns."""
    project = _project(request, key)
    if request.method == "POST":
        post = request.POST
        choices = [c.strip() for c in post.get("choices", "").split(",") if c.strip()]
        _attempt(
            request,
            lambda: services.custom_field_create(
                actor=request_user(request), project=project, key=post.get("key", ""),
                name=post.get("name", ""), field_type=post.get("field_type", "text"),
                choices=choices, required=post.get("required") == "on",
            ),
            "Field added.",
        )  # fmt: skip
        return redirect("documents:fields", project.key)
    field_list = list(selectors.custom_field_list(project=project))
    have = {f.key for f in field_list}
    missing = [t for t in suggested_fields(project.category) if t["key"] not in have]
    context = _context(
        request, project, "fields", fields=field_list, rows=_field_rows(project, field_list),
        field_types=FieldType.choices, suggestions=missing,
    )  # fmt: skip
    return render(request, "documents/fields.html", context)


@login_required
@require_POST
def fields_suggested(request: HttpRequest, key: str) -> HttpResponse:
    """Add the fields the project's category suggests."""
    project = _project(request, key)
    added = _attempt(request, lambda: services.custom_fields_add_suggested(
        actor=request_user(request), project=project) or [])  # fmt: skip
    if isinstance(added, list):
        names = ", ".join(f.name for f in added)
        messages.success(request, f"Added: {names}." if names else "Nothing to add.")
    return redirect("documents:fields", project.key)


@login_required
@require_POST
def field_action(request: HttpRequest, key: str, field_id: int) -> HttpResponse:
    project = _project(request, key)
    try:
        field = selectors.custom_field_get(project=project, field_id=field_id)
    except NotFound:
        raise Http404("field not found") from None
    post = request.POST
    version = _int(post.get("version"))
    if post.get("action") == "delete":
        _attempt(request, lambda: services.custom_field_delete(
            actor=request_user(request), field=field, version=version), "Field removed.")  # fmt: skip
    else:
        data: dict[str, Any] = {
            "name": post.get("name", field.name),
            "required": post.get("required") == "on",
            "position": _int(post.get("position")) or 0,
        }
        if field.field_type == FieldType.CHOICE and "choices" in post:
            data["choices"] = [c.strip() for c in post.get("choices", "").split(",") if c.strip()]
        _attempt(request, lambda: services.custom_field_update(
            actor=request_user(request), field=field, version=version, data=data),
            "Field saved.")  # fmt: skip
    return redirect("documents:fields", project.key)


def _task_fields_context(
    project: Project, task: Task, submitted: dict[str, str] | None = None
) -> dict[str, Any]:
    version, values = selectors.task_custom_values(task=task)
    rows = []
    for field in selectors.custom_field_list(project=project):
        value = values.get(field.key)
        shown = submitted.get(field.key, "") if submitted is not None else display(field, value)
        if field.field_type == FieldType.BOOL and submitted is None:
            shown = "on" if value else ""
        rows.append({"field": field, "value": shown})
    members = sorted(project.memberships.values_list("user__username", flat=True))
    return {"field_rows": rows, "values_version": version, "members": members}


@login_required
@require_GET
def task_page(request: HttpRequest, key: str, task_id: int) -> HttpResponse:
    """A task's documents and custom fields."""
    project = _project(request, key)
    task = _task(project, task_id)
    context = _list_context(request, project, task)
    context.update(_task_fields_context(project, task))
    return render(request, "documents/task_page.html", context)


def _row_context(
    request: HttpRequest, project: Project, task: Task, **extra: Any
) -> dict[str, Any]:
    fields = list(selectors.custom_field_list(project=project))
    values = values_by_task(project).get(task.pk, {})
    cells = [display(f, values.get(f.key)) for f in fields]
    return _context(request, project, "fields", task=task, fields=fields, cells=cells, **extra)


@login_required
@require_GET
def task_fields_row(request: HttpRequest, key: str, task_id: int) -> HttpResponse:
    """One row of the fields table as inputs (htmx swaps it in; viewers get it as text)."""
    project = _project(request, key)
    task = _task(project, task_id)
    context = _row_context(request, project, task, **_task_fields_context(project, task))
    template = "_field_row_form.html" if context["can_edit"] else "_field_row.html"
    return render(request, f"documents/{template}", context)


@login_required
@require_POST
def task_fields(request: HttpRequest, key: str, task_id: int) -> HttpResponse:
    """Save a task's custom values (the whole form; an empty box clears the value)."""
    project = _project(request, key)
    task = _task(project, task_id)
    post = request.POST
    values: dict[str, Any] = {}
    for field in selectors.custom_field_list(project=project):
        if field.field_type == FieldType.BOOL:
            values[field.key] = post.get(f"cf_{field.key}") == "on"
        else:
            values[field.key] = post.get(f"cf_{field.key}", "")
    error = None
    try:
        services.task_custom_values_set(
            actor=request_user(request), task=task, values=values,
            version=_int(post.get("version")),
        )  # fmt: skip
    except ServiceError as exc:
        error = exc.detail
    submitted = (
        {k: ("on" if v is True else "" if v is False else str(v)) for k, v in values.items()}
        if error
        else None
    )
    if request.headers.get("HX-Request") and post.get("row"):
        # A row of the fields table: back to text when saved, inputs and the error if not.
        extra = _task_fields_context(project, task, submitted)
        context = _row_context(request, project, task, fields_error=error, **extra)
        return render(request, f"documents/{'_field_row_form' if error else '_field_row'}.html",
                      context)  # fmt: skip
    if request.headers.get("HX-Request"):
        context = _context(request, project, "documents", task=task, fields_error=error,
                           fields_saved=error is None,
                           **_task_fields_context(project, task, submitted))  # fmt: skip
        # 200 even when refused: htmx swaps only 2xx answers, and the partial carries the error.
        return render(request, "documents/_task_fields.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Fields saved.")
    if post.get("row"):
        return redirect("documents:fields", project.key)
    return redirect("documents:task_page", project.key, task.pk)
