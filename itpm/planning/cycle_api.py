"""API: planning cycles, burndown and velocity, the board, labels, planning packages, my work."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema

from itpm.accounts.permissions import get_visible_project, request_user
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.planning import cycle_selectors as selectors
from itpm.planning import cycle_services as services
from itpm.planning.models import Cycle, CycleKind, CycleState, Label, Task, TaskStatus
from itpm.planning.selectors import task_get

router = Router(tags=["cycles and board"])

WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _today(project: Any) -> dt.date:
    from zoneinfo import ZoneInfo

    return timezone.now().astimezone(ZoneInfo(project.time_zone or "UTC")).date()


# ---------------------------------------------------------------------------- cycles
class CycleOut(Schema):
    id: int
    version: int
    project: str = Field(validation_alias="project.key")
    name: str
    kind: str
    start: dt.date
    finish: dt.date
    capacity_hours: int
    goal: str
    state: str
    committed_hours: int = Field(0, description="Hours of the tasks committed (not cancelled).")
    done_hours: int = Field(0, description="Hours of the committed tasks that are done.")
    task_count: int = 0
    overload_hours: int = Field(0, description="Committed hours beyond the capacity.")

    @staticmethod
    def resolve_committed_hours(cycle: Cycle) -> int:
        return int(getattr(cycle, "committed_hours", 0) or 0)

    @staticmethod
    def resolve_done_hours(cycle: Cycle) -> int:
        return int(getattr(cycle, "done_hours", 0) or 0)

    @staticmethod
    def resolve_task_count(cycle: Cycle) -> int:
        return int(getattr(cycle, "task_count", 0) or 0)

    @staticmethod
    def resolve_overload_hours(cycle: Cycle) -> int:
        hours = int(getattr(cycle, "committed_hours", 0) or 0)
        return max(0, hours - cycle.capacity_hours) if cycle.capacity_hours else 0


class CycleIn(StrictSchema):
    name: str = Field(min_length=1, max_length=120, examples=["Sprint 4"])
    kind: CycleKind = Field(CycleKind.SPRINT, examples=["sprint"])
    start: dt.date = Field(examples=["2027-02-01"])
    finish: dt.date = Field(examples=["2027-02-12"])
    capacity_hours: int = Field(0, ge=0, le=services.MAX_CAPACITY_HOURS, examples=[240])
    goal: str = Field("", max_length=5_000, examples=["Orders and tickets usable end to end"])


class CyclePatch(StrictSchema):
    version: int | None = Field(None, description="The version you read; or send If-Match.")
    name: str | None = Field(None, min_length=1, max_length=120)
    kind: CycleKind | None = None
    start: dt.date | None = None
    finish: dt.date | None = None
    capacity_hours: int | None = Field(None, ge=0, le=services.MAX_CAPACITY_HOURS)
    goal: str | None = Field(None, max_length=5_000)

    model_config = StrictSchema.model_config | {
        "json_schema_extra": {"examples": [{"version": 2, "capacity_hours": 200}]}
    }


class CycleVersionIn(StrictSchema):
    version: int | None = Field(None, description="The version you read; or send If-Match.")


class CloseIn(StrictSchema):
    version: int | None = None
    move_to: int | None = Field(
        None,
        description="Cycle for the unfinished tasks; null = back to the backlog.",
        examples=[7],
    )


class TasksIn(StrictSchema):
    tasks: list[int] = Field(examples=[[12, 13, 14]], description="Task ids of the project.")


class CommitOut(Schema):
    cycle: int
    changed: list[int] = Field(description="Tasks whose commitment this request changed.")
    committed_hours: int
    capacity_hours: int
    task_count: int
    over_capacity: bool
    overload_hours: int
    warnings: list[str]


def _commit_out(result: services.CommitResult) -> dict[str, Any]:
    return {
        "cycle": result.cycle.pk, "changed": result.changed,
        "committed_hours": result.committed_hours, "capacity_hours": result.capacity_hours,
        "task_count": result.task_count, "over_capacity": result.over_capacity,
        "overload_hours": result.overload_hours, "warnings": result.warnings,
    }  # fmt: skip


@router.get("/projects/{key}/cycles", response={200: Page[CycleOut], 404: ErrorOut})
def cycle_list(
    request: HttpRequest,
    key: str,
    state: CycleState | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """The project's sprints and rolling-wave windows, by start date."""
    project = get_visible_project(request.user, key)
    return paginate(selectors.cycle_list(project=project, state=state), limit, offset)


@router.post("/projects/{key}/cycles", response={201: CycleOut, **WRITE_ERRORS})
def cycle_create(request: HttpRequest, key: str, payload: CycleIn) -> tuple[int, Cycle]:
    """Plan a sprint or a rolling-wave window (managers)."""
    project = get_visible_project(request.user, key)
    cycle = services.cycle_create(
        actor=request_user(request), project=project, **payload.model_dump()
    )
    return 201, selectors.cycle_get(user=request.user, cycle_id=cycle.pk)


@router.get("/cycles/{cycle_id}", response={200: CycleOut, 404: ErrorOut})
def cycle_get(request: HttpRequest, cycle_id: int, response: HttpResponse) -> Cycle:
    cycle = selectors.cycle_get(user=request.user, cycle_id=cycle_id)
    with_etag(response, cycle.version)
    return cycle


@router.patch("/cycles/{cycle_id}", response={200: CycleOut, **WRITE_ERRORS})
def cycle_update(
    request: HttpRequest, cycle_id: int, payload: CyclePatch, response: HttpResponse
) -> Cycle:
    """Change a cycle's name, dates, capacity or goal. A stale `version` gets 409."""
    cycle = selectors.cycle_get(user=request.user, cycle_id=cycle_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    services.cycle_update(actor=request_user(request), cycle=cycle, version=version, data=data)
    cycle = selectors.cycle_get(user=request.user, cycle_id=cycle_id)
    with_etag(response, cycle.version)
    return cycle


@router.post("/cycles/{cycle_id}/start", response={200: CycleOut, **WRITE_ERRORS})
def cycle_start(request: HttpRequest, cycle_id: int, payload: CycleVersionIn) -> Cycle:
    """Start a planned cycle; one cycle of a project is active at a time."""
    cycle = selectors.cycle_get(user=request.user, cycle_id=cycle_id)
    services.cycle_start(
        actor=request_user(request), cycle=cycle, version=expected_version(request, payload.version)
    )
    return selectors.cycle_get(user=request.user, cycle_id=cycle_id)


@router.post("/cycles/{cycle_id}/close", response={200: CycleOut, **WRITE_ERRORS})
def cycle_close(request: HttpRequest, cycle_id: int, payload: CloseIn) -> Cycle:
    """Close a cycle; unfinished tasks move to `move_to` or back to the backlog."""
    cycle = selectors.cycle_get(user=request.user, cycle_id=cycle_id)
    move_to = (
        selectors.cycle_in_project(project=cycle.project, cycle_id=payload.move_to, field="move_to")
        if payload.move_to is not None
        else None
    )
    services.cycle_close(
        actor=request_user(request),
        cycle=cycle,
        version=expected_version(request, payload.version),
        move_to=move_to,
    )
    return selectors.cycle_get(user=request.user, cycle_id=cycle_id)


@router.post("/cycles/{cycle_id}/commit", response={200: CommitOut, **WRITE_ERRORS})
def cycle_commit(request: HttpRequest, cycle_id: int, payload: TasksIn) -> dict[str, Any]:
    """Commit tasks to the cycle. Over capacity is allowed: `warnings` and `overload_hours` say so."""
    cycle = selectors.cycle_get(user=request.user, cycle_id=cycle_id)
    result = services.cycle_commit(actor=request_user(request), cycle=cycle, task_ids=payload.tasks)
    return _commit_out(result)


@router.post("/cycles/{cycle_id}/uncommit", response={200: CommitOut, **WRITE_ERRORS})
def cycle_uncommit(request: HttpRequest, cycle_id: int, payload: TasksIn) -> dict[str, Any]:
    """Take tasks out of the cycle, back to the backlog."""
    cycle = selectors.cycle_get(user=request.user, cycle_id=cycle_id)
    result = services.cycle_uncommit(
        actor=request_user(request), cycle=cycle, task_ids=payload.tasks
    )
    return _commit_out(result)


class BurndownPointOut(Schema):
    label: str
    day: dt.date | None = Field(description="null for the start point (the plan).")
    remaining: int | None = Field(description="Remaining committed hours; null for days to come.")
    ideal: float
    added: int
    removed: int
    done: int


class BurndownOut(Schema):
    cycle: int
    committed_at_start: int
    scope_now: int
    done_hours: int
    remaining_now: int | None
    points: list[BurndownPointOut]


@router.get("/cycles/{cycle_id}/burndown", response={200: BurndownOut, 404: ErrorOut})
def cycle_burndown(request: HttpRequest, cycle_id: int) -> dict[str, Any]:
    """Remaining committed hours at the end of each working day, and the ideal line."""
    cycle = selectors.cycle_get(user=request.user, cycle_id=cycle_id)
    chart = selectors.cycle_burndown(cycle=cycle, today=_today(cycle.project))
    return {
        "cycle": cycle.pk, "committed_at_start": chart.committed_at_start,
        "scope_now": chart.scope_now, "done_hours": chart.done_hours,
        "remaining_now": chart.remaining_now, "points": chart.points,
    }  # fmt: skip


class VelocityRowOut(Schema):
    cycle: int
    name: str
    start: dt.date
    finish: dt.date
    committed_hours: int
    done_hours: int


class VelocityOut(Schema):
    average: float | None = Field(description="Done hours per closed cycle, all of them.")
    recent_average: float | None = Field(description="The same over the last three.")
    cycles: list[VelocityRowOut]


@router.get("/projects/{key}/velocity", response={200: VelocityOut, 404: ErrorOut})
def project_velocity(request: HttpRequest, key: str) -> dict[str, Any]:
    """Done hours per closed cycle, oldest first, with the averages."""
    project = get_visible_project(request.user, key)
    velocity = selectors.project_velocity(project=project)
    return {
        "average": velocity.average,
        "recent_average": velocity.recent_average,
        "cycles": [
            {"cycle": r.cycle.pk, "name": r.cycle.name, "start": r.cycle.start,
             "finish": r.cycle.finish, "committed_hours": r.committed_hours,
             "done_hours": r.done_hours}
            for r in velocity.rows
        ],
    }  # fmt: skip


# ---------------------------------------------------------------------------- labels
class LabelOut(Schema):
    id: int
    name: str
    color: str


class LabelIn(StrictSchema):
    name: str = Field(min_length=1, max_length=60, examples=["security"])
    color: str = Field("#6b7280", pattern=r"^#[0-9a-fA-F]{6}$", examples=["#dc2626"])


class TaskLabelsIn(StrictSchema):
    version: int | None = Field(None, description="The task's version; or send If-Match.")
    labels: list[int] = Field(examples=[[3, 5]], description="All the task's label ids.")


class TaskLabelsOut(Schema):
    id: int
    version: int
    labels: list[LabelOut]

    @staticmethod
    def resolve_labels(task: Task) -> list[Label]:
        return list(task.labels.order_by("name"))


@router.get("/projects/{key}/labels", response={200: Page[LabelOut], 404: ErrorOut})
def label_list(request: HttpRequest, key: str, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    project = get_visible_project(request.user, key)
    return paginate(selectors.label_list(project=project), limit, offset)


@router.post("/projects/{key}/labels", response={201: LabelOut, **WRITE_ERRORS})
def label_create(request: HttpRequest, key: str, payload: LabelIn) -> tuple[int, Label]:
    project = get_visible_project(request.user, key)
    return 201, services.label_create(
        actor=request_user(request), project=project, name=payload.name, color=payload.color
    )


@router.post("/tasks/{task_id}/labels", response={200: TaskLabelsOut, **WRITE_ERRORS})
def task_set_labels(request: HttpRequest, task_id: int, payload: TaskLabelsIn) -> Task:
    """Replace the task's labels."""
    task = task_get(user=request.user, task_id=task_id)
    return services.task_set_labels(
        actor=request_user(request),
        task=task,
        version=expected_version(request, payload.version),
        label_ids=payload.labels,
    )


# ---------------------------------------------------------------------------- board
class BoardMoveIn(StrictSchema):
    version: int | None = Field(None, description="The task's version; or send If-Match.")
    status: TaskStatus = Field(examples=["in_progress"], description="The column.")
    after: int | None = Field(
        None, description="The card to place it below; null = top of the column.", examples=[42]
    )


class BoardMoveOut(Schema):
    id: int
    version: int
    status: str
    board_rank: int
    percent_complete: int
    warnings: list[str]


@router.post("/tasks/{task_id}/board-move", response={200: BoardMoveOut, **WRITE_ERRORS})
def board_move(request: HttpRequest, task_id: int, payload: BoardMoveIn) -> dict[str, Any]:
    """Move a card on the board: its status (column) and place in the column."""
    task = task_get(user=request.user, task_id=task_id)
    moved = services.board_move(
        actor=request_user(request),
        task=task,
        version=expected_version(request, payload.version),
        status=payload.status,
        after=payload.after,
    )
    t = moved.task
    return {
        "id": t.pk, "version": t.version, "status": t.status, "board_rank": t.board_rank,
        "percent_complete": t.percent_complete, "warnings": moved.warnings,
    }  # fmt: skip


class WipLimitsIn(StrictSchema):
    version: int | None = Field(None, description="The project's version; or send If-Match.")
    limits: dict[str, int | None] = Field(
        examples=[{"in_progress": 5, "blocked": 2}], description="Column → limit; 0/null = none."
    )


class WipLimitsOut(Schema):
    key: str
    version: int
    wip_limits: dict[str, int]


@router.put("/projects/{key}/wip-limits", response={200: WipLimitsOut, **WRITE_ERRORS})
def project_set_wip_limits(request: HttpRequest, key: str, payload: WipLimitsIn) -> Any:
    """Set the board's WIP limits (managers)."""
    project = get_visible_project(request.user, key)
    return services.project_set_wip_limits(
        actor=request_user(request),
        project=project,
        version=expected_version(request, payload.version),
        limits=payload.limits,
    )


# ---------------------------------------------------------------------------- packages
class PackageIn(StrictSchema):
    version: int | None = None
    planning_package: bool = Field(examples=[True])


class PackageOut(Schema):
    id: int
    version: int
    planning_package: bool


class BreakDownItem(StrictSchema):
    name: str = Field(min_length=1, max_length=300, examples=["Order API: create and cancel"])
    hours: int = Field(ge=0, le=100_000, examples=[16])


class BreakDownIn(StrictSchema):
    version: int | None = None
    tasks: list[BreakDownItem] = Field(min_length=1, max_length=200)


class BreakDownOut(Schema):
    package: int
    created: list[int]


@router.post("/tasks/{task_id}/planning-package", response={200: PackageOut, **WRITE_ERRORS})
def planning_package_set(request: HttpRequest, task_id: int, payload: PackageIn) -> Task:
    """Mark a task as a coarse planning package (rolling wave), or unmark it."""
    task = task_get(user=request.user, task_id=task_id)
    return services.planning_package_set(
        actor=request_user(request),
        task=task,
        version=expected_version(request, payload.version),
        planning_package=payload.planning_package,
    )


@router.post("/tasks/{task_id}/break-down", response={201: BreakDownOut, **WRITE_ERRORS})
def planning_package_break_down(
    request: HttpRequest, task_id: int, payload: BreakDownIn
) -> tuple[int, dict[str, Any]]:
    """Break a planning package down into subtasks (names and hours)."""
    task = task_get(user=request.user, task_id=task_id)
    created = services.planning_package_break_down(
        actor=request_user(request),
        task=task,
        version=expected_version(request, payload.version),
        items=[(item.name, item.hours) for item in payload.tasks],
    )
    return 201, {"package": task.pk, "created": [t.pk for t in created]}


# ---------------------------------------------------------------------------- my work
class MyTaskOut(Schema):
    id: int
    version: int
    project: str = Field(validation_alias="project.key")
    wbs_code: str
    name: str
    status: str
    priority: int
    planned_start: dt.datetime | None
    planned_finish: dt.datetime | None
    critical: bool
    cycle: str | None = Field(None, validation_alias="cycle.name")
    labels: list[str]
    group: str = Field(description="overdue, this_week, next_week or later")

    @staticmethod
    def resolve_labels(task: Task) -> list[str]:
        return [label.name for label in task.labels.all()]

    @staticmethod
    def resolve_group(task: Task) -> str:
        return selectors.my_work_group(task, _today(task.project))


@router.get("/my/tasks", response=Page[MyTaskOut])
def my_tasks(
    request: HttpRequest, include_done: bool = False, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """Your open tasks across the projects you see, by due date then priority."""
    return paginate(selectors.my_tasks(user=request.user, include_done=include_done), limit, offset)
