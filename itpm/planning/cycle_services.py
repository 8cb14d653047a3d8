"""Use cases of execution: planning cycles, commitments, planning packages, the board, labels.

Each function makes one complete change in one transaction: permission, validation, the
write, the version bump and the audit event.

Who may do what (as in Jira and OpenProject): managers create, change, start and close
cycles and set WIP limits; members commit tasks, move cards, break packages down and label.

The burndown reads its history from the audit trail: every commitment change writes a
``task.commit`` / ``task.uncommit`` / ``task.carry_over`` event whose ``changes`` hold
``{"cycle": [from_id, to_id], "hours": [..]}``; when a task was done comes from
``Task.completed_at`` (set by ``task_update``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import require_role
from itpm.core.errors import Conflict, FieldError, Invalid
from itpm.core.services import apply_changes, audit, check_version, json_value, save_versioned
from itpm.planning.models import Cycle, CycleKind, CycleState, Label, Task, TaskStatus
from itpm.planning.scheduling import deferred_rescheduling
from itpm.planning.services import task_create, task_update
from itpm.portfolio.models import Project

CYCLE_FIELDS = ("name", "kind", "start", "finish", "capacity_hours", "goal")
MAX_CAPACITY_HOURS = 100_000
MAX_CYCLE_DAYS = 366
# Board columns, left to right. Cancelled work is a column too, hidden unless asked for.
BOARD_STATUSES = (
    TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED, TaskStatus.DONE,
    TaskStatus.CANCELLED,
)  # fmt: skip
MAX_WIP_LIMIT = 999
OPEN_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED)


# ---------------------------------------------------------------------------- cycles
def _validate_cycle(data: dict[str, Any]) -> None:
    errors: list[FieldError] = []
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name:
            errors.append(FieldError("name", "must not be empty"))
        elif len(name) > 120:
            errors.append(FieldError("name", "at most 120 characters"))
    if "kind" in data and data["kind"] not in CycleKind.values:
        errors.append(FieldError("kind", f"must be one of {', '.join(CycleKind.values)}"))
    errors.extend(
        FieldError(name, "must be a date such as 2027-01-04")
        for name in ("start", "finish")
        if name in data and not isinstance(data[name], dt.date)
    )
    start, finish = data.get("start"), data.get("finish")
    if isinstance(start, dt.date) and isinstance(finish, dt.date):
        if finish < start:
            errors.append(FieldError("finish", "must not be before start"))
        elif (finish - start).days > MAX_CYCLE_DAYS:
            errors.append(FieldError("finish", f"a cycle lasts at most {MAX_CYCLE_DAYS} days"))
    if "capacity_hours" in data:
        hours = data["capacity_hours"]
        if not isinstance(hours, int) or not 0 <= hours <= MAX_CAPACITY_HOURS:
            errors.append(
                FieldError(
                    "capacity_hours", f"must be a whole number from 0 to {MAX_CAPACITY_HOURS}"
                )
            )
    if len(str(data.get("goal") or "")) > 5_000:
        errors.append(FieldError("goal", "at most 5,000 characters"))
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def cycle_create(
    *,
    actor: User,
    project: Project,
    name: str,
    start: dt.date,
    finish: dt.date,
    kind: str = CycleKind.SPRINT,
    capacity_hours: int = 0,
    goal: str = "",
) -> Cycle:
    require_role(actor, project, Role.MANAGER)
    data = {
        "name": (name or "").strip(), "kind": kind, "start": start, "finish": finish,
        "capacity_hours": capacity_hours, "goal": goal or "",
    }  # fmt: skip
    _validate_cycle(data)
    with transaction.atomic():
        cycle = Cycle.objects.create(project=project, **data)
        audit(
            actor=actor,
            action="cycle.create",
            obj=cycle,
            project=project,
            changes={k: [None, json_value(v)] for k, v in data.items() if v not in ("", None)},
        )
    return cycle


def cycle_update(*, actor: User, cycle: Cycle, version: int | None, data: dict[str, Any]) -> Cycle:
    unknown = set(data) - set(CYCLE_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    project = cycle.project
    require_role(actor, project, Role.MANAGER)
    for required in ("name", "kind", "start", "finish", "capacity_hours"):
        if required in data and data[required] is None:
            raise Invalid.field(required, "must not be null")
    if isinstance(data.get("name"), str):
        data["name"] = data["name"].strip()
    if "goal" in data and data["goal"] is None:
        data["goal"] = ""
    _validate_cycle({"start": cycle.start, "finish": cycle.finish, **data})
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        check_version(cycle, version)
        if cycle.state == CycleState.CLOSED and {"start", "finish", "capacity_hours"} & set(data):
            raise Conflict(f"{cycle.name} is closed: its dates and capacity are history")
        changes = apply_changes(cycle, data)
        if changes:
            save_versioned(cycle, list(changes))
            audit(actor=actor, action="cycle.update", obj=cycle, project=project, changes=changes)
    return cycle


def cycle_start(*, actor: User, cycle: Cycle, version: int | None) -> Cycle:
    """Make a planned cycle the active one. A project runs one active cycle at a time."""
    project = cycle.project
    require_role(actor, project, Role.MANAGER)
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        check_version(cycle, version)
        if cycle.state != CycleState.PLANNED:
            raise Conflict(f"{cycle.name} is {cycle.get_state_display().lower()}, not planned")
        active = Cycle.objects.filter(project=project, state=CycleState.ACTIVE).first()
        if active is not None:
            raise Conflict(f"close {active.name} first: a project runs one active cycle at a time")
        changes = apply_changes(cycle, {"state": CycleState.ACTIVE})
        save_versioned(cycle, ["state"])
        audit(actor=actor, action="cycle.start", obj=cycle, project=project, changes=changes)
    return cycle


def cycle_close(
    *, actor: User, cycle: Cycle, version: int | None, move_to: Cycle | None = None
) -> Cycle:
    """Close a cycle; its unfinished tasks move to ``move_to`` or back to the backlog (None).

    The moves are ``task.carry_over`` events: the closed cycle's burndown keeps them as
    remaining work (they were not done in it), the next cycle's counts them as added.
    """
    project = cycle.project
    require_role(actor, project, Role.MANAGER)
    if move_to is not None:
        if move_to.project_id != project.pk:
            raise Invalid.field("move_to", "must be a cycle of the same project")
        if move_to.pk == cycle.pk:
            raise Invalid.field("move_to", "must be another cycle than the one being closed")
        if move_to.state == CycleState.CLOSED:
            raise Invalid.field("move_to", f"{move_to.name} is closed")
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        check_version(cycle, version)
        if cycle.state == CycleState.CLOSED:
            raise Conflict(f"{cycle.name} is closed already")
        unfinished = list(
            Task.objects.select_for_update()
            .filter(cycle=cycle, status__in=OPEN_STATUSES)
            .order_by("wbs_sort")
        )
        for task in unfinished:
            _set_cycle(actor, task, move_to, action="task.carry_over")
        changes = apply_changes(cycle, {"state": CycleState.CLOSED})
        changes["carried_over"] = [None, len(unfinished)]
        changes["moved_to"] = [None, move_to.name if move_to else "backlog"]
        save_versioned(cycle, ["state"])
        audit(actor=actor, action="cycle.close", obj=cycle, project=project, changes=changes)
    return cycle


@dataclass
class CommitResult:
    """What a commitment left behind: the cycle's load against its capacity."""

    cycle: Cycle
    changed: list[int]
    committed_hours: int
    capacity_hours: int
    task_count: int
    overload_hours: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def over_capacity(self) -> bool:
        return self.overload_hours > 0


def cycle_load(cycle: Cycle) -> tuple[int, int]:
    """(committed hours, task count) of the cycle's tasks that are not cancelled."""
    row = (
        Task.objects.filter(cycle=cycle)
        .exclude(status=TaskStatus.CANCELLED)
        .aggregate(hours=Sum("duration_hours"), count=Count("id"))
    )
    return int(row["hours"] or 0), int(row["count"] or 0)


def _result(cycle: Cycle, changed: list[int]) -> CommitResult:
    hours, count = cycle_load(cycle)
    overload = max(0, hours - cycle.capacity_hours) if cycle.capacity_hours else 0
    warnings = []
    if overload:
        warnings.append(
            f"{cycle.name} is over capacity: {hours} h committed, {cycle.capacity_hours} h "
            f"available ({overload} h too many)"
        )
    return CommitResult(
        cycle=cycle, changed=changed, committed_hours=hours, capacity_hours=cycle.capacity_hours,
        task_count=count, overload_hours=overload, warnings=warnings,
    )  # fmt: skip


def _set_cycle(actor: User, task: Task, cycle: Cycle | None, *, action: str) -> None:
    before = task.cycle_id
    task.cycle = cycle
    save_versioned(task, ["cycle"])
    audit(
        actor=actor,
        action=action,
        obj=task,
        project=task.project,
        changes={
            "cycle": [before, cycle.pk if cycle else None],
            "hours": [None, task.duration_hours],
        },
    )


MAX_ID = 2**63 - 1  # the largest database id; a bigger number names nothing


def _check_ids(field: str, ids: list[int]) -> None:
    bad = [i for i in ids if not isinstance(i, int) or not 0 < i <= MAX_ID]
    if bad:
        raise Invalid.field(field, f"not an id: {bad[0]}")


def _tasks_for(cycle: Cycle, task_ids: list[int]) -> list[Task]:
    if not task_ids:
        raise Invalid.field("tasks", "name at least one task")
    _check_ids("tasks", task_ids)
    if len(task_ids) > 1000:
        raise Invalid.field("tasks", "at most 1,000 tasks at a time")
    tasks = list(
        Task.objects.select_for_update()
        .filter(project=cycle.project, pk__in=task_ids)
        .select_related("project")
        .order_by("wbs_sort")
    )
    missing = sorted(set(task_ids) - {t.pk for t in tasks})
    if missing:
        raise Invalid.field("tasks", f"not tasks of {cycle.project.key}: {missing[:10]}")
    return tasks


def cycle_commit(*, actor: User, cycle: Cycle, task_ids: list[int]) -> CommitResult:
    """Commit tasks to a cycle. Over capacity is allowed but reported (a warning, not a no)."""
    project = cycle.project
    require_role(actor, project, Role.MEMBER)
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.state == CycleState.CLOSED:
            raise Conflict(f"{cycle.name} is closed; commit to a planned or active cycle")
        tasks = _tasks_for(cycle, task_ids)
        summaries = sorted(
            Task.objects.filter(parent__in=tasks).values_list("parent__wbs_code", flat=True)
        )
        if summaries:
            raise Invalid.field(
                "tasks",
                f"summary tasks are planned through their subtasks: {', '.join(sorted(set(summaries)))}",
            )
        changed = []
        for task in tasks:
            if task.cycle_id != cycle.pk:
                _set_cycle(actor, task, cycle, action="task.commit")
                changed.append(task.pk)
        return _result(cycle, changed)


def cycle_uncommit(*, actor: User, cycle: Cycle, task_ids: list[int]) -> CommitResult:
    """Take tasks out of a cycle, back to the backlog."""
    project = cycle.project
    require_role(actor, project, Role.MEMBER)
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.state == CycleState.CLOSED:
            raise Conflict(f"{cycle.name} is closed; its commitments are history")
        changed = []
        for task in _tasks_for(cycle, task_ids):
            if task.cycle_id == cycle.pk:
                _set_cycle(actor, task, None, action="task.uncommit")
                changed.append(task.pk)
        return _result(cycle, changed)


# ---------------------------------------------------------------------------- packages
def planning_package_set(
    *, actor: User, task: Task, version: int | None, planning_package: bool
) -> Task:
    """Mark a leaf task as a coarse planning package (or not)."""
    project = task.project
    require_role(actor, project, Role.MEMBER)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        check_version(task, version)
        if planning_package and task.children.exists():
            raise Invalid.field("planning_package", "a summary task is broken down already")
        if planning_package and task.milestone:
            raise Invalid.field("planning_package", "a milestone holds no work to break down")
        changes = apply_changes(task, {"planning_package": planning_package})
        if changes:
            save_versioned(task, ["planning_package"])
            audit(actor=actor, action="task.update", obj=task, project=project, changes=changes)
    return task


def planning_package_break_down(
    *, actor: User, task: Task, version: int | None, items: list[tuple[str, int]]
) -> list[Task]:
    """Break a planning package down into tasks: they become its subtasks.

    The package turns into a summary (its flag cleared); its cycle commitment passes to
    the new tasks, since a summary is planned through its subtasks. One reschedule.
    """
    project = task.project
    require_role(actor, project, Role.MEMBER)
    if not task.planning_package:
        raise Invalid.field("task", f"{task.wbs_code} {task.name} is not a planning package")
    errors = []
    if not items:
        errors.append(FieldError("tasks", "name at least one task"))
    if len(items) > 200:
        errors.append(FieldError("tasks", "at most 200 tasks at a time"))
    for n, (name, hours) in enumerate(items):
        if not str(name or "").strip() or len(str(name)) > 300:
            errors.append(FieldError(f"tasks.{n}.name", "1 to 300 characters"))
        if not isinstance(hours, int) or not 0 <= hours <= 100_000:
            errors.append(FieldError(f"tasks.{n}.hours", "a whole number from 0 to 100000"))
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    with transaction.atomic(), deferred_rescheduling():
        task = Task.objects.select_for_update().select_related("project").get(pk=task.pk)
        check_version(task, version)
        cycle = task.cycle
        created = []
        for name, hours in items:
            child = task_create(
                actor=actor, project=project, name=name, parent=task, duration_hours=hours,
                assignees=list(task.assignees.all()), priority=task.priority,
            )  # fmt: skip
            if cycle is not None and cycle.state != CycleState.CLOSED:
                _set_cycle(actor, child, cycle, action="task.commit")
            created.append(child)
        task.refresh_from_db()
        if cycle is not None and cycle.state != CycleState.CLOSED:
            _set_cycle(actor, task, None, action="task.uncommit")
        package_hours = task.duration_hours
        task.planning_package = False
        save_versioned(task, ["planning_package"])
        audit(
            actor=actor,
            action="task.break_down",
            obj=task,
            project=project,
            changes={
                "planning_package": [True, False],
                "hours": [package_hours, sum(h for _, h in items)],
                "subtasks": [None, [f"{c.name} ({c.duration_hours} h)" for c in created]],
            },
        )
    return [Task.objects.get(pk=c.pk) for c in created]


# ---------------------------------------------------------------------------- board
@dataclass
class BoardMove:
    task: Task
    warnings: list[str]


def _column_ids(project: Project, status: str, exclude: int) -> list[int]:
    """Leaf tasks of one board column in board order (rank, then WBS)."""
    return list(
        Task.objects.filter(project=project, status=status, children__isnull=True)
        .exclude(pk=exclude)
        .order_by("board_rank", "wbs_sort")
        .values_list("id", flat=True)
    )


def board_move(
    *,
    actor: User,
    task: Task,
    version: int | None,
    status: str,
    after: int | None = None,
) -> BoardMove:
    """Move a card to a column (its status) just below card ``after`` (None = on top).

    The status change goes through ``task_update`` (completion time, percent, schedule);
    the column's order is renumbered without version bumps: it is an arrangement, as the
    WBS numbering is. Moving into a column at its WIP limit is allowed with a warning.
    """
    project = task.project
    require_role(actor, project, Role.MEMBER)
    if status not in TaskStatus.values:
        raise Invalid.field("status", f"must be one of {', '.join(TaskStatus.values)}")
    if task.children.exists():
        raise Invalid.field("task", "summary tasks are not on the board")
    warnings: list[str] = []
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("project").get(pk=task.pk)
        check_version(task, version)
        column = _column_ids(project, status, exclude=task.pk)
        if after is not None and after not in column:
            raise Invalid.field("after", f"task {after} is not a card of the {status} column")
        before = {"status": task.status, "board_rank": task.board_rank}
        if task.status != status:
            limit = (project.wip_limits or {}).get(status)
            if limit and len(column) >= int(limit):
                label = TaskStatus(status).label
                warnings.append(
                    f"{label} is at its WIP limit ({len(column)} of {limit}): "
                    "finish something before starting more"
                )
            task = task_update(actor=actor, task=task, version=None, data={"status": status})
        position = column.index(after) + 1 if after is not None else 0
        column.insert(position, task.pk)
        ranks = {task_id: (n + 1) * 10 for n, task_id in enumerate(column)}
        Task.objects.bulk_update(
            [Task(id=task_id, board_rank=rank) for task_id, rank in ranks.items()], ["board_rank"]
        )
        task.board_rank = ranks[task.pk]
        if before["status"] == status:
            # A move within a column is only a new order: bump the version, so a second
            # board that still shows the old order learns about it (409).
            save_versioned(task, ["board_rank"])
        audit(
            actor=actor,
            action="task.board_move",
            obj=task,
            project=project,
            changes={
                "status": [before["status"], status],
                "board_rank": [before["board_rank"], task.board_rank],
            },
        )
    return BoardMove(task=Task.objects.get(pk=task.pk), warnings=warnings)


def project_set_wip_limits(
    *, actor: User, project: Project, version: int | None, limits: dict[str, int | None]
) -> Project:
    """Set the WIP limit per board column; 0 or None removes a column's limit."""
    require_role(actor, project, Role.MANAGER)
    wanted: dict[str, int] = {}
    for status, limit in limits.items():
        if status not in TaskStatus.values:
            raise Invalid.field(
                f"limits.{status}", f"not a column; use {', '.join(TaskStatus.values)}"
            )
        if limit is None or limit == 0:
            continue
        if not isinstance(limit, int) or not 0 < limit <= MAX_WIP_LIMIT:
            raise Invalid.field(f"limits.{status}", f"a whole number from 0 to {MAX_WIP_LIMIT}")
        wanted[status] = limit
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        check_version(project, version)
        changes = apply_changes(project, {"wip_limits": wanted})
        if changes:
            save_versioned(project, ["wip_limits"])
            audit(
                actor=actor, action="project.wip_limits", obj=project, project=project,
                changes=changes,
            )  # fmt: skip
    return project


# ---------------------------------------------------------------------------- labels
def label_create(*, actor: User, project: Project, name: str, color: str = "#6b7280") -> Label:
    require_role(actor, project, Role.MEMBER)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise Invalid.field("name", "1 to 60 characters")
    color = (color or "").strip().lower()
    if not (
        len(color) == 7 and color[0] == "#" and all(c in "0123456789abcdef" for c in color[1:])
    ):
        raise Invalid.field("color", "a colour such as #2563eb")
    with transaction.atomic():
        if Label.objects.filter(project=project, name__iexact=name).exists():
            raise Conflict(f"label {name!r} exists already", [FieldError("name", "taken")])
        label = Label.objects.create(project=project, name=name, color=color)
        audit(
            actor=actor, action="label.create", obj=label, project=project,
            changes={"name": [None, name], "color": [None, color]},
        )  # fmt: skip
    return label


def task_set_labels(*, actor: User, task: Task, version: int | None, label_ids: list[int]) -> Task:
    """Replace the task's labels (all of them labels of the task's project)."""
    project = task.project
    require_role(actor, project, Role.MEMBER)
    _check_ids("labels", label_ids)
    labels = list(Label.objects.filter(project=project, pk__in=label_ids))
    missing = sorted(set(label_ids) - {label.pk for label in labels})
    if missing:
        raise Invalid.field("labels", f"not labels of {project.key}: {missing[:10]}")
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        check_version(task, version)
        before = sorted(task.labels.values_list("name", flat=True))
        after = sorted(label.name for label in labels)
        if before != after:
            task.labels.set(labels)
            save_versioned(task, [])
            audit(
                actor=actor, action="task.update", obj=task, project=project,
                changes={"labels": [before, after]},
            )  # fmt: skip
    return task
