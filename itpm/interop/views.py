"""Pages: the task import wizard (upload → mapping and preview → dry-run report → apply),
task export links, and the project archive (download, and import as a new project).

The uploaded file waits between the wizard's steps in the default storage under a random
name; the form carries a signed token naming it, the project and the user, so nobody can
point the wizard at another file. It is deleted when applied and after a day otherwise.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from itpm.accounts.models import Role
from itpm.accounts.permissions import request_user, require_role
from itpm.core.errors import ServiceError
from itpm.core.uploads import TABLE_TYPES, check_upload
from itpm.interop import archive, tabular
from itpm.web.views import _context, _project

UPLOAD_DIR = "interop-imports"
TOKEN_SALT = "itpm.interop.wizard"  # noqa: S105 - a signing salt, not a secret
TOKEN_MAX_AGE = 24 * 3600
FIELD_CHOICES = [("", "— not imported —")] + [
    (key, label) for key, (label, _) in tabular.COLUMNS.items()
]


def _refused(request: HttpRequest, project: Any, exc: ServiceError) -> HttpResponse:
    return render(request, "interop/wizard.html", _context(
        request, project, "import", error=exc.detail, field_choices=FIELD_CHOICES,
    ), status=exc.status)  # fmt: skip


def _forget_old_uploads() -> None:
    try:
        _, names = default_storage.listdir(UPLOAD_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return
    cutoff = timezone.now() - dt.timedelta(seconds=TOKEN_MAX_AGE)
    for name in names:
        path = f"{UPLOAD_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except OSError:
            continue


@login_required
@require_http_methods(["GET", "POST"])
def import_wizard(request: HttpRequest, key: str) -> HttpResponse:
    """Step 1 (GET): the upload form and the export links. POST: the file → step 2."""
    project = _project(request, key)
    if request.method == "GET":
        return render(request, "interop/wizard.html", _context(
            request, project, "import", field_choices=FIELD_CHOICES,
        ))  # fmt: skip
    try:
        require_role(request.user, project, Role.MANAGER)
        upload = request.FILES.get("file")
        if upload is None:
            raise ServiceError("choose a CSV or XLSX file")
        safe = check_upload(upload, max_bytes=settings.ITPM_MAX_IMPORT_MB * 1024 * 1024,
                            allowed_types=TABLE_TYPES)  # fmt: skip
        data = upload.read()
        table = tabular.read_table(data=data, filename=safe.name)
        report = tabular.parse_table(project=project, table=table)
    except ServiceError as exc:
        return _refused(request, project, exc)
    _forget_old_uploads()
    stored = default_storage.save(f"{UPLOAD_DIR}/{uuid.uuid4().hex}.bin", ContentFile(data))
    token = signing.dumps(
        {"path": stored, "project": project.pk, "user": request.user.pk, "name": safe.name},
        salt=TOKEN_SALT,
    )
    return _step(request, project, "interop/_mapping.html", token=token, report=report,
                 filename=safe.name, headers=_header_rows(report))  # fmt: skip


def _header_rows(report: tabular.ImportReport) -> list[dict[str, Any]]:
    return [
        {"index": index, "header": header, "field": report.mapping.get(header, "")}
        for index, header in enumerate(report.headers)
    ]


def _step(request: HttpRequest, project: Any, partial: str, **extra: Any) -> HttpResponse:
    context = _context(
        request, project, "import", field_choices=FIELD_CHOICES, partial=partial, **extra
    )
    if request.headers.get("HX-Request"):
        return render(request, partial, context)
    return render(request, "interop/wizard.html", context)


@login_required
@require_POST
def import_check(request: HttpRequest, key: str) -> HttpResponse:
    """Step 3 (action=check): the dry-run report; step 4 (action=apply): write it all."""
    project = _project(request, key)
    try:
        require_role(request.user, project, Role.MANAGER)
    except ServiceError as exc:
        return _refused(request, project, exc)
    try:
        ticket = signing.loads(
            request.POST.get("token", ""), salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE
        )
    except signing.BadSignature:
        return _refused(request, project, ServiceError("the upload expired; choose the file again"))
    if ticket.get("project") != project.pk or ticket.get("user") != request.user.pk:
        raise Http404("not found")
    try:
        with default_storage.open(ticket["path"], "rb") as handle:
            data = handle.read()
    except OSError:
        return _refused(request, project, ServiceError("the upload expired; choose the file again"))
    try:
        table = tabular.read_table(data=data, filename=ticket["name"])
        mapping = {
            header: request.POST.get(f"col_{index}", "")
            for index, header in enumerate(table.headers)
        }
        apply = request.POST.get("action") == "apply"
        report = tabular.tasks_import(
            actor=request_user(request), project=project, data=data, filename=ticket["name"],
            mapping=mapping, dry_run=not apply,
        )  # fmt: skip
    except ServiceError as exc:
        if exc.errors and exc.errors[0].field.startswith("row "):
            report = tabular.parse_table(project=project, table=table, mapping=mapping)
            return _step(request, project, "interop/_report.html", token=request.POST["token"],
                         report=report, filename=ticket["name"], headers=_header_rows(report))  # fmt: skip
        return _refused(request, project, exc)
    if apply:
        default_storage.delete(ticket["path"])
        messages.success(
            request, f"Imported: {report.created} tasks created, {report.updated} updated."
        )
        target = reverse("web:project_plan", args=[project.key])
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
    return _step(request, project, "interop/_report.html", token=request.POST["token"],
                 report=report, filename=ticket["name"], headers=_header_rows(report))  # fmt: skip


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def task_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    project = _project(request, key)
    if fmt == "csv":
        return _download(tabular.tasks_export_csv(project=project), "text/csv; charset=utf-8",
                         f"{project.key}-tasks.csv")  # fmt: skip
    if fmt == "xlsx":
        return _download(
            tabular.tasks_export_xlsx(project=project),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{project.key}-tasks.xlsx",
        )
    raise Http404("unknown format")


@login_required
@require_GET
def archive_export(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    try:
        data = archive.project_export_json(actor=request_user(request), project=project)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404("not found") from None
        return HttpResponse(exc.detail, status=exc.status, content_type="text/plain")
    return _download(data, "application/json", f"{project.key}-archive.json")


@login_required
@require_http_methods(["GET", "POST"])
def archive_import(request: HttpRequest) -> HttpResponse:
    """Create a project from a JSON archive (anyone who may create projects)."""
    if request.method == "POST":
        try:
            upload = request.FILES.get("file")
            if upload is None:
                raise ServiceError("choose an itpm archive (.json)")
            check_upload(upload, max_bytes=settings.ITPM_MAX_IMPORT_MB * 1024 * 1024,
                         allowed_types={".json"})  # fmt: skip
            project = archive.project_import(
                actor=request_user(request), data=upload.read(),
                key=request.POST.get("key") or None, name=request.POST.get("name") or None,
            )  # fmt: skip
        except ServiceError as exc:
            return render(request, "interop/archive_import.html", {"error": exc.detail},
                          status=exc.status)  # fmt: skip
        messages.success(request, f"Project {project.key} imported.")
        return redirect("web:project_overview", project.key)
    return render(request, "interop/archive_import.html", {})
