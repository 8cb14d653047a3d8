"""API: projects, their members and their activity feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from itpm.accounts import services as account_services
from itpm.accounts.models import Membership, Role
from itpm.accounts.permissions import get_visible_project, request_user, require_role
from itpm.accounts.selectors import user_by_username
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.core.errors import NotFound
from itpm.portfolio import selectors, services
from itpm.portfolio.models import Category, Project, Stage
from itpm.portfolio.templates import project_create_with_template

router = Router(tags=["projects"])


class ProjectOut(Schema):
    id: int
    version: int
    key: str
    name: str
    goal: str
    category: str
    stage: str
    manager: str | None = Field(None, validation_alias="manager.username")
    sponsor: str | None = Field(None, validation_alias="sponsor.username")
    start_date: dt.date | None
    target_date: dt.date | None
    currency: str
    archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ProjectIn(StrictSchema):
    key: str = Field(min_length=2, max_length=10, examples=["NET"])
    name: str = Field(min_length=1, max_length=200, examples=["Campus network refresh"])
    goal: str = Field("", examples=["Replace 40 access switches without user downtime"])
    category: Category = Field(Category.OTHER, examples=["network_cloud"])
    stage: Stage = Stage.INITIATION
    manager: str | None = Field(None, description="username", examples=["pm"])
    sponsor: str | None = Field(None, description="username", examples=["cio"])
    start_date: dt.date | None = Field(None, examples=["2027-01-04"])
    target_date: dt.date | None = Field(None, examples=["2027-06-30"])
    currency: str = Field("USD", min_length=3, max_length=3, examples=["EUR"])
    template: bool = Field(
        False,
        description="Lay in the category's template: phases, tasks, milestones and links.",
        examples=[True],
    )


class ProjectPatch(StrictSchema):
    version: int | None = Field(None, description="The version you read; or send If-Match.")
    name: str | None = Field(None, min_length=1, max_length=200)
    goal: str | None = None
    category: Category | None = None
    manager: str | None = None
    sponsor: str | None = None
    start_date: dt.date | None = None
    target_date: dt.date | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)


class ArchiveIn(StrictSchema):
    version: int | None = None


def _people(data: dict[str, Any]) -> dict[str, Any]:
    # Only null means "nobody"; any string, the empty one too, must name a user, or the
    # service would be handed a string where it expects a User (a 500, found by schemathesis).
    for field in ("manager", "sponsor"):
        if data.get(field) is not None:
            data[field] = user_by_username(data[field], field=field)
    return data


@router.get("/projects", response=Page[ProjectOut])
def project_list(
    request: HttpRequest,
    stage: Stage | None = None,
    category: Category | None = None,
    archived: bool | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """The projects you may see."""
    projects = selectors.project_list(
        user=request.user, stage=stage, category=category, archived=archived, search=search
    )
    return paginate(projects, limit, offset)


@router.post("/projects", response={201: ProjectOut, 409: ErrorOut, 422: ErrorOut})
def project_create(request: HttpRequest, payload: ProjectIn) -> tuple[int, Project]:
    """Create a project; you become its owner."""
    data = _people(payload.model_dump())
    return 201, project_create_with_template(actor=request_user(request), **data)


@router.get("/projects/{key}", response={200: ProjectOut, 404: ErrorOut})
def project_get(request: HttpRequest, key: str, response: HttpResponse) -> Project:
    project = get_visible_project(request.user, key)
    with_etag(response, project.version)
    return project


@router.patch(
    "/projects/{key}",
    response={200: ProjectOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def project_update(
    request: HttpRequest, key: str, payload: ProjectPatch, response: HttpResponse
) -> Project:
    """Change project fields. Send the `version` you read; a stale one gets 409."""
    project = get_visible_project(request.user, key)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    project = services.project_update(
        actor=request_user(request),
        project=project,
        version=version,
        data=_people(data),
    )
    with_etag(response, project.version)
    return project


@router.post(
    "/projects/{key}/archive",
    response={200: ProjectOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def project_archive(request: HttpRequest, key: str, payload: ArchiveIn | None = None) -> Project:
    """Archive the project: it becomes read-only for everyone (owners only)."""
    project = get_visible_project(request.user, key)
    return services.project_archive(
        actor=request_user(request),
        project=project,
        version=payload.version if payload else None,
    )


class MemberOut(Schema):
    username: str = Field(validation_alias="user.username")
    name: str = Field(validation_alias="user.display_name")
    role: str
    version: int


class MemberIn(StrictSchema):
    username: str = Field(examples=["dana"])
    role: Role = Field(Role.MEMBER, examples=["member"])


@router.get("/projects/{key}/members", response={200: list[MemberOut], 404: ErrorOut})
def member_list(request: HttpRequest, key: str) -> list[Membership]:
    project = get_visible_project(request.user, key)
    return list(project.memberships.select_related("user").order_by("user__username"))


@router.post(
    "/projects/{key}/members",
    response={200: MemberOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def member_set(request: HttpRequest, key: str, payload: MemberIn) -> Membership:
    """Add a member or change a member's role (managers; owners for the owner role)."""
    project = get_visible_project(request.user, key)
    user = user_by_username(payload.username, field="username")
    return account_services.membership_set(
        actor=request_user(request), project=project, user=user, role=payload.role
    )


@router.delete(
    "/projects/{key}/members/{username}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def member_remove(request: HttpRequest, key: str, username: str) -> tuple[int, None]:
    project = get_visible_project(request.user, key)
    require_role(request.user, project, Role.MANAGER)
    membership = project.memberships.filter(user__username=username).select_related("user").first()
    if membership is None:
        raise NotFound(f"{username} is not a member of {project.key}")
    account_services.membership_remove(
        actor=request_user(request), project=project, user=membership.user
    )
    return 204, None


class EventOut(Schema):
    id: int
    created_at: dt.datetime
    actor: str | None = Field(None, validation_alias="actor.username")
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]


@router.get("/projects/{key}/activity", response={200: Page[EventOut], 404: ErrorOut})
def project_activity(
    request: HttpRequest, key: str, action: str | None = None, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """Audit events of the project, newest first."""
    project = get_visible_project(request.user, key)
    return paginate(selectors.project_activity(project=project, action=action), limit, offset)
