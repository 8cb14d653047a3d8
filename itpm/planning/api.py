"""API: WBS tasks and dependencies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import BaseModel, Field

from itpm.accounts.permissions import get_visible_project, request_user
from itpm.accounts.selectors import users_by_username
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.core.errors import Invalid
from itpm.planning import selectors, services
from itpm.planning.durations import MAX_DURATION_HOURS, exact_minutes
from itpm.planning.models import ConstraintType, Dependency, DependencyType, Task, TaskStatus

router = Router(tags=["planning"])

WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class SplitIO(BaseModel):
    """A pause in a split task's work (MS Project's "Split Task")."""

    after_hours: int = Field(ge=1, description="Work hours done when the pause begins.")
    pause_hours: int = Field(ge=1, le=100_000, description="Working hours the work stops.")

    model_config = {"json_schema_extra": {"examples": [{"after_hours": 16, "pause_hours": 24}]}}


class TaskOut(BaseModel):
    """A task as the API shows it. A plain pydantic model built from ``task_rows`` dicts:
    validating a page of them runs in pydantic's core, where reading ORM attributes through
    ninja's resolvers cost about a third of the list request."""

    id: int
    version: int
    project: str = Field(description="The project's key.")
    parent: int | None = Field(None, description="Id of the summary task above it.")
    order: int
    wbs_code: str
    name: str
    description: str
    description_html: str = Field(description="The description rendered as sanitized HTML.")
    milestone: bool
    summary: bool = Field(description="True when the task has subtasks.")
    duration_hours: int = Field(
        description="Working hours of work (pauses not included), rounded to the hour."
    )
    duration_minutes: int = Field(
        description="The exact duration in minutes (450 for 7 h 30); duration_hours x 60 "
        "for whole hours."
    )
    splits: list[SplitIO] = Field(
        description="Pauses in the work; the task spans its duration plus its pauses."
    )
    elapsed: bool = Field(
        description="The duration is real time, day and night (a 72-hour burn-in), "
        "not working time."
    )
    planned_start: dt.datetime | None = Field(description="Scheduled start (computed).")
    planned_finish: dt.datetime | None = Field(description="Scheduled finish (computed).")
    status: str
    percent_complete: int
    assignees: list[str]
    constraint_type: str
    constraint_date: dt.datetime | None
    deadline: dt.datetime | None
    priority: int
    actual_start: dt.datetime | None
    actual_finish: dt.datetime | None
    early_start: dt.datetime | None
    early_finish: dt.datetime | None
    late_start: dt.datetime | None
    late_finish: dt.datetime | None
    total_float_hours: int | None
    free_float_hours: int | None
    critical: bool
    late: bool = Field(description="Negative float: a constraint or deadline cannot be met.")
    created_at: dt.datetime
    updated_at: dt.datetime


# TaskOut fields read from the task as they are.
_TASK_FIELDS = tuple(
    name
    for name in TaskOut.model_fields
    if name
    not in {"project", "parent", "summary", "assignees", "late", "splits", "duration_minutes"}
)


def task_rows(tasks: list[Task], *, project_key: str | None = None) -> list[dict[str, Any]]:
    """``TaskOut`` dicts for tasks (of one project when ``project_key`` is given; otherwise
    each task's ``project`` is read). Assignees come in one query for all of them."""
    names = selectors.assignee_names([task.pk for task in tasks])
    rows = []
    for task in tasks:
        row = {name: getattr(task, name) for name in _TASK_FIELDS}
        row["project"] = project_key or task.project.key
        row["parent"] = task.parent_id
        row["description_html"] = task.description_html
        row["summary"] = bool(getattr(task, "child_count", 0))
        row["assignees"] = names.get(task.pk, [])
        row["late"] = task.total_float_hours is not None and task.total_float_hours < 0
        row["splits"] = [{"after_hours": a, "pause_hours": p} for a, p in task.splits or []]
        row["duration_minutes"] = exact_minutes(task)
        rows.append(row)
    return rows


def task_row(task: Task) -> dict[str, Any]:
    return task_rows([task])[0]


class TaskIn(StrictSchema):
    name: str = Field(min_length=1, max_length=300, examples=["Install core switches"])
    parent: int | None = Field(None, description="Id of the summary task to nest under.")
    position: int | None = Field(None, ge=1, description="1-based place among siblings.")
    description: str = Field("", max_length=50_000, examples=["Rack **A3**, see runbook"])
    milestone: bool = False
    duration_hours: int = Field(8, ge=0, le=MAX_DURATION_HOURS, examples=[16])
    duration_minutes: int | None = Field(
        None,
        ge=0,
        le=MAX_DURATION_HOURS * 60,
        examples=[450],
        description="The exact duration in minutes, for durations that are not whole hours "
        "(a 7.5-hour day); sets duration_hours to it rounded.",
    )
    status: TaskStatus = TaskStatus.NOT_STARTED
    percent_complete: int = Field(0, ge=0, le=100)
    assignees: list[str] = Field([], description="usernames of project members")
    constraint_type: ConstraintType = ConstraintType.ASAP
    constraint_date: dt.datetime | None = Field(None, examples=["2027-02-01T09:00:00Z"])
    deadline: dt.datetime | None = None
    priority: int = Field(500, ge=0, le=1000)
    splits: list[SplitIO] = Field(
        [], max_length=50, description="Pauses in the work, each inside the duration."
    )
    elapsed: bool = Field(False, description="The duration is real hours, day and night.")


class TaskPatch(StrictSchema):
    version: int | None = Field(None, description="The version you read; or send If-Match.")
    name: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = Field(None, max_length=50_000)
    milestone: bool | None = None
    duration_hours: int | None = Field(None, ge=0, le=MAX_DURATION_HOURS)
    duration_minutes: int | None = Field(
        None,
        ge=0,
        le=MAX_DURATION_HOURS * 60,
        description="The exact duration in minutes; null keeps whole hours.",
    )
    status: TaskStatus | None = None
    percent_complete: int | None = Field(None, ge=0, le=100)
    assignees: list[str] | None = None
    constraint_type: ConstraintType | None = None
    constraint_date: dt.datetime | None = None
    deadline: dt.datetime | None = None
    priority: int | None = Field(None, ge=0, le=1000)
    actual_start: dt.datetime | None = None
    actual_finish: dt.datetime | None = None
    splits: list[SplitIO] | None = Field(
        None, max_length=50, description="Replaces the pauses; [] or null joins the work up."
    )
    elapsed: bool | None = Field(None, description="The duration is real hours, day and night.")

    model_config = StrictSchema.model_config | {
        "json_schema_extra": {
            "examples": [
                {"version": 3, "duration_hours": 24},
                {"version": 4, "splits": [{"after_hours": 16, "pause_hours": 24}]},
                {"version": 5, "duration_hours": 72, "elapsed": True},
                {"version": 6, "duration_minutes": 450},
            ]
        }
    }


class MoveIn(StrictSchema):
    version: int | None = None
    parent: int | None = Field(None, description="New summary task; null for the top level.")
    position: int | None = Field(None, ge=1, description="1-based place; null = last.")


class VersionIn(StrictSchema):
    version: int | None = None


def _task_data(data: dict[str, Any]) -> dict[str, Any]:
    if "assignees" in data and data["assignees"] is not None:
        data["assignees"] = users_by_username(data["assignees"], field="assignees")
    required_fields = (
        "name", "milestone", "duration_hours", "status", "percent_complete", "constraint_type",
        "priority", "elapsed",
    )  # fmt: skip
    for required in required_fields:
        if required in data and data[required] is None:
            raise Invalid.field(required, "must not be null")
    return data


@router.get("/projects/{key}/tasks", response={200: Page[TaskOut], 404: ErrorOut})
def task_list(
    request: HttpRequest,
    key: str,
    status: TaskStatus | None = None,
    parent: int | None = None,
    assignee: str | None = None,
    milestone: bool | None = None,
    search: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """The project's tasks in WBS order.

    Custom fields filter too: `?cf.<key>=<value>` (e.g. `?cf.site=Berlin`; an empty value
    finds tasks without one); an unknown key or a value of the wrong type is a 422.
    """
    from itpm.documents.custom_fields import filter_tasks

    project = get_visible_project(request.user, key)
    tasks = selectors.task_list(
        project=project,
        status=status,
        parent=parent,
        assignee=assignee,
        milestone=milestone,
        search=search,
        related=False,
    )
    tasks = filter_tasks(tasks, project=project, params=request.GET)
    page = paginate(tasks, limit, offset)
    page["items"] = task_rows(page["items"], project_key=project.key)
    return page


@router.post("/projects/{key}/tasks", response={201: TaskOut, **WRITE_ERRORS})
def task_create(request: HttpRequest, key: str, payload: TaskIn) -> tuple[int, dict[str, Any]]:
    project = get_visible_project(request.user, key)
    data = _task_data(payload.model_dump())
    if "duration_hours" not in payload.model_fields_set:
        data["duration_hours"] = None  # the service's default, or the minutes' hours
    if data["parent"] is not None:
        data["parent"] = selectors.task_in_project(
            project=project, task_id=data["parent"], field="parent"
        )
    task = services.task_create(actor=request_user(request), project=project, **data)
    return 201, task_row(selectors.task_get(user=request.user, task_id=task.pk, assignees=False))


@router.get("/tasks/{task_id}", response={200: TaskOut, 404: ErrorOut})
def task_get(request: HttpRequest, task_id: int, response: HttpResponse) -> dict[str, Any]:
    task = selectors.task_get(user=request.user, task_id=task_id, assignees=False)
    with_etag(response, task.version)
    return task_row(task)


@router.patch("/tasks/{task_id}", response={200: TaskOut, **WRITE_ERRORS})
def task_update(
    request: HttpRequest, task_id: int, payload: TaskPatch, response: HttpResponse
) -> dict[str, Any]:
    """Change task fields. Send the `version` you read; a stale one gets 409."""
    task = selectors.task_get(user=request.user, task_id=task_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    services.task_update(
        actor=request_user(request), task=task, version=version, data=_task_data(data)
    )
    task = selectors.task_get(user=request.user, task_id=task_id, assignees=False)
    with_etag(response, task.version)
    return task_row(task)


@router.delete("/tasks/{task_id}", response={204: None, **WRITE_ERRORS})
def task_delete(request: HttpRequest, task_id: int) -> tuple[int, None]:
    """Delete the task, its subtasks and their dependencies."""
    task = selectors.task_get(user=request.user, task_id=task_id)
    version = request.headers.get("If-Match")
    services.task_delete(
        actor=request_user(request),
        task=task,
        version=expected_version(request, None) if version else None,
    )
    return 204, None


@router.post("/tasks/{task_id}/move", response={200: TaskOut, **WRITE_ERRORS})
def task_move(request: HttpRequest, task_id: int, payload: MoveIn) -> dict[str, Any]:
    """Move a task (and its subtasks) under another summary task or position."""
    task = selectors.task_get(user=request.user, task_id=task_id)
    parent = (
        selectors.task_in_project(project=task.project, task_id=payload.parent, field="parent")
        if payload.parent is not None
        else None
    )
    services.task_move(
        actor=request_user(request),
        task=task,
        version=expected_version(request, payload.version),
        parent=parent,
        position=payload.position,
    )
    return task_row(selectors.task_get(user=request.user, task_id=task_id, assignees=False))


@router.post("/tasks/{task_id}/indent", response={200: TaskOut, **WRITE_ERRORS})
def task_indent(request: HttpRequest, task_id: int, payload: VersionIn) -> dict[str, Any]:
    """Make the task a subtask of the task above it."""
    task = selectors.task_get(user=request.user, task_id=task_id)
    services.task_indent(
        actor=request_user(request),
        task=task,
        version=expected_version(request, payload.version),
    )
    return task_row(selectors.task_get(user=request.user, task_id=task_id, assignees=False))


@router.post("/tasks/{task_id}/outdent", response={200: TaskOut, **WRITE_ERRORS})
def task_outdent(request: HttpRequest, task_id: int, payload: VersionIn) -> dict[str, Any]:
    """Move the task one level up, just below its summary task."""
    task = selectors.task_get(user=request.user, task_id=task_id)
    services.task_outdent(
        actor=request_user(request),
        task=task,
        version=expected_version(request, payload.version),
    )
    return task_row(selectors.task_get(user=request.user, task_id=task_id, assignees=False))


class DependencyOut(Schema):
    id: int
    version: int
    predecessor: int = Field(validation_alias="predecessor_id")
    successor: int = Field(validation_alias="successor_id")
    type: str
    lag_hours: int


class DependencyIn(StrictSchema):
    predecessor: int = Field(examples=[12])
    successor: int = Field(examples=[13])
    type: DependencyType = Field(DependencyType.FS, examples=["FS"])
    lag_hours: int = Field(0, description="Negative = lead.", examples=[-4])


class DependencyPatch(StrictSchema):
    version: int | None = None
    type: DependencyType | None = None
    lag_hours: int | None = None


@router.get("/projects/{key}/dependencies", response={200: Page[DependencyOut], 404: ErrorOut})
def dependency_list(
    request: HttpRequest,
    key: str,
    task: int | None = None,
    type: DependencyType | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    project = get_visible_project(request.user, key)
    return paginate(selectors.dependency_list(project=project, task=task, type=type), limit, offset)


@router.post("/projects/{key}/dependencies", response={201: DependencyOut, **WRITE_ERRORS})
def dependency_create(
    request: HttpRequest, key: str, payload: DependencyIn
) -> tuple[int, Dependency]:
    """Link two tasks. A link that would close a cycle is refused (409) naming the cycle."""
    project = get_visible_project(request.user, key)
    predecessor = selectors.task_in_project(
        project=project, task_id=payload.predecessor, field="predecessor"
    )
    successor = selectors.task_in_project(
        project=project, task_id=payload.successor, field="successor"
    )
    return 201, services.dependency_create(
        actor=request_user(request),
        project=project,
        predecessor=predecessor,
        successor=successor,
        type=payload.type,
        lag_hours=payload.lag_hours,
    )


@router.get("/dependencies/{dependency_id}", response={200: DependencyOut, 404: ErrorOut})
def dependency_get(request: HttpRequest, dependency_id: int, response: HttpResponse) -> Dependency:
    dependency = selectors.dependency_get(user=request.user, dependency_id=dependency_id)
    with_etag(response, dependency.version)
    return dependency


@router.patch("/dependencies/{dependency_id}", response={200: DependencyOut, **WRITE_ERRORS})
def dependency_update(
    request: HttpRequest, dependency_id: int, payload: DependencyPatch
) -> Dependency:
    dependency = selectors.dependency_get(user=request.user, dependency_id=dependency_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    return services.dependency_update(
        actor=request_user(request),
        dependency=dependency,
        version=version,
        data=data,
    )


@router.delete("/dependencies/{dependency_id}", response={204: None, **WRITE_ERRORS})
def dependency_delete(request: HttpRequest, dependency_id: int) -> tuple[int, None]:
    dependency = selectors.dependency_get(user=request.user, dependency_id=dependency_id)
    services.dependency_delete(actor=request_user(request), dependency=dependency)
    return 204, None
