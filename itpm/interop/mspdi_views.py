"""Pages: import a project from MS Project XML, and download a project as MS Project XML."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from itpm.accounts.permissions import get_visible_project, request_user
from itpm.core.errors import NotFound, ServiceError
from itpm.core.uploads import check_upload
from itpm.interop.mspdi_api import MSPDI_CONTENT_TYPE
from itpm.interop.mspdi_export import mspdi_export
from itpm.interop.mspdi_import import mspdi_import


@login_required
@require_http_methods(["GET", "POST"])
def mspdi_import_page(request: HttpRequest) -> HttpResponse:
    """Upload an MS Project XML file: a new project, or the plan of one you manage replaced."""
    if request.method == "POST":
        try:
            upload = request.FILES.get("file")
            if upload is None:
                raise ServiceError("choose an MS Project XML file (.xml)")
            check_upload(
                upload, max_bytes=settings.ITPM_MAX_IMPORT_MB * 1024 * 1024, allowed_types={".xml"}
            )
            project = mspdi_import(
                data=upload.read(),
                actor=request_user(request),
                project_key=request.POST.get("key", "").strip() or None,
                name=request.POST.get("name", "").strip() or None,
            )
        except ServiceError as exc:
            return render(
                request,
                "interop/mspdi_import.html",
                {"error": exc.detail, "values": request.POST},
                status=exc.status,
            )
        messages.success(
            request, f"Imported {project.tasks.count()} tasks from MS Project into {project.key}."
        )
        return redirect("gantt:project_gantt", project.key)
    return render(request, "interop/mspdi_import.html", {"values": {}})


@login_required
@require_GET
def mspdi_export_file(request: HttpRequest, key: str) -> HttpResponse:
    """The project as an MS Project XML download (anyone who sees the project)."""
    try:
        project = get_visible_project(request.user, key)
    except NotFound:
        raise Http404("project not found") from None
    response = HttpResponse(mspdi_export(project=project), content_type=MSPDI_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{project.key}.xml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
