"""API: project documents (upload, versions, download, delete) and custom fields on tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from itpm.accounts.permissions import get_visible_project, request_user
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.core.errors import Invalid, NotFound
from itpm.documents import selectors, services
from itpm.documents.field_templates import suggested_fields
from itpm.documents.models import CustomField, Document, DocumentVersion, FieldType

router = Router(tags=["documents"])
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _if_match(request: HttpRequest) -> int | None:
    """The optional If-Match version of a DELETE (none: delete whatever is current)."""
    if not request.headers.get("If-Match"):
        return None
    return expected_version(request, None)


# ---------------------------------------------------------------------------- documents
class DocumentVersionOut(Schema):
    number: int = Field(examples=[2])
    name: str = Field(examples=["network-diagram.pdf"])
    content_type: str = Field(examples=["application/pdf"])
    size: int = Field(description="bytes", examples=[48213])
    sha256: str = Field(
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
    )
    uploaded_by: str | None = Field(None, examples=["mia"])
    created_at: dt.datetime
    download_url: str = Field(examples=["/api/v1/projects/NET/documents/7/download?version=2"])

    @staticmethod
    def resolve_uploaded_by(version: DocumentVersion) -> str | None:
        return version.uploaded_by.username if version.uploaded_by else None

    @staticmethod
    def resolve_download_url(version: DocumentVersion) -> str:
        document = version.document
        path = reverse("api:document_download", args=[document.project.key, document.pk])
        return f"{path}?version={version.number}"


class DocumentOut(Schema):
    id: int = Field(examples=[7])
    version: int = Field(examples=[2])
    name: str = Field(
        description="the current version's file name", examples=["network-diagram.pdf"]
    )
    subject: str = Field(examples=["Change request CR-4"])
    task: int | None = Field(None, validation_alias="task_id", examples=[42])
    created_by: str | None = Field(None, examples=["mia"])
    created_at: dt.datetime
    updated_at: dt.datetime
    size: int = Field(description="bytes of the current version", examples=[48213])
    content_type: str = Field(examples=["application/pdf"])
    versions: list[DocumentVersionOut] = Field(description="newest first")

    @staticmethod
    def resolve_created_by(document: Document) -> str | None:
        return document.created_by.username if document.created_by else None

    @staticmethod
    def resolve_size(document: Document) -> int:
        current = document.current
        return current.size if current else 0

    @staticmethod
    def resolve_content_type(document: Document) -> str:
        current = document.current
        return current.content_type if current else ""

    @staticmethod
    def resolve_versions(document: Document) -> list[DocumentVersion]:
        return sorted(document.versions.all(), key=lambda v: -v.number)


class DocumentPatch(StrictSchema):
    version: int | None = Field(None, examples=[1])
    task: int | None = Field(None, description="id of a task of the project; null: none",
                             examples=[42])  # fmt: skip
    subject: str | None = Field(None, max_length=200, examples=["Contract"])


def _document(request: HttpRequest, key: str, document_id: int) -> Document:
    project = get_visible_project(request.user, key)
    return selectors.document_get(project=project, document_id=document_id)


def _fresh(document: Document) -> Document:
    return selectors.document_get(project=document.project, document_id=document.pk)


@router.get("/projects/{key}/documents", response={200: Page[DocumentOut], 404: ErrorOut})
def document_list(
    request: HttpRequest, key: str, task: int | None = None, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """The project's documents, most recently changed first; `task` narrows to one task."""
    project = get_visible_project(request.user, key)
    task_obj = None
    if task is not None:
        task_obj = selectors.task_in_project(project=project, task_id=task)
    return paginate(selectors.document_list(project=project, task=task_obj), limit, offset)


@router.post("/projects/{key}/documents", response={201: DocumentOut, **WRITE_ERRORS})
def document_upload(
    request: HttpRequest,
    key: str,
    file: File[UploadedFile],
    task: Form[int | None] = None,
    subject: Form[str] = "",
) -> tuple[int, Document]:
    """Upload a document (multipart: `file`, optional `task` id and `subject` label).

    Example: `curl -H "Authorization: Bearer $T" -F file=@diagram.pdf -F task=42
    -F subject="Cabling plan" /api/v1/projects/NET/documents`. The file type comes from the
    extension and must match the content; limits: `ITPM_DOCUMENT_MAX_MB`,
    `ITPM_DOCUMENT_MAX_PER_PROJECT`, `ITPM_DOCUMENT_TYPES`.
    """
    project = get_visible_project(request.user, key)
    task_obj = None
    if task is not None:
        try:
            task_obj = selectors.task_in_project(project=project, task_id=task)
        except NotFound:
            raise Invalid.field("task", f"no task {task} in {project.key}") from None
    document = services.document_upload(
        actor=request_user(request), project=project, upload=file, task=task_obj, subject=subject
    )
    return 201, _fresh(document)


@router.get("/projects/{key}/documents/{document_id}", response={200: DocumentOut, 404: ErrorOut})
def document_detail(
    request: HttpRequest, key: str, document_id: int, response: HttpResponse
) -> Document:
    """One document with all its versions (ETag: its version)."""
    document = _document(request, key, document_id)
    with_etag(response, document.version)
    return document


@router.patch(
    "/projects/{key}/documents/{document_id}", response={200: DocumentOut, **WRITE_ERRORS}
)
def document_update(
    request: HttpRequest, key: str, document_id: int, payload: DocumentPatch
) -> Document:
    """Change the task or the subject label of a document (send the `version` you read)."""
    document = _document(request, key, document_id)
    data = payload.model_dump(exclude_unset=True)
    data.pop("version", None)
    if "task" in data and data["task"] is not None:
        try:
            data["task"] = selectors.task_in_project(project=document.project, task_id=data["task"])
        except NotFound:
            raise Invalid.field(
                "task", f"no task {data['task']} in {document.project.key}"
            ) from None
    services.document_update(
        actor=request_user(request), document=document,
        version=expected_version(request, payload.version), data=data,
    )  # fmt: skip
    return _fresh(document)


@router.post(
    "/projects/{key}/documents/{document_id}/versions",
    response={201: DocumentOut, **WRITE_ERRORS},
)
def document_add_version(
    request: HttpRequest,
    key: str,
    document_id: int,
    file: File[UploadedFile],
    version: Form[int | None] = None,
) -> tuple[int, Document]:
    """Upload a new version (multipart: `file`, and the document `version` you read).

    Earlier versions stay and can still be downloaded with `?version=N`.
    """
    document = _document(request, key, document_id)
    services.document_add_version(
        actor=request_user(request), document=document, upload=file,
        version=expected_version(request, version),
    )  # fmt: skip
    return 201, _fresh(document)


@router.get(
    "/projects/{key}/documents/{document_id}/download",
    response={404: ErrorOut},
    url_name="document_download",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as an attachment (`Content-Disposition: attachment`),"
                               " with the content type it was uploaded as.",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)  # fmt: skip
def document_download(
    request: HttpRequest, key: str, document_id: int, version: int | None = None
) -> FileResponse:
    """Download the current file, or an earlier one with `?version=N` (project viewers)."""
    document = _document(request, key, document_id)
    return download_response(selectors.document_version_get(document=document, number=version))


def download_response(version: DocumentVersion) -> FileResponse:
    """The file as a download: never shown inline, never sniffed into another type."""
    try:
        handle = version.file.open("rb")
    except FileNotFoundError:
        raise Http404("file missing") from None
    response = FileResponse(
        handle, as_attachment=True, filename=version.name, content_type=version.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@router.delete("/projects/{key}/documents/{document_id}", response={204: None, **WRITE_ERRORS})
def document_delete(request: HttpRequest, key: str, document_id: int) -> tuple[int, None]:
    """Delete a document and all its versions (a manager, or the person who uploaded it).

    An optional `If-Match: "<version>"` refuses the delete if the document changed.
    """
    document = _document(request, key, document_id)
    services.document_delete(
        actor=request_user(request), document=document, version=_if_match(request)
    )
    return 204, None


# ---------------------------------------------------------------------------- custom fields
class CustomFieldOut(Schema):
    id: int = Field(examples=[3])
    version: int = Field(examples=[1])
    key: str = Field(examples=["vendor_ticket"])
    name: str = Field(examples=["Vendor ticket"])
    field_type: FieldType = Field(examples=["text"])
    choices: list[str] = Field(examples=[["Berlin", "Lisbon"]])
    required: bool = Field(examples=[False])
    position: int = Field(examples=[1])


class CustomFieldIn(StrictSchema):
    key: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$",
                     description="fixed once created; used in values and `?cf.<key>=` filters",
                     examples=["vendor_ticket"])  # fmt: skip
    name: str = Field(min_length=1, max_length=80, examples=["Vendor ticket"])
    field_type: FieldType = Field(FieldType.TEXT, examples=["choice"])
    choices: list[str] = Field(
        [], description="choice fields only", examples=[["Berlin", "Lisbon"]]
    )
    required: bool = Field(False, examples=[False])
    position: int | None = Field(None, ge=0, le=10_000, examples=[1])


class CustomFieldPatch(StrictSchema):
    version: int | None = Field(None, examples=[1])
    name: str | None = Field(None, min_length=1, max_length=80, examples=["Vendor case"])
    choices: list[str] | None = Field(None, examples=[["Berlin", "Lisbon", "Porto"]])
    required: bool | None = Field(None, examples=[True])
    position: int | None = Field(None, ge=0, le=10_000, examples=[2])


@router.get("/projects/{key}/custom-fields", response={200: list[CustomFieldOut], 404: ErrorOut})
def custom_field_list(request: HttpRequest, key: str) -> list[CustomField]:
    """The custom fields of the project's tasks, in position order."""
    project = get_visible_project(request.user, key)
    return list(selectors.custom_field_list(project=project))


@router.post("/projects/{key}/custom-fields", response={201: CustomFieldOut, **WRITE_ERRORS})
def custom_field_create(
    request: HttpRequest, key: str, payload: CustomFieldIn
) -> tuple[int, CustomField]:
    """Define a field (managers). Types: text, number, date, choice, user, bool."""
    project = get_visible_project(request.user, key)
    field = services.custom_field_create(
        actor=request_user(request), project=project, **payload.model_dump()
    )
    return 201, field


class SuggestedFieldOut(Schema):
    key: str = Field(examples=["vendor_ticket"])
    name: str = Field(examples=["Vendor ticket"])
    field_type: FieldType = Field(examples=["text"])
    choices: list[str] = Field([], examples=[[]])
    present: bool = Field(description="the project has a field with this key already")


class SuggestedFieldsIn(StrictSchema):
    keys: list[str] | None = Field(
        None, description="the suggestions to add; none: all", examples=[["vendor_ticket"]]
    )


@router.get(
    "/projects/{key}/custom-fields/suggestions",
    response={200: list[SuggestedFieldOut], 404: ErrorOut},
)
def custom_field_suggestions(request: HttpRequest, key: str) -> list[dict[str, Any]]:
    """The fields the project's category suggests (`present`: already defined)."""
    project = get_visible_project(request.user, key)
    have = set(selectors.custom_field_list(project=project).values_list("key", flat=True))
    return [{**t, "present": t["key"] in have} for t in suggested_fields(project.category)]


@router.post(
    "/projects/{key}/custom-fields/suggestions",
    response={201: list[CustomFieldOut], **WRITE_ERRORS},
)
def custom_field_add_suggested(
    request: HttpRequest, key: str, payload: SuggestedFieldsIn
) -> tuple[int, list[CustomField]]:
    """Add the category's suggested fields (managers); ones already there are skipped."""
    project = get_visible_project(request.user, key)
    added = services.custom_fields_add_suggested(
        actor=request_user(request), project=project, keys=payload.keys
    )
    return 201, added


@router.patch(
    "/projects/{key}/custom-fields/{field_id}", response={200: CustomFieldOut, **WRITE_ERRORS}
)
def custom_field_update(
    request: HttpRequest, key: str, field_id: int, payload: CustomFieldPatch
) -> CustomField:
    """Rename, reorder, change choices or `required` (the key and type are fixed)."""
    project = get_visible_project(request.user, key)
    field = selectors.custom_field_get(project=project, field_id=field_id)
    data = payload.model_dump(exclude_unset=True)
    data.pop("version", None)
    return services.custom_field_update(
        actor=request_user(request), field=field,
        version=expected_version(request, payload.version), data=data,
    )  # fmt: skip


@router.delete("/projects/{key}/custom-fields/{field_id}", response={204: None, **WRITE_ERRORS})
def custom_field_delete(request: HttpRequest, key: str, field_id: int) -> tuple[int, None]:
    """Remove a field and its values from every task (managers; optional If-Match)."""
    project = get_visible_project(request.user, key)
    field = selectors.custom_field_get(project=project, field_id=field_id)
    services.custom_field_delete(
        actor=request_user(request), field=field, version=_if_match(request)
    )
    return 204, None


class TaskCustomValuesOut(Schema):
    task: int = Field(examples=[42])
    version: int = Field(examples=[3])
    values: dict[str, Any] = Field(
        description="`{key: value}`; numbers are decimal strings, dates YYYY-MM-DD, "
        "users usernames, yes/no booleans; unset fields are absent",
        examples=[{"vendor_ticket": "CASE-88121", "site": "Berlin", "cost_estimate": "1200.50"}],
    )


class TaskCustomValuesIn(StrictSchema):
    version: int | None = Field(None, examples=[3])
    values: dict[str, Any] = Field(
        description='the fields to set; null or "" clears one; others keep their value',
        examples=[{"vendor_ticket": "CASE-88121", "site": "Berlin"}],
    )


def _values_out(task_id: int, version: int, values: dict[str, Any]) -> dict[str, Any]:
    return {"task": task_id, "version": version, "values": values}


@router.get(
    "/projects/{key}/tasks/{task_id}/custom-fields",
    response={200: TaskCustomValuesOut, 404: ErrorOut},
)
def task_custom_values(request: HttpRequest, key: str, task_id: int) -> dict[str, Any]:
    """A task's custom values and their `version` (send it back to change them)."""
    project = get_visible_project(request.user, key)
    task = selectors.task_in_project(project=project, task_id=task_id)
    version, values = selectors.task_custom_values(task=task)
    return _values_out(task.pk, version, values)


@router.patch(
    "/projects/{key}/tasks/{task_id}/custom-fields",
    response={200: TaskCustomValuesOut, **WRITE_ERRORS},
)
def task_custom_values_set(
    request: HttpRequest, key: str, task_id: int, payload: TaskCustomValuesIn
) -> dict[str, Any]:
    """Set custom values of a task; each is checked against its type (422 `values.<key>`).

    Filter the task list by them with `GET /projects/{key}/tasks?cf.<key>=<value>`.
    """
    project = get_visible_project(request.user, key)
    task = selectors.task_in_project(project=project, task_id=task_id)
    row = services.task_custom_values_set(
        actor=request_user(request), task=task, values=payload.values,
        version=expected_version(request, payload.version),
    )  # fmt: skip
    return _values_out(task.pk, row.version, row.values)
