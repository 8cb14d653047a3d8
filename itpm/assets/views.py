"""Pages of assets and services: inventory, import with a dry-run report, service pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from itpm.accounts.models import Team
from itpm.accounts.permissions import get_visible_project, request_user
from itpm.assets import forms as asset_forms
from itpm.assets import selectors, services
from itpm.assets.models import Asset, AssetStatus, AssetType, Service
from itpm.core.errors import NotFound, ServiceError
from itpm.core.models import AuditEvent
from itpm.core.uploads import TABLE_TYPES, check_upload
from itpm.helpdesk import selectors as helpdesk_selectors
from itpm.helpdesk.models import Queue, is_portal_only
from itpm.web.guards import deny_if_forbidden


def _add_errors(form: forms.Form, exc: ServiceError) -> None:
    if not exc.errors:
        form.add_error(None, exc.detail)
    for error in exc.errors:
        form.add_error(error.field if error.field in form.fields else None, error.message)


def _internal(request: HttpRequest) -> None:
    if is_portal_only(request.user):
        raise Http404("not found")


def _choices(form: forms.Form) -> None:
    teams = [("", "—")] + [(str(t.pk), t.name) for t in Team.objects.order_by("name")]
    if "owner_team" in form.fields:
        form.fields["owner_team"].choices = teams  # type: ignore[attr-defined]
    if "service" in form.fields:
        form.fields["service"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (str(s.pk), s.name) for s in Service.objects.order_by("name")
        ]
    if "support_queue" in form.fields:
        form.fields["support_queue"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (str(q.pk), f"{q.key} {q.name}") for q in Queue.objects.order_by("key")
        ]


def _asset_data(request: HttpRequest, cleaned: dict[str, Any]) -> dict[str, Any]:
    data = dict(cleaned)
    data.pop("version", None)
    team_id = data.pop("owner_team")
    data["owner_team"] = Team.objects.filter(pk=team_id).first() if team_id else None
    service_id = data.pop("service")
    data["service"] = Service.objects.filter(pk=service_id).first() if service_id else None
    key = data.pop("project")
    data["project"] = None
    if key:
        try:
            data["project"] = get_visible_project(request.user, key)
        except NotFound:
            from itpm.core.errors import Invalid

            raise Invalid.field("project", "no such project") from None
    data["installed_by_task"] = services.task_for_asset(
        actor=request_user(request), task_id=data.pop("installed_by_task")
    )
    data["currency"] = (data.get("currency") or "USD").upper()
    return data


@login_required
def asset_list(request: HttpRequest) -> HttpResponse:
    _internal(request)
    filters = {k: request.GET.get(k, "") for k in ("asset_type", "status", "team", "q", "project")}
    assets = selectors.asset_list(
        user=request.user,
        asset_type=filters["asset_type"] if filters["asset_type"] in AssetType.values else None,
        status=filters["status"] if filters["status"] in AssetStatus.values else None,
        team=filters["team"] or None, project=filters["project"] or None,
        search=filters["q"] or None,
    )  # fmt: skip
    page = Paginator(assets, 50).get_page(request.GET.get("page"))
    visible = selectors.visible_project_ids(request.user)
    rows = [
        (asset, asset.project if selectors.may_see_project(visible, asset.project_id) else None)
        for asset in page.object_list
    ]
    return render(request, "assets/asset_list.html", {
        "page": page, "rows": rows, "filters": filters, "types": AssetType.choices,
        "statuses": AssetStatus.choices, "teams": Team.objects.order_by("name"), "tab": "assets",
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def asset_create(request: HttpRequest) -> HttpResponse:
    _internal(request)
    form = asset_forms.AssetForm(request.POST or None)
    _choices(form)
    if request.method == "POST" and form.is_valid():
        try:
            asset = services.asset_create(
                actor=request_user(request), **_asset_data(request, form.cleaned_data)
            )
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, f"Asset {asset.tag} added.")
            return redirect(asset.get_absolute_url())
    status = 422 if request.method == "POST" else 200
    return render(request, "assets/asset_form.html", {"form": form, "tab": "assets"}, status=status)


def _asset(request: HttpRequest, asset_id: int) -> Asset:
    try:
        return selectors.asset_get(user=request.user, asset_id=asset_id)
    except NotFound:
        raise Http404("asset not found") from None


@login_required
def asset_detail(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = _asset(request, asset_id)
    history = AuditEvent.objects.filter(object_type="asset", object_id=str(asset.pk))
    visible = selectors.visible_project_ids(request.user)
    task = asset.installed_by_task
    return render(request, "assets/asset_detail.html", {
        "asset": asset, "history": history.select_related("actor")[:100],
        "can_edit": selectors.can_edit_team(request.user, asset.owner_team_id),
        # Only what the reader may open: tickets of their queues or their own, and the
        # project and installing task only to the project's readers (as on the service page).
        "tickets": helpdesk_selectors.visible_tickets(request.user)
        .filter(asset=asset).order_by("-id")[:20],
        "project": asset.project if selectors.may_see_project(visible, asset.project_id) else None,
        "task": task if task and selectors.may_see_project(visible, task.project_id) else None,
        "tab": "assets",
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def asset_edit(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = _asset(request, asset_id)
    # A project (or installing task) the editor may not see is neither shown nor dropped:
    # its field stays blank, and a blank field keeps the link.
    visible = selectors.visible_project_ids(request.user)
    task = asset.installed_by_task
    hidden_project = asset.project_id is not None and not selectors.may_see_project(
        visible, asset.project_id
    )
    hidden_task = task is not None and not selectors.may_see_project(visible, task.project_id)
    initial = {name: getattr(asset, name) for name in services.ASSET_FIELDS}
    initial.update({
        "version": asset.version, "owner_team": asset.owner_team_id or "",
        "service": asset.service_id or "",
        "project": asset.project.key if asset.project and not hidden_project else "",
        "installed_by_task": None if hidden_task else asset.installed_by_task_id,
    })  # fmt: skip
    form = asset_forms.AssetEditForm(request.POST or None, initial=initial)
    _choices(form)
    kept = "Linked to a project you may not see; left blank, the link stays."
    if hidden_project:
        form.fields["project"].help_text = kept
    if hidden_task:
        form.fields["installed_by_task"].help_text = kept
    if request.method == "POST" and form.is_valid():
        try:
            data = _asset_data(request, form.cleaned_data)
            if hidden_project and data["project"] is None:
                del data["project"]
            if hidden_task and data["installed_by_task"] is None:
                del data["installed_by_task"]
            services.asset_update(
                actor=request_user(request), asset=asset, version=form.cleaned_data["version"],
                data=data,
            )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, f"Asset {asset.tag} saved.")
            return redirect(asset.get_absolute_url())
    status = 422 if request.method == "POST" else 200
    return render(
        request, "assets/asset_form.html", {"form": form, "asset": asset, "tab": "assets"},
        status=status,
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def asset_import(request: HttpRequest) -> HttpResponse:
    _internal(request)
    if request.method == "POST" and not selectors.may_import(request.user):
        raise PermissionDenied("importing assets needs membership of an owner team")
    form = asset_forms.ImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            safe = check_upload(
                upload,
                max_bytes=settings.ITPM_MAX_IMPORT_MB * 1024 * 1024,
                allowed_types=TABLE_TYPES,
            )
            rows = services.read_table(upload.read(), safe.name)
            report = services.asset_import(
                actor=request_user(request), rows=rows, dry_run=not form.cleaned_data["apply"]
            )
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
            status = 422
        else:
            if report.applied:
                messages.success(
                    request, f"Imported: {report.created} created, {report.updated} updated."
                )
                return redirect("assets:asset_list")
            if not report.ok:
                status = 422
    elif request.method == "POST":
        status = 422
    return render(request, "assets/asset_import.html", {
        "form": form, "report": report, "columns": services.IMPORT_COLUMNS, "tab": "import",
    }, status=status)  # fmt: skip


@login_required
def service_list(request: HttpRequest) -> HttpResponse:
    _internal(request)
    search = request.GET.get("q", "")
    from django.db.models import Prefetch

    from itpm.accounts.permissions import visible_projects

    # The projects behind a service, as far as the reader may see them.
    items = selectors.service_list(user=request.user, search=search or None).prefetch_related(
        Prefetch("projects", queryset=visible_projects(request.user).order_by("key"))
    )
    return render(
        request, "assets/service_list.html", {"services": items, "q": search, "tab": "services"}
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_create(request: HttpRequest) -> HttpResponse:
    _internal(request)
    form = asset_forms.ServiceForm(request.POST or None)
    _choices(form)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        # Teams belong to no project: everyone may see them (GET /api/v1/teams).
        team = Team.objects.get(pk=data.pop("owner_team"))  # nosemgrep: itpm-unscoped-get-by-id
        queue_id = data.pop("support_queue")
        links = [line.strip() for line in data.pop("runbook_links").splitlines() if line.strip()]
        try:
            service = services.service_create(
                actor=request_user(request), owner_team=team,
                support_queue=Queue.objects.filter(pk=queue_id).first() if queue_id else None,
                runbook_links=links, **data,
            )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, f"Service {service.name} created.")
            return redirect(service.get_absolute_url())
    status = 422 if request.method == "POST" else 200
    return render(
        request, "assets/service_form.html", {"form": form, "tab": "services"}, status=status
    )


@login_required
def service_detail(request: HttpRequest, service_id: int) -> HttpResponse:
    try:
        service = selectors.service_get(user=request.user, service_id=service_id)
    except NotFound:
        raise Http404("service not found") from None
    from itpm.accounts.permissions import visible_projects

    return render(request, "assets/service_detail.html", {
        "service": service, "assets": service.assets.select_related("owner_team"),
        "projects": visible_projects(request.user).filter(services=service),
        # Only the tickets the reader may open: the others would be titles they must not
        # read and links that answer 404.
        "tickets": helpdesk_selectors.visible_tickets(request.user)
        .filter(service=service).exclude(status="closed").order_by("-id")[:20],
        "tab": "services",
    })  # fmt: skip
