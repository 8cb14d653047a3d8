"""API: assets (with CSV/XLSX import) and services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from itpm.accounts.models import Team
from itpm.accounts.permissions import get_visible_project, request_user
from itpm.assets import selectors, services
from itpm.assets.models import Asset, AssetStatus, AssetType, Service
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.core.errors import Invalid, NotFound
from itpm.core.models import AuditEvent
from itpm.core.uploads import TABLE_TYPES, check_upload

router = Router(tags=["assets and services"])

WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _may_see_project(context: dict[str, Any] | None, project_id: int | None) -> bool:
    """Whether the caller may see the project (its ids looked up once per request)."""
    request = (context or {}).get("request")
    if request is None:
        return False
    cached: tuple[set[int] | None] | None = getattr(request, "_itpm_visible_projects", None)
    if cached is None:
        cached = (selectors.visible_project_ids(request.user),)
        request._itpm_visible_projects = cached
    return selectors.may_see_project(cached[0], project_id)


class AssetOut(Schema):
    id: int
    version: int
    asset_type: str
    name: str
    tag: str
    serial: str
    model: str
    vendor: str
    location: str
    status: str
    owner_team: str | None
    purchase_order: str
    cost: Decimal | None
    currency: str
    warranty_end: dt.date | None
    installed_by_task: int | None = Field(
        None, description="The installing task (null unless you may see its project)."
    )
    service: int | None = Field(None, validation_alias="service_id")
    project: str | None = Field(description="Project key (null unless you may see it).")
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner_team(asset: Asset) -> str | None:
        return asset.owner_team.name if asset.owner_team else None

    @staticmethod
    def resolve_project(asset: Asset, context: dict[str, Any] | None) -> str | None:
        if asset.project is None or not _may_see_project(context, asset.project_id):
            return None
        return asset.project.key

    @staticmethod
    def resolve_installed_by_task(asset: Asset, context: dict[str, Any] | None) -> int | None:
        task = asset.installed_by_task
        if task is None or not _may_see_project(context, task.project_id):
            return None
        return task.pk


class AssetIn(StrictSchema):
    asset_type: AssetType = Field(examples=["switch"])
    name: str = Field(min_length=1, max_length=200, examples=["Core switch A"])
    tag: str = Field(min_length=1, max_length=64, examples=["NET-SW-001"])
    serial: str = Field("", max_length=120, examples=["FOC2231X0AB"])
    model: str = Field("", max_length=200, examples=["Catalyst 9500-48Y4C"])
    vendor: str = Field("", max_length=200, examples=["Cisco"])
    location: str = Field("", max_length=200, examples=["FRA1 cage 4, rack A3"])
    status: AssetStatus = AssetStatus.ORDERED
    owner_team: str | None = Field(None, examples=["Operations"])
    purchase_order: str = Field("", max_length=64, examples=["PO-2026-0412"])
    cost: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, examples=["18450.00"])
    currency: str = Field("USD", min_length=3, max_length=3, examples=["EUR"])
    warranty_end: dt.date | None = Field(None, examples=["2031-06-30"])
    installed_by_task: int | None = None
    service: int | None = None
    project: str | None = Field(None, examples=["NET"])
    notes: str = Field("", max_length=20_000)


class AssetPatch(StrictSchema):
    version: int | None = None
    asset_type: AssetType | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    tag: str | None = Field(None, min_length=1, max_length=64)
    serial: str | None = Field(None, max_length=120)
    model: str | None = Field(None, max_length=200)
    vendor: str | None = Field(None, max_length=200)
    location: str | None = Field(None, max_length=200)
    status: AssetStatus | None = None
    owner_team: str | None = None
    purchase_order: str | None = Field(None, max_length=64)
    cost: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)
    warranty_end: dt.date | None = None
    installed_by_task: int | None = None
    service: int | None = None
    project: str | None = None
    notes: str | None = Field(None, max_length=20_000)

    model_config = StrictSchema.model_config | {
        "json_schema_extra": {"examples": [{"version": 2, "status": "in_service"}]}
    }


def _team(name: str | None, field: str = "owner_team") -> Team | None:
    if name is None:
        return None
    team = Team.objects.filter(name=name).first()
    if team is None:
        raise Invalid.field(field, f"no team called {name!r}")
    return team


def _asset_data(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    user = request_user(request)
    if "owner_team" in data:
        data["owner_team"] = _team(data["owner_team"])
    if "installed_by_task" in data:
        data["installed_by_task"] = services.task_for_asset(
            actor=user, task_id=data["installed_by_task"]
        )
    if data.get("service") is not None:
        try:
            data["service"] = selectors.service_get(user=user, service_id=data["service"])
        except NotFound:
            raise Invalid.field("service", "no such service") from None
    if data.get("project") is not None:
        try:
            data["project"] = get_visible_project(user, data["project"])
        except NotFound:
            raise Invalid.field("project", "no such project") from None
    return data


@router.get("/assets", response={200: Page[AssetOut]})
def asset_list(
    request: HttpRequest,
    asset_type: AssetType | None = None,
    status: AssetStatus | None = None,
    team: str | None = None,
    service: int | None = None,
    project: str | None = None,
    search: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """The inventory (readable by every internal user)."""
    assets = selectors.asset_list(
        user=request.user, asset_type=asset_type, status=status, team=team, service=service,
        project=project, search=search,
    )  # fmt: skip
    return paginate(assets, limit, offset)


@router.post("/assets", response={201: AssetOut, **WRITE_ERRORS})
def asset_create(request: HttpRequest, payload: AssetIn) -> tuple[int, Asset]:
    """Add an asset (members of its owner team, or site admins)."""
    data = _asset_data(request, payload.model_dump())
    return 201, services.asset_create(actor=request_user(request), **data)


class ImportRowOut(Schema):
    row: int
    tag: str
    action: str = Field(description="create, update or error.")
    errors: list[dict[str, str]]


class ImportOut(Schema):
    dry_run: bool
    applied: bool = Field(description="True when the rows were written (all of them).")
    ok: bool
    created: int
    updated: int
    error_count: int
    rows: list[ImportRowOut]

    @staticmethod
    def resolve_rows(report: services.ImportReport) -> list[dict[str, Any]]:
        return [
            {"row": r.row, "tag": r.tag, "action": r.action,
             "errors": [{"field": e.field, "message": e.message} for e in r.errors]}
            for r in report.rows
        ]  # fmt: skip


@router.post("/assets/import", response={200: ImportOut, **WRITE_ERRORS})
def asset_import(
    request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = True
) -> services.ImportReport:
    """Import a CSV or XLSX file (columns: tag, name, asset_type, status, serial, model, vendor,
    location, owner_team, purchase_order, cost, currency, warranty_end, service, project).

    `dry_run=true` (the default) only reports; otherwise every row is written in one
    transaction, or none is when any row has an error (the report names row and field)."""
    safe = check_upload(
        file, max_bytes=settings.ITPM_MAX_IMPORT_MB * 1024 * 1024, allowed_types=TABLE_TYPES
    )
    rows = services.read_table(file.read(), safe.name)
    return services.asset_import(actor=request_user(request), rows=rows, dry_run=dry_run)


@router.get("/assets/{asset_id}", response={200: AssetOut, 404: ErrorOut})
def asset_get(request: HttpRequest, asset_id: int, response: HttpResponse) -> Asset:
    asset = selectors.asset_get(user=request.user, asset_id=asset_id)
    with_etag(response, asset.version)
    return asset


@router.patch("/assets/{asset_id}", response={200: AssetOut, **WRITE_ERRORS})
def asset_update(
    request: HttpRequest, asset_id: int, payload: AssetPatch, response: HttpResponse
) -> Asset:
    asset = selectors.asset_get(user=request.user, asset_id=asset_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    data = _asset_data(request, data)
    asset = services.asset_update(
        actor=request_user(request), asset=asset, version=version, data=data
    )
    asset = selectors.asset_get(user=request.user, asset_id=asset_id)
    with_etag(response, asset.version)
    return asset


class HistoryOut(Schema):
    created_at: dt.datetime
    actor: str | None
    action: str
    changes: dict[str, Any]

    @staticmethod
    def resolve_actor(event: AuditEvent) -> str | None:
        return event.actor.username if event.actor else None


@router.get("/assets/{asset_id}/history", response={200: list[HistoryOut], 404: ErrorOut})
def asset_history(request: HttpRequest, asset_id: int) -> list[AuditEvent]:
    """Every change of the asset, newest first."""
    asset = selectors.asset_get(user=request.user, asset_id=asset_id)
    return list(
        AuditEvent.objects.filter(object_type="asset", object_id=str(asset.pk)).select_related(
            "actor"
        )
    )


# ------------------------------------------------------------------ services
class ServiceOut(Schema):
    id: int
    version: int
    name: str
    description: str
    owner_team: str = Field(validation_alias="owner_team.name")
    support_queue: str | None
    hours: str
    runbook_links: list[str]
    projects: list[str] = Field(description="Keys of the projects behind it that you may see.")
    assets: list[int]
    retired: bool

    @staticmethod
    def resolve_support_queue(service: Service) -> str | None:
        return service.support_queue.key if service.support_queue else None

    @staticmethod
    def resolve_projects(service: Service, context: dict[str, Any] | None) -> list[str]:
        """The projects behind it that the caller may see."""
        return sorted(p.key for p in service.projects.all() if _may_see_project(context, p.pk))

    @staticmethod
    def resolve_assets(service: Service) -> list[int]:
        return sorted(a.pk for a in service.assets.all())


class ServiceIn(StrictSchema):
    name: str = Field(min_length=1, max_length=200, examples=["Campus network"])
    description: str = Field("", max_length=20_000)
    owner_team: str = Field(examples=["Operations"])
    support_queue: str | None = Field(None, description="Queue key.", examples=["NETOPS"])
    hours: str = Field("", max_length=120, examples=["24x7"])
    runbook_links: list[str] = Field([], examples=[["https://wiki.example.com/runbooks/campus"]])
    projects: list[str] = Field([], description="Keys of the projects behind it.")


class ServicePatch(StrictSchema):
    version: int | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20_000)
    owner_team: str | None = None
    support_queue: str | None = None
    hours: str | None = Field(None, max_length=120)
    runbook_links: list[str] | None = None
    projects: list[str] | None = None
    retired: bool | None = None


def _service_data(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    from itpm.helpdesk.selectors import queue_get

    if "owner_team" in data:
        if data["owner_team"] is None:
            raise Invalid.field("owner_team", "must not be null")
        data["owner_team"] = _team(data["owner_team"])
    if data.get("support_queue") is not None:
        try:
            data["support_queue"] = queue_get(user=request.user, key=data["support_queue"])
        except NotFound:
            raise Invalid.field("support_queue", "no such queue") from None
    if data.get("projects") is not None:
        keys = data["projects"]
        projects = []
        for key in keys:
            try:
                projects.append(get_visible_project(request.user, key))
            except NotFound:
                raise Invalid.field("projects", f"no project {key!r}") from None
        data["projects"] = projects
    if "runbook_links" in data and data["runbook_links"] is None:
        raise Invalid.field("runbook_links", "must not be null")
    return data


@router.get("/services", response={200: Page[ServiceOut]})
def service_list(
    request: HttpRequest, search: str | None = None, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """Services operations runs (readable by every internal user)."""
    services_qs = selectors.service_list(user=request.user, search=search).prefetch_related(
        "projects", "assets"
    )
    return paginate(services_qs, limit, offset)


@router.post("/services", response={201: ServiceOut, **WRITE_ERRORS})
def service_create(request: HttpRequest, payload: ServiceIn) -> tuple[int, Service]:
    """Create a service (members of its owner team, site admins, or a manager of one of
    its projects)."""
    data = _service_data(request, payload.model_dump())
    return 201, services.service_create(actor=request_user(request), **data)


@router.get("/services/{service_id}", response={200: ServiceOut, 404: ErrorOut})
def service_get(request: HttpRequest, service_id: int, response: HttpResponse) -> Service:
    service = selectors.service_get(user=request.user, service_id=service_id)
    with_etag(response, service.version)
    return service


@router.patch("/services/{service_id}", response={200: ServiceOut, **WRITE_ERRORS})
def service_update(
    request: HttpRequest, service_id: int, payload: ServicePatch, response: HttpResponse
) -> Service:
    service = selectors.service_get(user=request.user, service_id=service_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    data = _service_data(request, data)
    service = services.service_update(
        actor=request_user(request), service=service, version=version, data=data
    )
    with_etag(response, service.version)
    return service
