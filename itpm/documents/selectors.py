"""Reads: a project's documents and custom fields, a task's custom values."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from itpm.core.errors import NotFound
from itpm.documents.models import CustomField, Document, DocumentVersion, TaskCustomValues
from itpm.planning.models import Task
from itpm.portfolio.models import Project

MAX_ID = 2**63 - 1  # the largest database id; a bigger number names nothing


def document_list(*, project: Project, task: Task | None = None) -> QuerySet[Document]:
    documents = Document.objects.filter(project=project)
    if task is not None:
        documents = documents.filter(task=task)
    return documents.select_related("task", "created_by").prefetch_related(
        Prefetch("versions", queryset=DocumentVersion.objects.select_related("uploaded_by"))
    )


def document_get(*, project: Project, document_id: int) -> Document:
    if not 0 < document_id <= MAX_ID:
        raise NotFound(f"document {document_id} not found in {project.key}")
    found = document_list(project=project).filter(pk=document_id).first()
    if found is None:
        raise NotFound(f"document {document_id} not found in {project.key}")
    return found


def document_version_get(*, document: Document, number: int | None) -> DocumentVersion:
    versions = {v.number: v for v in document.versions.all()}
    if not versions:
        raise NotFound("the document has no file")
    if number is None:
        return versions[max(versions)]
    if number not in versions:
        raise NotFound(f"version {number} of {document.name} not found")
    return versions[number]


def task_in_project(*, project: Project, task_id: int, field: str = "task") -> Task:
    if not 0 < task_id <= MAX_ID:
        raise NotFound(f"task {task_id} not found in {project.key}")
    task = Task.objects.filter(project=project, pk=task_id).first()
    if task is None:
        raise NotFound(f"task {task_id} not found in {project.key}")
    return task


def custom_field_list(*, project: Project) -> QuerySet[CustomField]:
    return CustomField.objects.filter(project=project).order_by("position", "id")


def custom_field_get(*, project: Project, field_id: int) -> CustomField:
    if not 0 < field_id <= MAX_ID:
        raise NotFound(f"custom field {field_id} not found in {project.key}")
    found = CustomField.objects.filter(project=project, pk=field_id).first()
    if found is None:
        raise NotFound(f"custom field {field_id} not found in {project.key}")
    return found


def task_custom_values(*, task: Task) -> tuple[int, dict[str, Any]]:
    """The task's values and their version (1 before anything was ever set)."""
    row = TaskCustomValues.objects.filter(task=task).first()
    if row is None:
        return 1, {}
    return row.version, dict(row.values)
