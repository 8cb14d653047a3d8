"""The schedule service: the engine's critical path written back onto a project's tasks.

Every planning service that changes what the schedule depends on (tasks, links,
calendars, assignments) calls ``project_reschedule`` inside its own transaction, so the
stored dates are never out of date. Conversion between the database and the engine
happens here, once:

- The engine's axis unit is one working hour of the project calendar; durations and lags
  are whole working hours already.
- Dates are aware datetimes in UTC in the database. A constraint or deadline becomes an
  axis position in the calendar's zone (start semantics for start constraints, finish
  semantics for finish constraints and deadlines).
- Schedule outputs (early/late dates, floats, critical, a summary's span) are derived
  data: they are rewritten without a version bump, and only for rows that changed.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from itpm.core.errors import Conflict, Invalid
from itpm.engine import cpm
from itpm.engine.calendar import Calendar, ProjectAxis
from itpm.engine.errors import CycleError, EngineError
from itpm.engine.model import Constraint, ConstraintType, Dependency, DependencyType
from itpm.engine.model import Task as EngineTask
from itpm.planning.models import SCHEDULE_FIELDS, Task, TaskStatus, WorkCalendar
from itpm.portfolio.models import Project

DEFAULT_WORKING_DAYS = [0, 1, 2, 3, 4]
DEFAULT_WORKING_HOURS = [["09:00", "13:00"], ["14:00", "18:00"]]
_FINISH_CONSTRAINTS = {"FNET", "FNLT", "MFO"}


@dataclass
class Moved:
    task_id: int
    name: str
    wbs_code: str
    old_start: dt.datetime | None
    new_start: dt.datetime | None
    old_finish: dt.datetime | None
    new_finish: dt.datetime | None


@dataclass
class ScheduleResult:
    finish: dt.datetime | None
    critical_path: list[int]
    moved: list[Moved] = field(default_factory=list)
    late_tasks: list[int] = field(default_factory=list)  # negative float or deadline missed


# ------------------------------------------------------------------ calendar boundary
def engine_calendar(calendar: WorkCalendar | None, *, time_zone: str = "UTC") -> Calendar:
    """The engine's calendar for a stored one (None: the default Mon–Fri 09–13, 14–18)."""
    if calendar is None:
        return Calendar(
            working_days=DEFAULT_WORKING_DAYS,
            working_hours=DEFAULT_WORKING_HOURS,
            timezone=time_zone,
        )
    exceptions = {
        exception.date: (
            [tuple(p) for p in (exception.working_hours or calendar.working_hours)]
            if exception.working
            else []
        )
        for exception in calendar.exceptions.all()
    }
    try:
        return Calendar(
            working_days=calendar.working_days or DEFAULT_WORKING_DAYS,
            working_hours=[tuple(p) for p in calendar.working_hours or DEFAULT_WORKING_HOURS],
            country=calendar.country or None,
            subdivision=calendar.subdivision or None,
            exceptions=exceptions,
            timezone=calendar.timezone or time_zone,
        )
    except EngineError as exc:
        raise Invalid.field("calendar", str(exc)) from None


def project_axis(project: Project) -> ProjectAxis:
    calendar = engine_calendar(project.calendar, time_zone=project.time_zone)
    start_day = project.start_date or timezone.localdate(project.created_at)
    start = dt.datetime.combine(start_day, dt.time(0, 0), tzinfo=calendar.zone)
    return calendar.axis(start)


# ------------------------------------------------------------------ deferral
_deferred: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar(
    "itpm_deferred_reschedule", default=None
)


@contextlib.contextmanager
def deferred_rescheduling() -> Iterator[None]:
    """Batch many changes (an import, the demo, a change request) into one reschedule.

    Inside the block ``project_reschedule`` only notes the project; on leaving it, each
    noted project is rescheduled once. Use it inside the caller's transaction.
    """
    token = _deferred.set(set())
    try:
        yield
        pending = _deferred.get() or set()
    finally:
        _deferred.reset(token)
    for project in Project.objects.filter(pk__in=pending).select_related("calendar"):
        project_reschedule(project)


# ------------------------------------------------------------------ the service
def project_reschedule(project: Project) -> ScheduleResult | None:
    """Run CPM on the project and store the dates that changed.

    Returns what moved; None when rescheduling is deferred. A dependency cycle through
    summary tasks is a Conflict naming it (the caller's transaction rolls back).
    """
    pending = _deferred.get()
    if pending is not None:
        pending.add(project.pk)
        return None
    axis = project_axis(project)
    rows = list(
        Task.objects.filter(project=project)
        .order_by("wbs_sort")
        .only(
            "id", "parent_id", "name", "wbs_code", "milestone", "duration_hours", "status",
            "percent_complete", "constraint_type", "constraint_date", "deadline", "priority",
            "actual_start", "actual_finish", "leveled_start", *SCHEDULE_FIELDS, "duration_hours",
        )
    )  # fmt: skip
    if not rows:
        Project.objects.filter(pk=project.pk).update(
            scheduled_finish=None, scheduled_at=timezone.now()
        )
        return ScheduleResult(finish=None, critical_path=[])
    links = list(
        project.dependencies.values_list("predecessor_id", "successor_id", "type", "lag_hours")
    )
    engine_tasks = [_engine_task(task, axis) for task in rows]
    engine_links = [
        Dependency(str(pred), str(succ), DependencyType(kind), lag)
        for pred, succ, kind, lag in links
    ]
    try:
        result = cpm.schedule(engine_tasks, engine_links)
    except CycleError as exc:
        names = dict((str(t.pk), f"{t.wbs_code} {t.name}") for t in rows)
        cycle = " → ".join(names.get(i, i) for i in [*exc.cycle, exc.cycle[0]])
        raise Conflict(f"this change would close a dependency cycle: {cycle}") from None
    except EngineError as exc:
        raise Invalid.field("schedule", str(exc)) from None
    return _write_back(project, rows, result, axis)


def _engine_task(task: Task, axis: ProjectAxis) -> EngineTask:
    constraint = Constraint()
    if task.constraint_type != "ASAP":
        at = None
        if task.constraint_date is not None:
            at = axis.to_axis(
                task.constraint_date, finish=task.constraint_type in _FINISH_CONSTRAINTS
            )
        constraint = Constraint(ConstraintType(task.constraint_type), at)
    if task.leveled_start is not None:
        leveled = axis.to_axis(task.leveled_start)
        if constraint.type == ConstraintType.ASAP or (
            constraint.type == ConstraintType.SNET and (constraint.at or 0) < leveled
        ):
            constraint = Constraint(ConstraintType.SNET, leveled)
    actual_start = axis.to_axis(task.actual_start) if task.actual_start else None
    actual_finish = axis.to_axis(task.actual_finish, finish=True) if task.actual_finish else None
    remaining = None
    if actual_start is not None and actual_finish is None:
        remaining = round(task.duration_hours * (100 - task.percent_complete) / 100)
    if task.status == TaskStatus.DONE and actual_finish is None and actual_start is not None:
        actual_finish = actual_start + task.duration_hours
    return EngineTask(
        id=str(task.pk),
        duration=0 if task.milestone else task.duration_hours,
        milestone=task.milestone,
        parent=str(task.parent_id) if task.parent_id else None,
        constraint=constraint,
        deadline=axis.to_axis(task.deadline, finish=True) if task.deadline else None,
        priority=task.priority,
        actual_start=actual_start,
        actual_finish=actual_finish,
        remaining=remaining,
    )


def _write_back(
    project: Project, rows: list[Task], result: cpm.Schedule, axis: ProjectAxis
) -> ScheduleResult:
    index = {task_id: i for i, task_id in enumerate(result.ids)}
    order = [index[str(task.pk)] for task in rows]
    early_start = axis.to_datetimes(result.early_start[order])
    early_finish = axis.to_datetimes(result.early_finish[order], finish=True)
    late_start = axis.to_datetimes(result.late_start[order])
    late_finish = axis.to_datetimes(result.late_finish[order], finish=True)
    total_float = result.total_float[order].tolist()
    free_float = result.free_float[order].tolist()
    critical = result.critical[order].tolist()
    summary = result.summary[order].tolist()
    span = (result.early_finish[order] - result.early_start[order]).tolist()
    changed: list[Task] = []
    moved: list[Moved] = []
    late: list[int] = []
    for i, task in enumerate(rows):
        # A milestone's start prints like its finish (end of the previous working day
        # when it sits at a day boundary), as in MS Project.
        start = early_finish[i] if task.milestone else early_start[i]
        values: dict[str, Any] = {
            "planned_start": start,
            "planned_finish": early_finish[i],
            "early_start": start,
            "early_finish": early_finish[i],
            "late_start": late_finish[i] if task.milestone else late_start[i],
            "late_finish": late_finish[i],
            "total_float_hours": int(total_float[i]),
            "free_float_hours": int(free_float[i]),
            "critical": bool(critical[i]),
        }
        if summary[i]:
            values["duration_hours"] = int(span[i])
        if values["total_float_hours"] < 0:
            late.append(task.pk)
        before = {name: getattr(task, name) for name in values}
        if before != values:
            if before["planned_start"] != values["planned_start"] or (
                before["planned_finish"] != values["planned_finish"]
            ):
                moved.append(
                    Moved(
                        task.pk, task.name, task.wbs_code, before["planned_start"],
                        values["planned_start"], before["planned_finish"], values["planned_finish"],
                    )
                )  # fmt: skip
            for name, value in values.items():
                setattr(task, name, value)
            changed.append(task)
    if changed:
        fields = [*SCHEDULE_FIELDS, "duration_hours"]
        Task.objects.bulk_update(changed, fields, batch_size=1000)
    finish = axis.to_datetime(result.project_finish, finish=True)
    Project.objects.filter(pk=project.pk).update(
        scheduled_finish=finish, scheduled_at=timezone.now()
    )
    project.scheduled_finish = finish
    return ScheduleResult(
        finish=finish,
        critical_path=[int(i) for i in result.critical_path],
        moved=moved,
        late_tasks=late,
    )
