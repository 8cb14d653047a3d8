"""API: calendars, resources, assignments, resource load, leveling and baselines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from itpm.accounts.models import Team, User
from itpm.accounts.permissions import get_visible_project, request_user
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.core.errors import Invalid, NotFound
from itpm.planning import resource_selectors as selectors
from itpm.planning import resource_services as services
from itpm.planning.models import (
    Assignment,
    Baseline,
    CalendarException,
    Resource,
    ResourceAbsence,
    ResourceKind,
    ResourceRate,
    WorkCalendar,
)
from itpm.planning.selectors import task_in_project

router = Router(tags=["resources"])

WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
HOURS_EXAMPLE = [["09:00", "13:00"], ["14:00", "18:00"]]


# ====================================================================== calendars
class ExceptionOut(Schema):
    date: dt.date
    name: str
    working: bool
    working_hours: list[list[str]]


class CalendarOut(Schema):
    id: int
    version: int
    name: str
    project: str | None = Field(None, description="Key of the owning project; null = shared.")
    working_days: list[int] = Field(description="0 = Monday ... 6 = Sunday.")
    working_hours: list[list[str]]
    country: str
    subdivision: str
    timezone: str
    exceptions: list[ExceptionOut]

    @staticmethod
    def resolve_project(calendar: WorkCalendar) -> str | None:
        return calendar.project.key if calendar.project_id and calendar.project else None

    @staticmethod
    def resolve_exceptions(calendar: WorkCalendar) -> list[CalendarException]:
        return list(calendar.exceptions.all())


class CalendarIn(StrictSchema):
    name: str = Field(min_length=1, max_length=120, examples=["Apollo working week"])
    project: str | None = Field(
        None,
        description="Key of the project that owns it (and schedules on it); null = shared "
        "(site admins only).",
        examples=["APL"],
    )
    working_days: list[int] = Field([0, 1, 2, 3, 4], examples=[[0, 1, 2, 3, 4]])
    working_hours: list[list[str]] = Field(HOURS_EXAMPLE, examples=[HOURS_EXAMPLE])
    country: str = Field(
        "", max_length=8, description="ISO country for public holidays.", examples=["DE"]
    )
    subdivision: str = Field("", max_length=16, examples=["BY"])
    timezone: str = Field("UTC", max_length=64, examples=["Europe/Berlin"])


class CalendarPatch(StrictSchema):
    version: int | None = Field(None, description="The version you read; or send If-Match.")
    name: str | None = Field(None, min_length=1, max_length=120)
    working_days: list[int] | None = None
    working_hours: list[list[str]] | None = None
    country: str | None = Field(None, max_length=8)
    subdivision: str | None = Field(None, max_length=16)
    timezone: str | None = Field(None, max_length=64)

    model_config = StrictSchema.model_config | {
        "json_schema_extra": {"examples": [{"version": 2, "country": "US", "subdivision": "NY"}]}
    }


class ExceptionIn(StrictSchema):
    date: dt.date = Field(examples=["2027-03-06"])
    name: str = Field("", max_length=120, examples=["Go-live weekend"])
    working: bool = Field(False, description="True: an extra working day (e.g. a Saturday).")
    working_hours: list[list[str]] = Field(
        [],
        description="Periods of a working exception; empty = the usual hours.",
        examples=[[["09:00", "13:00"]]],
    )


@router.get("/calendars", response={200: Page[CalendarOut]})
def calendar_list(
    request: HttpRequest, project: str | None = None, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """Shared calendars and the calendars of projects you can see."""
    return paginate(selectors.calendar_list(user=request.user, project=project), limit, offset)


@router.post("/calendars", response={201: CalendarOut, **WRITE_ERRORS})
def calendar_create(request: HttpRequest, payload: CalendarIn) -> tuple[int, WorkCalendar]:
    """Create a calendar. A project's calendar becomes the calendar it schedules on."""
    data = payload.model_dump()
    key = data.pop("project")
    project = get_visible_project(request.user, key) if key else None
    calendar = services.calendar_create(actor=request_user(request), project=project, **data)
    return 201, selectors.calendar_get(user=request.user, calendar_id=calendar.pk)


@router.get("/calendars/{calendar_id}", response={200: CalendarOut, 404: ErrorOut})
def calendar_get(request: HttpRequest, calendar_id: int, response: HttpResponse) -> WorkCalendar:
    calendar = selectors.calendar_get(user=request.user, calendar_id=calendar_id)
    with_etag(response, calendar.version)
    return calendar


@router.patch("/calendars/{calendar_id}", response={200: CalendarOut, **WRITE_ERRORS})
def calendar_update(
    request: HttpRequest, calendar_id: int, payload: CalendarPatch, response: HttpResponse
) -> WorkCalendar:
    """Change working days, hours, holidays' country or zone; projects on it reschedule."""
    calendar = selectors.calendar_get(user=request.user, calendar_id=calendar_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    for name in ("name", "working_days", "working_hours", "timezone"):
        if name in data and data[name] is None:
            raise Invalid.field(name, "must not be null")
    services.calendar_update(
        actor=request_user(request), calendar=calendar, version=version, data=data
    )
    calendar = selectors.calendar_get(user=request.user, calendar_id=calendar_id)
    with_etag(response, calendar.version)
    return calendar


@router.post("/calendars/{calendar_id}/exceptions", response={201: CalendarOut, **WRITE_ERRORS})
def calendar_exception_add(
    request: HttpRequest, calendar_id: int, payload: ExceptionIn
) -> tuple[int, WorkCalendar]:
    """Add a day off or a working day (replaces an exception on the same date)."""
    calendar = selectors.calendar_get(user=request.user, calendar_id=calendar_id)
    services.calendar_exception_add(
        actor=request_user(request), calendar=calendar, **payload.model_dump()
    )
    return 201, selectors.calendar_get(user=request.user, calendar_id=calendar_id)


@router.delete("/calendars/{calendar_id}/exceptions/{date}", response={204: None, **WRITE_ERRORS})
def calendar_exception_remove(
    request: HttpRequest, calendar_id: int, date: dt.date
) -> tuple[int, None]:
    calendar = selectors.calendar_get(user=request.user, calendar_id=calendar_id)
    services.calendar_exception_remove(actor=request_user(request), calendar=calendar, date=date)
    return 204, None


# ====================================================================== resources
class RateOut(Schema):
    valid_from: dt.date
    rate: Decimal


class AbsenceOut(Schema):
    id: int
    start: dt.date
    finish: dt.date
    reason: str


class ResourceOut(Schema):
    id: int
    version: int
    name: str
    kind: str
    user: str | None = Field(None, description="Username of the person, if linked.")
    team: str | None = None
    capacity: Decimal = Field(description="Units available at once (1 = one full-time person).")
    calendar: int | None = Field(None, validation_alias="calendar_id")
    cost_rate: Decimal = Field(description="Current cost per working hour.")
    currency: str
    active: bool
    rates: list[RateOut]
    absences: list[AbsenceOut]

    @staticmethod
    def resolve_user(resource: Resource) -> str | None:
        return resource.user.username if resource.user_id and resource.user else None

    @staticmethod
    def resolve_team(resource: Resource) -> str | None:
        return resource.team.name if resource.team_id and resource.team else None

    @staticmethod
    def resolve_rates(resource: Resource) -> list[ResourceRate]:
        return list(resource.rates.all())

    @staticmethod
    def resolve_absences(resource: Resource) -> list[ResourceAbsence]:
        return list(resource.absences.all())


class ResourceIn(StrictSchema):
    name: str = Field(min_length=1, max_length=120, examples=["Test rack A"])
    kind: ResourceKind = Field(ResourceKind.PERSON, examples=["hardware"])
    user: str | None = Field(None, description="Username of the person.", examples=["dana"])
    team: str | None = Field(None, description="Team name.", examples=["Delivery"])
    capacity: Decimal = Field(Decimal(1), gt=0, le=1000, examples=[1])
    calendar: int | None = Field(None, description="Id of the resource's own calendar.")
    cost_rate: Decimal = Field(Decimal(0), ge=0, examples=[95])
    currency: str = Field("USD", min_length=3, max_length=3, examples=["USD"])
    active: bool = True


class ResourcePatch(StrictSchema):
    version: int | None = None
    name: str | None = Field(None, min_length=1, max_length=120)
    kind: ResourceKind | None = None
    user: str | None = None
    team: str | None = None
    capacity: Decimal | None = Field(None, gt=0, le=1000)
    calendar: int | None = None
    cost_rate: Decimal | None = Field(None, ge=0)
    currency: str | None = Field(None, min_length=3, max_length=3)
    active: bool | None = None

    model_config = StrictSchema.model_config | {
        "json_schema_extra": {"examples": [{"version": 1, "capacity": 0.5}]}
    }


class AbsenceIn(StrictSchema):
    start: dt.date = Field(examples=["2027-08-02"])
    finish: dt.date = Field(examples=["2027-08-13"])
    reason: str = Field("", max_length=120, examples=["Summer vacation"])


class RateIn(StrictSchema):
    valid_from: dt.date = Field(examples=["2027-01-01"])
    rate: Decimal = Field(ge=0, examples=[105])


def _resource_refs(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("user") is not None:
        user = User.objects.filter(username=data["user"], is_active=True).first()
        if user is None:
            raise Invalid.field("user", f"no user called {data['user']!r}")
        data["user"] = user
    if data.get("team") is not None:
        team = Team.objects.filter(name=data["team"]).first()
        if team is None:
            raise Invalid.field("team", f"no team called {data['team']!r}")
        data["team"] = team
    if data.get("calendar") is not None:
        try:
            data["calendar"] = selectors.calendar_get(
                user=request.user, calendar_id=data["calendar"]
            )
        except NotFound:
            raise Invalid.field("calendar", f"no calendar {data['calendar']}") from None
    return data


@router.get("/resources", response={200: Page[ResourceOut]})
def resource_list(
    request: HttpRequest,
    kind: ResourceKind | None = None,
    team: str | None = None,
    active: bool | None = None,
    search: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """People, equipment and hardware (organisation-wide)."""
    resources = selectors.resource_list(
        user=request.user, kind=kind, team=team, active=active, search=search
    )
    return paginate(resources, limit, offset)


@router.post("/resources", response={201: ResourceOut, **WRITE_ERRORS})
def resource_create(request: HttpRequest, payload: ResourceIn) -> tuple[int, Resource]:
    """Create a resource (site admins and project managers)."""
    data = _resource_refs(request, payload.model_dump())
    resource = services.resource_create(actor=request_user(request), **data)
    return 201, selectors.resource_get(user=request.user, resource_id=resource.pk)


@router.get("/resources/{resource_id}", response={200: ResourceOut, 404: ErrorOut})
def resource_get(request: HttpRequest, resource_id: int, response: HttpResponse) -> Resource:
    resource = selectors.resource_get(user=request.user, resource_id=resource_id)
    with_etag(response, resource.version)
    return resource


@router.patch("/resources/{resource_id}", response={200: ResourceOut, **WRITE_ERRORS})
def resource_update(
    request: HttpRequest, resource_id: int, payload: ResourcePatch, response: HttpResponse
) -> Resource:
    resource = selectors.resource_get(user=request.user, resource_id=resource_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    for name in ("name", "kind", "capacity", "cost_rate", "currency", "active"):
        if name in data and data[name] is None:
            raise Invalid.field(name, "must not be null")
    services.resource_update(
        actor=request_user(request),
        resource=resource,
        version=version,
        data=_resource_refs(request, data),
    )
    resource = selectors.resource_get(user=request.user, resource_id=resource_id)
    with_etag(response, resource.version)
    return resource


@router.post("/resources/{resource_id}/absences", response={201: AbsenceOut, **WRITE_ERRORS})
def absence_add(
    request: HttpRequest, resource_id: int, payload: AbsenceIn
) -> tuple[int, ResourceAbsence]:
    """Record a vacation or other absence (the person themself, admins, project managers)."""
    resource = selectors.resource_get(user=request.user, resource_id=resource_id)
    return 201, services.absence_add(
        actor=request_user(request), resource=resource, **payload.model_dump()
    )


@router.delete(
    "/resources/{resource_id}/absences/{absence_id}", response={204: None, **WRITE_ERRORS}
)
def absence_remove(request: HttpRequest, resource_id: int, absence_id: int) -> tuple[int, None]:
    resource = selectors.resource_get(user=request.user, resource_id=resource_id)
    absence = selectors.absence_get(user=request.user, resource=resource, absence_id=absence_id)
    services.absence_remove(actor=request_user(request), absence=absence)
    return 204, None


@router.post("/resources/{resource_id}/rates", response={201: RateOut, **WRITE_ERRORS})
def rate_set(request: HttpRequest, resource_id: int, payload: RateIn) -> tuple[int, ResourceRate]:
    """Set the cost rate from a date on (rates over time)."""
    resource = selectors.resource_get(user=request.user, resource_id=resource_id)
    return 201, services.rate_set(
        actor=request_user(request), resource=resource, **payload.model_dump()
    )


class LoadTaskOut(Schema):
    project: str
    task_id: int
    wbs_code: str
    name: str
    hours: float


class LoadWeekOut(Schema):
    week_start: dt.date
    capacity_hours: float = Field(
        description="Units x working hours of its calendar, minus absences."
    )
    demand_hours: float = Field(description="Assigned work in every project.")
    over: bool = Field(description="Demand above capacity.")
    other_projects_hours: float = Field(description="Hours in projects you cannot see.")
    tasks: list[LoadTaskOut] = Field(description="Tasks of projects you can see.")


class LoadOut(Schema):
    resource: int
    name: str
    start: dt.date
    finish: dt.date
    over_weeks: int
    weeks: list[LoadWeekOut]


@router.get("/resources/{resource_id}/load", response={200: LoadOut, 404: ErrorOut, 422: ErrorOut})
def resource_load(
    request: HttpRequest,
    resource_id: int,
    start: dt.date | None = Query(None, alias="from"),  # type: ignore[type-arg]  # noqa: B008 - ninja declares query parameters this way
    finish: dt.date | None = Query(None, alias="to"),  # type: ignore[type-arg]  # noqa: B008
) -> dict[str, Any]:
    """Hours demanded vs available per week across all projects (`?from=&to=`, dates)."""
    resource = selectors.resource_get(user=request.user, resource_id=resource_id)
    first, last = selectors.load_window(start, finish)
    load = selectors.resources_load(
        user=request.user, resources=[resource], start=first, finish=last
    )[0]
    return {
        "resource": resource.pk, "name": resource.name, "start": first, "finish": last,
        "over_weeks": load.over_weeks,
        "weeks": [
            {"week_start": w.week_start, "capacity_hours": w.capacity_hours,
             "demand_hours": w.demand_hours, "over": w.over,
             "other_projects_hours": w.other_projects_hours, "tasks": w.tasks}
            for w in load.weeks
        ],
    }  # fmt: skip


# ====================================================================== assignments
class AssignmentOut(Schema):
    id: int
    version: int
    project: str = Field(validation_alias="project.key")
    task: int = Field(validation_alias="task_id")
    task_name: str = Field(validation_alias="task.name")
    resource: int = Field(validation_alias="resource_id")
    resource_name: str = Field(validation_alias="resource.name")
    units: Decimal = Field(description="1 = full time, 0.5 = half time.")
    work_hours: Decimal

    @staticmethod
    def resolve_work_hours(assignment: Assignment) -> Decimal:
        return Decimal(assignment.task.duration_hours) * assignment.units


class AssignmentIn(StrictSchema):
    task: int = Field(examples=[12])
    resource: int = Field(examples=[3])
    units: Decimal = Field(Decimal(1), gt=0, le=100, examples=[0.5])


class AssignmentPatch(StrictSchema):
    version: int | None = None
    units: Decimal | None = Field(None, gt=0, le=100, examples=[0.5])


@router.get("/projects/{key}/assignments", response={200: Page[AssignmentOut], 404: ErrorOut})
def assignment_list(
    request: HttpRequest,
    key: str,
    task: int | None = None,
    resource: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    project = get_visible_project(request.user, key)
    return paginate(
        selectors.assignment_list(project=project, task=task, resource=resource), limit, offset
    )


@router.post("/projects/{key}/assignments", response={201: AssignmentOut, **WRITE_ERRORS})
def assignment_create(
    request: HttpRequest, key: str, payload: AssignmentIn
) -> tuple[int, Assignment]:
    """Assign a resource to a task with units; the project reschedules."""
    project = get_visible_project(request.user, key)
    task = task_in_project(project=project, task_id=payload.task, field="task")
    try:
        resource = selectors.resource_get(user=request.user, resource_id=payload.resource)
    except NotFound:
        raise Invalid.field("resource", f"no resource {payload.resource}") from None
    assignment = services.assignment_create(
        actor=request_user(request), task=task, resource=resource, units=payload.units
    )
    return 201, selectors.assignment_get(user=request.user, assignment_id=assignment.pk)


@router.get("/assignments/{assignment_id}", response={200: AssignmentOut, 404: ErrorOut})
def assignment_get(request: HttpRequest, assignment_id: int, response: HttpResponse) -> Assignment:
    assignment = selectors.assignment_get(user=request.user, assignment_id=assignment_id)
    with_etag(response, assignment.version)
    return assignment


@router.patch("/assignments/{assignment_id}", response={200: AssignmentOut, **WRITE_ERRORS})
def assignment_update(
    request: HttpRequest, assignment_id: int, payload: AssignmentPatch, response: HttpResponse
) -> Assignment:
    assignment = selectors.assignment_get(user=request.user, assignment_id=assignment_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    if "units" in data and data["units"] is None:
        raise Invalid.field("units", "must not be null")
    services.assignment_update(
        actor=request_user(request), assignment=assignment, version=version, data=data
    )
    assignment = selectors.assignment_get(user=request.user, assignment_id=assignment_id)
    with_etag(response, assignment.version)
    return assignment


@router.delete("/assignments/{assignment_id}", response={204: None, **WRITE_ERRORS})
def assignment_delete(request: HttpRequest, assignment_id: int) -> tuple[int, None]:
    assignment = selectors.assignment_get(user=request.user, assignment_id=assignment_id)
    version = request.headers.get("If-Match")
    services.assignment_delete(
        actor=request_user(request),
        assignment=assignment,
        version=expected_version(request, None) if version else None,
    )
    return 204, None


# ====================================================================== leveling
class LevelIn(StrictSchema):
    solver: str = Field(
        "heuristic", description="heuristic | exact (CP-SAT)", examples=["heuristic"]
    )
    time_limit: float = Field(10.0, ge=0.1, le=services.MAX_TIME_LIMIT, examples=[5])
    apply: bool = Field(False, description="False: preview only (nothing changes).")
    run: int | None = Field(
        None,
        description="With apply: the id of a stored preview to apply as it was shown (409 if "
        "the plan changed since); without it the project is leveled and applied at once.",
        examples=[None],
    )


class MovedOut(Schema):
    task: int
    wbs_code: str
    name: str
    old_start: dt.datetime
    new_start: dt.datetime
    old_finish: dt.datetime | None
    new_finish: dt.datetime | None
    delta_hours: int = Field(description="Working hours the start moves (positive = later).")


class LevelOut(Schema):
    run: int | None = Field(None, description="Id of the stored preview.")
    applied: bool
    tasks_changed: int = Field(
        0, description="Tasks whose leveling delay this call changed (0 for a preview)."
    )
    solver: str
    time_zone: str | None = Field(
        None,
        description="IANA zone of every time in this answer: the project calendar's "
        "(old and new times alike).",
        examples=["America/New_York"],
    )
    moved: list[MovedOut]
    finish_before: dt.datetime | None
    finish_after: dt.datetime | None
    makespan_hours: int
    lower_bound_hours: int | None
    gap: float | None = Field(description="(makespan - lower bound) / lower bound.")
    optimal: bool
    seconds: float


@router.post("/projects/{key}/schedule/level", response={200: LevelOut, **WRITE_ERRORS})
def project_level(request: HttpRequest, key: str, payload: LevelIn) -> dict[str, Any]:
    """Level resources: a preview (tasks that move, new finish), or apply it (managers)."""
    project = get_visible_project(request.user, key)
    actor = request_user(request)
    if payload.run is not None:
        if not payload.apply:
            raise Invalid.field("run", "only with apply: a stored preview is applied")
        stored = selectors.leveling_run_get(project=project, run_id=payload.run)
        result = services.leveling_apply(actor=actor, project=project, run=stored)
        return {**result, "run": stored.pk, "applied": True}
    run = services.leveling_preview(
        actor=actor, project=project, solver=payload.solver, time_limit=payload.time_limit
    )
    if run.status == "failed":
        raise Invalid.field("leveling", run.error)
    if payload.apply:
        result = services.leveling_apply(actor=actor, project=project, run=run)
        return {**result, "run": run.pk, "applied": True}
    return {**run.result, "run": run.pk, "applied": False}


@router.delete("/projects/{key}/schedule/level", response={204: None, **WRITE_ERRORS})
def project_level_clear(request: HttpRequest, key: str) -> tuple[int, None]:
    """Remove the leveling delays of every task and reschedule."""
    project = get_visible_project(request.user, key)
    services.leveling_clear(actor=request_user(request), project=project)
    return 204, None


# ====================================================================== baselines
class BaselineOut(Schema):
    id: int
    name: str
    active: bool
    created_at: dt.datetime
    created_by: str | None = None
    finish: dt.datetime | None

    @staticmethod
    def resolve_created_by(baseline: Baseline) -> str | None:
        return baseline.created_by.username if baseline.created_by else None


class BaselineIn(StrictSchema):
    name: str = Field(min_length=1, max_length=120, examples=["Approved plan"])
    active: bool | None = Field(
        None, description="Make it the active baseline (default: if none is)."
    )


class VarianceRowOut(Schema):
    task: int | None = Field(validation_alias="task_id")
    wbs_code: str
    name: str
    summary: bool
    status: str = Field(description="'added' (not in the baseline), 'removed', or ''.")
    baseline_start: dt.datetime | None
    start: dt.datetime | None
    start_variance_hours: int | None
    baseline_finish: dt.datetime | None
    finish: dt.datetime | None
    finish_variance_hours: int | None = Field(description="Working hours; positive = late.")
    baseline_duration_hours: int | None
    duration_hours: int | None
    duration_variance_hours: int | None
    baseline_cost: Decimal | None
    cost: Decimal | None
    cost_variance: Decimal | None
    late: bool


class VarianceOut(Schema):
    baseline: BaselineOut
    baseline_finish: dt.datetime | None
    finish: dt.datetime | None
    finish_variance_hours: int | None
    baseline_cost: Decimal
    cost: Decimal
    cost_variance: Decimal
    late_tasks: int
    rows: list[VarianceRowOut]


@router.get("/projects/{key}/baselines", response={200: Page[BaselineOut], 404: ErrorOut})
def baseline_list(
    request: HttpRequest, key: str, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    project = get_visible_project(request.user, key)
    return paginate(selectors.baseline_list(project=project), limit, offset)


@router.post("/projects/{key}/baselines", response={201: BaselineOut, **WRITE_ERRORS})
def baseline_create(request: HttpRequest, key: str, payload: BaselineIn) -> tuple[int, Baseline]:
    """Save the current schedule and cost as a named baseline (managers)."""
    project = get_visible_project(request.user, key)
    return 201, services.baseline_create(
        actor=request_user(request), project=project, name=payload.name, active=payload.active
    )


@router.post(
    "/projects/{key}/baselines/{baseline_id}/activate", response={200: BaselineOut, **WRITE_ERRORS}
)
def baseline_activate(request: HttpRequest, key: str, baseline_id: int) -> Baseline:
    """Make this the active baseline (the one variance and earned value measure against)."""
    project = get_visible_project(request.user, key)
    baseline = selectors.baseline_get(project=project, baseline_id=baseline_id)
    return services.baseline_set_active(actor=request_user(request), baseline=baseline)


@router.get(
    "/projects/{key}/baselines/{baseline_id}/variance", response={200: VarianceOut, 404: ErrorOut}
)
def baseline_variance(request: HttpRequest, key: str, baseline_id: int) -> Any:
    """Start, finish, duration and cost of every task against the baseline."""
    project = get_visible_project(request.user, key)
    baseline = selectors.baseline_get(project=project, baseline_id=baseline_id)
    return selectors.baseline_variance(project=project, baseline=baseline)
