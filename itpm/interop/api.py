"""API: task import/export as CSV or XLSX, and the project JSON archive."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from itpm.accounts.models import Role
from itpm.accounts.permissions import get_visible_project, request_user, require_role
from itpm.core.api import ErrorOut
from itpm.core.errors import Invalid
from itpm.core.uploads import TABLE_TYPES, check_upload
from itpm.interop import archive, tabular
from itpm.interop.mspdi_api import router as mspdi_router

router = Router(tags=["import and export"])
# MS Project XML lives in its own module (mspdi_api.py); it is mounted here.
router.add_router("", mspdi_router)
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class TaskImportRowErrorOut(Schema):
    row: int = Field(description="Spreadsheet row number (the header is row 1).", examples=[4])
    column: str = Field(examples=["Duration"])
    message: str = Field(examples=["'three days': a duration like 3d, 4h, 2w or 1.5 days"])


class TaskImportRowPlanOut(Schema):
    row: int = Field(description="Spreadsheet row number (the header is row 1).", examples=[3])
    action: Literal["create", "update", "unchanged"] = Field(examples=["update"])
    key: int | None = Field(
        description="The task the row updates (its Key); null for a new task.", examples=[812]
    )
    name: str = Field(examples=["Design"])
    changes: list[str] = Field(
        description="The task fields an update changes.",
        examples=[["duration_hours", "predecessors"]],
    )


class TaskImportOut(Schema):
    dry_run: bool
    applied: bool = Field(description="True when every row was written (never only some).")
    ok: bool = Field(description="True when the file has no problem.")
    rows: int = Field(examples=[42])
    tasks: int = Field(examples=[42])
    created: int = Field(description="Rows without a Key: new tasks.", examples=[2])
    updated: int = Field(description="Keyed rows that change their task.", examples=[5])
    unchanged: int = Field(description="Keyed rows equal to their task.", examples=[35])
    links: int = Field(examples=[37])
    assignments: int = Field(examples=[12])
    mapping: dict[str, str] = Field(
        description="Column header → field (empty: not imported).",
        examples=[{"Name": "name", "Duration": "duration", "Start": ""}],
    )
    preview: list[dict[str, str]] = Field(description="The first 20 rows as read.")
    plan: list[TaskImportRowPlanOut] = Field(
        description="Per task row: create, update (with the changed fields) or unchanged."
    )
    errors: list[TaskImportRowErrorOut]

    model_config = {
        "json_schema_extra": {
            "examples": [{
                "dry_run": True, "applied": False, "ok": False, "rows": 3, "tasks": 3,
                "created": 1, "updated": 1, "unchanged": 1, "links": 1, "assignments": 0,
                "mapping": {"Key": "key", "Version": "version", "Name": "name",
                            "Duration": "duration"},
                "preview": [{"Key": "812", "Version": "4", "Name": "Design", "Duration": "3d"}],
                "plan": [
                    {"row": 2, "action": "update", "key": 812, "name": "Design",
                     "changes": ["duration_hours"]},
                    {"row": 3, "action": "unchanged", "key": 813, "name": "Build",
                     "changes": []},
                    {"row": 4, "action": "create", "key": None, "name": "Test", "changes": []},
                ],
                "errors": [{"row": 3, "column": "Version",
                            "message": "Build was changed since the export (version 2 in the "
                                       "file, 3 now); export again"}],
            }]
        }
    }  # fmt: skip


def _report_out(report: tabular.ImportReport, *, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run, "applied": report.applied, "ok": not report.errors,
        "rows": report.total_rows, "tasks": len(report.tasks), "created": report.created,
        "updated": report.updated, "unchanged": report.unchanged, "links": report.links,
        "assignments": report.assignments, "mapping": report.mapping, "preview": report.preview,
        "plan": report.plan,
        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in report.errors],
    }  # fmt: skip


def _mapping(text: str) -> dict[str, str] | None:
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise Invalid.field("mapping", "must be a JSON object of column header → field") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise Invalid.field("mapping", "must be a JSON object of column header → field")
    return value


@router.post(
    "/projects/{key}/tasks/import",
    response={200: TaskImportOut, 400: ErrorOut, **WRITE_ERRORS},
)
def task_import(
    request: HttpRequest,
    key: str,
    file: File[UploadedFile],
    dry_run: Form[bool] = True,
    mapping: Form[str] = "",
) -> dict[str, Any]:
    """Add or update tasks from a CSV or XLSX file (managers and above).

    Headers are recognised by name (see `mapping` in the answer); `mapping` (JSON,
    e.g. `{"Task": "name", "Days": "duration"}`) overrides them. A row with a `Key` (as the
    export writes) updates that task of this project; a row without one creates a task; a
    key of no task of this project, or a `Version` older than the task's, is a row error.
    `plan` says per row what would happen. "3d" counts in the project calendar's working day. `dry_run=true` (the default)
    only checks and reports every problem by row and column; otherwise the file is written
    whole in one transaction, or refused (422) with the same report when any row is wrong."""
    project = get_visible_project(request.user, key)
    actor = request_user(request)
    require_role(actor, project, Role.MANAGER)
    safe = check_upload(
        file, max_bytes=settings.ITPM_MAX_IMPORT_MB * 1024 * 1024, allowed_types=TABLE_TYPES
    )
    report = tabular.tasks_import(
        actor=actor, project=project, data=file.read(), filename=safe.name,
        mapping=_mapping(mapping), dry_run=dry_run,
    )  # fmt: skip
    return _report_out(report, dry_run=dry_run)


@router.get(
    "/projects/{key}/tasks/export",
    response={200: None, 404: ErrorOut, 422: ErrorOut},
    openapi_extra={"responses": {"200": {"description": "The tasks as a CSV or XLSX file.",
                                         "content": {CONTENT_TYPES["csv"]: {"example": "ID,WBS,...\r\n"},
                                                     CONTENT_TYPES["xlsx"]: {"schema": {
                                                         "type": "string", "format": "binary"}}}}}},
)  # fmt: skip
def task_export(
    request: HttpRequest, key: str, format: Literal["csv", "xlsx"] = "csv"
) -> HttpResponse:
    """The project's tasks as CSV or XLSX (anyone who sees the project); cells that a
    spreadsheet would evaluate as a formula are prefixed with an apostrophe."""
    project = get_visible_project(request.user, key)
    if format == "xlsx":
        data = tabular.tasks_export_xlsx(project=project)
    else:
        data = tabular.tasks_export_csv(project=project)
    return _download(data, CONTENT_TYPES[format], f"{project.key}-tasks.{format}")


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get(
    "/projects/{key}/archive/export",
    response={200: None, 403: ErrorOut, 404: ErrorOut},
    openapi_extra={"responses": {"200": {"description": "The project archive (JSON).",
                                         "content": {"application/json": {"example": {
                                             "format": "itpm-project-archive", "format_version": 1,
                                             "project_key": "APL", "rows": {}, "references": {},
                                             "files": {}}}}}}},
)  # fmt: skip
def project_archive(request: HttpRequest, key: str) -> HttpResponse:
    """The whole project as a JSON archive (managers and above): tasks, links, calendars,
    budget, risks, time, baselines, audit trail and attachments (base64)."""
    project = get_visible_project(request.user, key)
    data = archive.project_export_json(actor=request_user(request), project=project)
    return _download(data, "application/json", f"{project.key}-archive.json")


class ProjectImportOut(Schema):
    id: int = Field(examples=[12])
    key: str = Field(examples=["APL2"])
    name: str = Field(examples=["Apollo upgrade"])


@router.post("/projects/import", response={201: ProjectImportOut, 400: ErrorOut, **WRITE_ERRORS})
def project_import(
    request: HttpRequest,
    file: File[UploadedFile],
    key: Form[str] = "",
    name: Form[str] = "",
) -> tuple[int, Any]:
    """Create a new project from a JSON archive (anyone who may create projects; you own it).

    `key` names the new project (default: the archive's key, or a free variant of it).
    People are matched by username, then e-mail; unknown ones become inactive accounts
    that keep their name. An archive of a newer format is refused (422)."""
    safe = check_upload(
        file, max_bytes=settings.ITPM_MAX_IMPORT_MB * 1024 * 1024, allowed_types={".json"}
    )
    del safe
    project = archive.project_import(
        actor=request_user(request), data=file.read(), key=key or None, name=name or None
    )
    return 201, project
