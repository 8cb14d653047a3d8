"""API: MS Project XML (MSPDI) import and export."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from itpm.accounts.permissions import get_visible_project, request_user
from itpm.core.api import ErrorOut
from itpm.core.uploads import check_upload
from itpm.interop.mspdi_export import mspdi_export
from itpm.interop.mspdi_import import mspdi_import

router = Router(tags=["import and export"])
MSPDI_CONTENT_TYPE = "application/xml; charset=utf-8"
_ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


class MspdiImportOut(Schema):
    key: str = Field(description="The key of the project created or replaced.", examples=["DCM"])
    name: str = Field(examples=["Data centre move"])
    tasks: int = Field(examples=[148])
    dependencies: int = Field(examples=[131])
    scheduled_finish: str | None = Field(
        description="The finish after itpm rescheduled the plan (ISO 8601).",
        examples=["2027-06-30T17:00:00Z"],
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "key": "DCM",
                    "name": "Data centre move",
                    "tasks": 148,
                    "dependencies": 131,
                    "scheduled_finish": "2027-06-30T17:00:00Z",
                }
            ]
        }
    }


@router.post("/projects/import/mspdi", response={201: MspdiImportOut, **_ERRORS})
def mspdi_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    key: Form[str] = "",
    name: Form[str] = "",
) -> tuple[int, dict[str, Any]]:
    """Import an MS Project XML file (File → Save As → XML in MS Project).

    Without `key` a new project is created (its key derived from the plan's title; you own
    it). With the `key` of an existing project you manage, its plan (tasks, links,
    assignments, baselines, calendars) is replaced by the file's. Tasks, outline, links
    with lags, constraints, deadlines, calendars with exceptions, resources with rates,
    assignments, baselines, progress and actual dates are read; the plan is rescheduled
    once. The whole file is written in one transaction or not at all (422 naming the
    element or task UID at fault). Files larger than ``ITPM_MAX_IMPORT_MB`` answer 413."""
    actor = request_user(request)
    check_upload(file, max_bytes=settings.ITPM_MAX_IMPORT_MB * 1024 * 1024, allowed_types={".xml"})
    project = mspdi_import(
        data=file.read(), actor=actor, project_key=key or None, name=name or None
    )
    return 201, {
        "key": project.key,
        "name": project.name,
        "tasks": project.tasks.count(),
        "dependencies": project.dependencies.count(),
        "scheduled_finish": project.scheduled_finish.isoformat().replace("+00:00", "Z")
        if project.scheduled_finish
        else None,
    }


@router.get(
    "/projects/{key}/export/mspdi",
    response={200: None, 404: ErrorOut},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The project as MS Project XML (MSPDI).",
                "content": {
                    "application/xml": {
                        "example": '<?xml version="1.0" encoding="UTF-8"?>\n'
                        '<Project xmlns="http://schemas.microsoft.com/project">...</Project>'
                    }
                },
            }
        }
    },
)
def mspdi_download(request: HttpRequest, key: str) -> HttpResponse:
    """The project as an MS Project XML file (anyone who sees the project)."""
    project = get_visible_project(request.user, key)
    response = HttpResponse(mspdi_export(project=project), content_type=MSPDI_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{project.key}.xml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
