"""The schedule service: the engine's critical path written back onto a project's tasks.

Every planning service that changes what the schedule depends on (tasks, links,
calendars, assignments) calls ``project_reschedule`` inside its own transaction, so the
stored dates are never out of date. Conversion between the database and the engine
happens here, once:

- The engine's axis unit is one working hour of the project calendar; durations and lags
  are whole working hours already. A split task is placed with its pauses: the engine
  sees its span (``itpm.planning.splits``).
- Dates are aware datetimes in UTC in the database. A constraint or deadline becomes an
  axis position in the calendar's zone (start semantics for start constraints, finish
  semantics for finish constraints and deadlines).
- Schedule outputs (early/late dates, floats, critical, a summary's span) are derived
  data: they are rewritten without a version bump, and only for rows that changed.
- A few dates are shown as given rather than as the print of their axis position, as MS
  Project shows them (``_Given``): actual dates, the finish of a start-to-finish successor
  without lag, and a milestone held by a start constraint.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, models, transaction
from django.db.models import Func, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from itpm.core.errors import Conflict, Invalid
from itpm.engine import cpm
from itpm.engine.calendar import Calendar, ProjectAxis, UnionCalendar
from itpm.engine.errors import CycleError, EngineError
from itpm.engine.model import Constraint, ConstraintType, Dependency, DependencyType
from itpm.engine.model import Task as EngineTask
from itpm.planning.durations import axis_minutes, exact_minutes, stored
from itpm.planning.models import SCHEDULE_FIELDS, Assignment, Task, TaskStatus, WorkCalendar
from itpm.planning.splits import remaining_span, span_hours, splits_from_text
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
def engine_calendar(
    calendar: WorkCalendar | None, *, time_zone: str = "UTC", minutes_per_unit: int = 60
) -> Calendar:
    """The engine's calendar for a stored one (None: the default Mon–Fri 09–13, 14–18)."""
    if calendar is None:
        return Calendar(
            working_days=DEFAULT_WORKING_DAYS,
            working_hours=DEFAULT_WORKING_HOURS,
            timezone=time_zone,
            minutes_per_unit=minutes_per_unit,
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
            minutes_per_unit=minutes_per_unit,
        )
    except EngineError as exc:
        raise Invalid.field("calendar", str(exc)) from None


def project_axis(project: Project, *, minutes_per_unit: int = 60) -> ProjectAxis:
    """The project's working-time axis; one unit is a working hour unless asked finer."""
    calendar = engine_calendar(
        project.calendar, time_zone=project.time_zone, minutes_per_unit=minutes_per_unit
    )
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
    # Rows are read as plain tuples, and the stored schedule dates as seconds since 1970:
    # turning 30,000 stored timestamps back into datetimes costs more than the whole
    # critical-path computation of a 5,000-task plan (see bench/bench_gantt.py).
    rows = [
        _Row(*values)
        for values in Task.objects.filter(project=project)
        .order_by("wbs_sort")
        .annotate(**{f"{name}_epoch": EpochSeconds(name) for name in _STORED_DATES})
        .annotate(splits_text=Cast("splits", output_field=TextField()))
        .values_list(*_ROW_FIELDS, *(f"{name}_epoch" for name in _STORED_DATES))
    ]
    if not rows:
        Project.objects.filter(pk=project.pk).update(
            scheduled_finish=None, scheduled_at=timezone.now()
        )
        return ScheduleResult(finish=None, critical_path=[])
    # Whole-hour plans run on hours; a duration to the minute asks for a finer axis.
    axis = project_axis(
        project,
        minutes_per_unit=axis_minutes(
            task.duration_minutes for task in rows if task.duration_minutes is not None
        ),
    )
    per_hour = 60 // axis.unit
    links = list(
        project.dependencies.values_list("predecessor_id", "successor_id", "type", "lag_hours")
    )
    calendars = _task_calendars(project, rows)
    engine_tasks = [_engine_task(task, axis, calendars.get(i)) for i, task in enumerate(rows)]
    kinds = {kind.value: kind for kind in DependencyType}
    engine_links = [
        Dependency(str(pred), str(succ), kinds[kind], lag * per_hour)
        for pred, succ, kind, lag in links
    ]
    own = _OwnTime(
        calendars=calendars,
        elapsed=[
            i for i, task in enumerate(rows)
            if task.elapsed and not task.milestone and task.actual_start is None
        ],
        # Only tasks on their resources' calendars look at what holds them (_anchor).
        links=_links_into(rows, links, per_hour) if calendars else {},
        parents=_parents(rows) if calendars else {},
    )  # fmt: skip
    try:
        result = cpm.schedule(engine_tasks, engine_links)
        result = _settle_own_time(rows, engine_tasks, engine_links, result, axis, own)
    except CycleError as exc:
        names = dict((str(t.pk), f"{t.wbs_code} {t.name}") for t in rows)
        cycle = " → ".join(names.get(i, i) for i in [*exc.cycle, exc.cycle[0]])
        raise Conflict(f"this change would close a dependency cycle: {cycle}") from None
    except EngineError as exc:
        raise Invalid.field("schedule", str(exc)) from None
    given = _given_moments(rows, engine_tasks, links)
    given.own_start, given.own_finish = own.start, own.finish
    return _write_back(project, rows, result, axis, given)


_SETTLE_ROUNDS = 8
_GROW_ONLY_FROM = 2


@dataclass(slots=True)
class _OwnTime:
    """Tasks whose length on the project axis depends on where they start.

    - An elapsed task runs its real hours, day and night.
    - A task whose resources work on their own calendar (a night shift, a 24-hour
      operations desk, a part-timer) is scheduled on it, as MS Project does: it starts at
      its resources' next working moment and lasts its duration of their working time;
      with resources on different calendars, of the time when any of them works.
    """

    # row index -> the calendar the task's resources work on (not the project's)
    calendars: dict[int, Calendar]
    elapsed: list[int]
    # row index -> its predecessors: (row index, link type, lag in axis units)
    links: dict[int, list[tuple[int, str, int]]]
    # row index -> its parent's row index (a link into a summary holds all its tasks)
    parents: dict[int, int] = field(default_factory=dict)
    # row index -> real start and finish of a task on its resources' calendar
    start: dict[int, dt.datetime] = field(default_factory=dict)
    finish: dict[int, dt.datetime] = field(default_factory=dict)


def _links_into(
    rows: Sequence[Task | _Row], links: list[tuple[int, int, str, int]], per_hour: int
) -> dict[int, list[tuple[int, str, int]]]:
    index = {task.pk: i for i, task in enumerate(rows)}
    into: dict[int, list[tuple[int, str, int]]] = {}
    for predecessor, successor, kind, lag in links:
        into.setdefault(index[successor], []).append((index[predecessor], kind, lag * per_hour))
    return into


def own_time_tasks(
    project: Project, tasks: list[Task], axis: ProjectAxis
) -> dict[int, tuple[EngineTask, Calendar | None]]:
    """Task id -> its engine task as the schedule settles it, for the tasks whose span
    depends on where they start (elapsed, or on their resources' own calendar), and the
    calendar of the latter.

    Tools that schedule the plan again (leveling, the forecast, a change's impact) start
    from these spans: a night-shift task waits from the end of its predecessor to its
    first night, and that wait is part of its span as the schedule placed it.
    """
    rows: list[Task | _Row] = list(tasks)
    calendars = _task_calendars(project, rows)
    elapsed = [
        i for i, task in enumerate(rows)
        if task.elapsed and not task.milestone and task.actual_start is None
    ]  # fmt: skip
    if not calendars and not elapsed:
        return {}
    per_hour = 60 // axis.unit
    links = list(
        project.dependencies.values_list("predecessor_id", "successor_id", "type", "lag_hours")
    )
    engine_tasks = [_engine_task(task, axis, calendars.get(i)) for i, task in enumerate(rows)]
    kinds = {kind.value: kind for kind in DependencyType}
    engine_links = [
        Dependency(str(pred), str(succ), kinds[kind], lag * per_hour)
        for pred, succ, kind, lag in links
    ]
    own = _OwnTime(
        calendars=calendars,
        elapsed=elapsed,
        links=_links_into(rows, links, per_hour) if calendars else {},
        parents=_parents(rows) if calendars else {},
    )
    try:
        result = cpm.schedule(engine_tasks, engine_links)
        _settle_own_time(rows, engine_tasks, engine_links, result, axis, own)
    except EngineError:
        return {}
    return {rows[i].pk: (engine_tasks[i], calendars.get(i)) for i in {*calendars, *elapsed}}


def _parents(rows: Sequence[Task | _Row]) -> dict[int, int]:
    index = {task.pk: i for i, task in enumerate(rows)}
    return {i: index[task.parent_id] for i, task in enumerate(rows) if task.parent_id in index}


def _task_calendars(project: Project, rows: Sequence[Task | _Row]) -> dict[int, Calendar]:
    """Row index -> the calendar of a leaf task whose resources do not work on the project's."""
    found = task_calendars(project)
    if not found:
        return {}
    parents = {task.parent_id for task in rows}
    index = {
        task.pk: i
        for i, task in enumerate(rows)
        if not task.milestone and not task.elapsed and task.pk not in parents
    }
    return {index[pk]: calendar for pk, calendar in found.items() if pk in index}


def task_calendars(project: Project, task_ids: list[int] | None = None) -> dict[int, Calendar]:
    """Task id -> the calendar its resources work on, for tasks where it is not the project's
    (of ``task_ids``, or of the whole project). Summaries, milestones and elapsed tasks are
    the caller's to leave out.

    A resource without a calendar works on the project's; several resources on different
    calendars make a union (the task goes on while any of them works).
    """
    assignments = Assignment.objects.filter(project=project)
    # Most plans have none: one indexed query answers for them.
    own_tasks = set(
        assignments.filter(resource__calendar__isnull=False)
        .exclude(resource__calendar=project.calendar_id)
        .values_list("task_id", flat=True)
    )
    if task_ids is not None:
        own_tasks &= set(task_ids)
    if not own_tasks:
        return {}
    keys: dict[int, set[int | None]] = {}
    for task_id, calendar_id in assignments.values_list("task_id", "resource__calendar_id"):
        if task_id not in own_tasks:
            continue
        keys.setdefault(task_id, set()).add(
            project.calendar_id if calendar_id is None else calendar_id
        )
    own = {pk: frozenset(key) for pk, key in keys.items() if key != {project.calendar_id}}
    if not own:
        return {}
    wanted = set().union(*own.values())
    stored = {
        calendar.pk: calendar
        for calendar in WorkCalendar.objects.filter(
            pk__in=[pk for pk in wanted if pk is not None]
        ).prefetch_related("exceptions")
    }
    zone = project.time_zone
    engines = {pk: engine_calendar(stored.get(pk) if pk else None, time_zone=zone) for pk in wanted}
    made: dict[frozenset[int | None], Calendar] = {}
    calendars: dict[int, Calendar] = {}
    for task_id, key in own.items():
        if key not in made:
            # The project's calendar first: its zone is the union's.
            members = sorted(key, key=lambda pk: (pk != project.calendar_id, pk or 0))
            made[key] = (
                engines[members[0]]
                if len(members) == 1
                else UnionCalendar([engines[pk] for pk in members])
            )
        calendars[task_id] = made[key]
    return calendars


def _settle_own_time(
    rows: Sequence[Task | _Row],
    engine_tasks: list[EngineTask],
    engine_links: list[Dependency],
    result: cpm.Schedule,
    axis: ProjectAxis,
    own: _OwnTime,
) -> cpm.Schedule:
    """Reschedule until every elapsed or own-calendar task spans its time from its start.

    Each round measures the spans at the computed starts; plans settle in one or two
    rounds. After ``_SETTLE_ROUNDS`` the last schedule stands. The real start and finish
    of the tasks on their resources' calendars are left in ``own``.
    """
    if not own.elapsed and not own.calendars:
        return result
    for round_ in range(_SETTLE_ROUNDS + 1):
        spans = _own_spans(rows, engine_tasks, result, axis, own)
        if round_ >= _GROW_ONLY_FROM:
            # A task placed by its finish (a finish-to-finish link) moves its start when
            # its span changes, which changes the wait before its first working moment:
            # spans may go back and forth. From here on they only grow, so the rounds end
            # (a successor then waits a little longer than it must, never less).
            spans = {i: max(span, engine_tasks[i].duration) for i, span in spans.items()}
        changed = [i for i, span in spans.items() if span != engine_tasks[i].duration]
        if not changed or round_ == _SETTLE_ROUNDS:
            break
        for i in changed:
            engine_tasks[i].duration = spans[i]
        result = cpm.schedule(engine_tasks, engine_links)
    return result


def _own_spans(
    rows: Sequence[Task | _Row],
    engine_tasks: list[EngineTask],
    result: cpm.Schedule,
    axis: ProjectAxis,
    own: _OwnTime,
) -> dict[int, int]:
    index = {task_id: k for k, task_id in enumerate(result.ids)}
    at = [index[task.id] for task in engine_tasks]
    early_start = result.early_start
    spans: dict[int, int] = {}
    for i in own.elapsed:
        k = at[i]
        if not result.summary[k]:
            spans[i] = elapsed_span(axis, int(early_start[k]), exact_minutes(rows[i]) / 60)
    # In start order, so that a predecessor's real finish is known before its successor.
    placed = sorted(
        (i for i in own.calendars if rows[i].actual_finish is None),
        key=lambda i: int(early_start[at[i]]),
    )
    early_finish = result.early_finish
    for i in placed:
        task, calendar = rows[i], own.calendars[i]
        position, finish_at = int(early_start[at[i]]), int(early_finish[at[i]])
        minutes = _own_minutes(task)
        if task.actual_start is not None:
            own.start[i] = task.actual_start
            own.finish[i], spans[i] = calendar_span(
                axis, calendar, position, task.actual_start, minutes
            )
            continue
        starts, finishes = _held(i, position, finish_at, own, at, result, axis)
        if finishes and not starts and position > 0:
            # Placed by its finish (a finish-to-finish link): it ends at its last working
            # moment by then and starts that much of its working time earlier.
            end = calendar.moment(calendar.working_minute(max(finishes)), finish=True)
            begin = calendar.moment(calendar.working_minute(end) - minutes)
            own.start[i], own.finish[i] = begin, end
            spans[i] = max(finish_at - axis.to_axis(begin), 0)
            continue
        anchor = max(starts) if starts else axis.to_datetime(position)
        own.start[i] = calendar.moment(calendar.working_minute(anchor))
        own.finish[i], spans[i] = calendar_span(axis, calendar, position, anchor, minutes)
    return spans


def _own_minutes(task: Task | _Row) -> int:
    """Working minutes of a task's work and pauses."""
    return exact_minutes(task) + 60 * sum(pause for _, pause in task.splits)


def own_stretch(task: Task | _Row, span: int, unit: int = 60) -> float:
    """Axis units per hour of work and pauses of a task on its resources' own calendar
    (about 1/3 on a 24-hour desk), for tools that resize it (forecast, change impact)."""
    hours = _own_minutes(task) / 60
    return span * unit / 60 / hours if hours else 1.0


def calendar_span(
    axis: ProjectAxis, calendar: Calendar, position: int, anchor: dt.datetime, minutes: int
) -> tuple[dt.datetime, int]:
    """The real finish of ``minutes`` of ``calendar``'s working time from ``anchor`` on
    (at its next working moment), and the axis units from ``position`` to that finish.

    The finish rounds up to the project's working time, so a successor on the project's
    calendar starts at its next working moment (09:00 after a night shift ends at 06:00).
    """
    begin = calendar.moment(calendar.working_minute(anchor))
    end = calendar.add(begin, minutes) if minutes else begin
    return end, max(axis.to_axis(end, finish=True) - position, 0)


def _held(
    i: int,
    position: int,
    finish_at: int,
    own: _OwnTime,
    at: list[int],
    result: cpm.Schedule,
    axis: ProjectAxis,
) -> tuple[list[dt.datetime], list[dt.datetime]]:
    """The real moments of the links that hold task ``i`` where it is: on its start
    (finish-to-start, start-to-start) and on its finish (finish-to-finish, start-to-finish).

    A link without lag from a task on its own calendar holds it at that task's real
    finish or start: a night-shift task after a day task that ends Thursday 18:00 starts
    Thursday 22:00, not after the project's next working moment (Friday 09:00). Links into
    the task's phases hold it too.
    """
    held_by: list[tuple[int, str, int]] = []
    j: int | None = i
    while j is not None:
        held_by.extend(own.links.get(j, ()))
        j = own.parents.get(j)
    starts: list[dt.datetime] = []
    finishes: list[dt.datetime] = []
    for predecessor, kind, lag in held_by:
        k = at[predecessor]
        pred_start, pred_finish = int(result.early_start[k]), int(result.early_finish[k])
        if kind == DependencyType.FS.value and pred_finish + lag == position:
            real = own.finish.get(predecessor) if lag == 0 else None
            starts.append(real or axis.to_datetime(position, finish=True))
        elif kind == DependencyType.SS.value and pred_start + lag == position:
            real = own.start.get(predecessor) if lag == 0 else None
            starts.append(real or axis.to_datetime(position))
        elif kind == DependencyType.FF.value and pred_finish + lag == finish_at:
            real = own.finish.get(predecessor) if lag == 0 else None
            finishes.append(real or axis.to_datetime(finish_at, finish=True))
        elif kind == DependencyType.SF.value and pred_start + lag == finish_at:
            real = own.start.get(predecessor) if lag == 0 else None
            finishes.append(real or axis.to_datetime(finish_at))
    return starts, finishes


class EpochSeconds(Func):
    """Whole seconds since 1970 (UTC) of a datetime column; NULL stays NULL."""

    output_field = models.BigIntegerField()
    arity = 1
    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps datetimes as UTC text; "%%%%s" reaches strftime as "%s".
        return self.as_sql(
            compiler, connection, template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)"
        )


_ROW_FIELDS = (
    "id", "parent_id", "name", "wbs_code", "milestone", "duration_hours", "status",
    "percent_complete", "constraint_type", "constraint_date", "deadline", "priority",
    "actual_start", "actual_finish", "leveled_start", "total_float_hours", "free_float_hours",
    "critical", "splits_text", "elapsed", "duration_minutes",
)  # fmt: skip
_STORED_DATES = (
    "planned_start", "planned_finish", "early_start", "early_finish", "late_start", "late_finish",
)  # fmt: skip


@dataclass(slots=True)
class _Row:
    """What the schedule service reads of a task: its inputs and its stored results."""

    pk: int
    parent_id: int | None
    name: str
    wbs_code: str
    milestone: bool
    duration_hours: int
    status: str
    percent_complete: int
    constraint_type: str
    constraint_date: dt.datetime | None
    deadline: dt.datetime | None
    priority: int
    actual_start: dt.datetime | None
    actual_finish: dt.datetime | None
    leveled_start: dt.datetime | None
    total_float_hours: int | None
    free_float_hours: int | None
    critical: bool
    splits_text: str | None
    elapsed: bool
    duration_minutes: int | None
    planned_start_epoch: int | None
    planned_finish_epoch: int | None
    early_start_epoch: int | None
    early_finish_epoch: int | None
    late_start_epoch: int | None
    late_finish_epoch: int | None

    @property
    def splits(self) -> list[list[int]]:
        return splits_from_text(self.splits_text)


def elapsed_span(axis: ProjectAxis, position: int, hours: float) -> int:
    """Axis units from ``position`` to ``hours`` of real time later (day and night).

    The finish rounds up to working time, so a successor starts at the next working
    moment: a 24-hour burn-in started Friday 09:00 ends Saturday 09:00 and its successor
    starts Monday morning.
    """
    start = axis.to_datetime(position).astimezone(dt.UTC)
    finish = start + dt.timedelta(hours=hours)
    return max(axis.to_axis(finish, finish=True) - position, 0)


def _planned_start(task: Task | _Row) -> dt.datetime | None:
    if isinstance(task, _Row):
        epoch = task.planned_start_epoch
        return None if epoch is None else dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return task.planned_start


def _engine_task(
    task: Task | _Row, axis: ProjectAxis, calendar: Calendar | None = None
) -> EngineTask:
    """The engine's task for a stored one; ``calendar``: its resources' own (task_calendars)."""
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
    # Durations are hours or, to the minute, ``duration_minutes``; pauses are hours.
    per_hour = 60 // axis.unit
    exact = task.duration_minutes
    work = task.duration_hours * per_hour if exact is None else round(exact / axis.unit)
    splits = task.splits
    if splits:
        splits = [[after * per_hour, pause * per_hour] for after, pause in splits]
        span = span_hours(work, splits)
    else:
        span = work
    if task.elapsed and not task.milestone:
        minutes = exact_minutes(task)
        # Real hours become working units where the task starts: where it is scheduled now
        # (the schedule service settles it, see ``_settle_elapsed``).
        planned = _planned_start(task)
        at = actual_start if actual_start is not None else axis.to_axis(planned) if planned else 0
        span = elapsed_span(axis, max(at, 0), minutes / 60)
    own_calendar = calendar is not None and not task.milestone and not task.elapsed
    if own_calendar:
        assert calendar is not None
        # Where the task is scheduled now (the schedule service settles it, see
        # ``_settle_own_time``), on its resources' working time.
        begin = task.actual_start or _planned_start(task) or axis.to_datetime(0)
        at = axis.to_axis(begin)
        _, span = calendar_span(axis, calendar, at, begin, _own_minutes(task))
    if actual_start is not None and actual_finish is None and not own_calendar:
        remaining = remaining_span(round(work * (100 - task.percent_complete) / 100), work, splits)
    if task.status == TaskStatus.DONE and actual_finish is None and actual_start is not None:
        actual_finish = actual_start + span
    return EngineTask(
        id=str(task.pk),
        duration=0 if task.milestone else span,
        milestone=task.milestone,
        parent=str(task.parent_id) if task.parent_id else None,
        constraint=constraint,
        deadline=axis.to_axis(task.deadline, finish=True) if task.deadline else None,
        priority=task.priority,
        actual_start=actual_start,
        actual_finish=actual_finish,
        remaining=remaining,
    )


_NULL = np.iinfo(np.int64).min  # a NULL stored date or float, in the comparisons below
_START_HELD = {ConstraintType.SNET, ConstraintType.MSO}


@dataclass(slots=True)
class _Given:
    """Where a task's dates are not the plain print of its axis positions (as in MS Project).

    - An actual start or finish is a fact: the task shows it as given, even when it lies
      outside working time (work done on a Saturday).
    - A finish set by a start-to-finish link without lag is the predecessor's start moment
      (Monday 08:00), not the end of the previous working period (Friday 17:00).
    - A milestone held by a "start no earlier than" or "must start on" constraint sits at
      the constraint's start moment (08:00 of the project's first day), not at the end of
      the previous working day.
    """

    actual_start: dict[int, dt.datetime] = field(default_factory=dict)
    actual_finish: dict[int, dt.datetime] = field(default_factory=dict)
    # row index -> the row indices of its SF predecessors linked without lag
    start_to_finish: dict[int, set[int]] = field(default_factory=dict)
    # row index -> the position of the milestone's SNET/MSO constraint
    milestone_held: dict[int, int] = field(default_factory=dict)
    # row index -> the real minutes of an elapsed task not started: it finishes that long
    # after its start, on a Saturday if so (its successors wait for working time).
    elapsed_minutes: dict[int, int] = field(default_factory=dict)
    # row index -> the real start and finish of a task on its resources' calendar
    own_start: dict[int, dt.datetime] = field(default_factory=dict)
    own_finish: dict[int, dt.datetime] = field(default_factory=dict)


def _given_moments(
    rows: list[_Row], engine_tasks: list[EngineTask], links: list[tuple[int, int, str, int]]
) -> _Given:
    given = _Given()
    index = {task.pk: i for i, task in enumerate(rows)}
    for i, (task, engine_task) in enumerate(zip(rows, engine_tasks, strict=True)):
        if task.actual_start is not None:
            given.actual_start[i] = task.actual_start
        if task.actual_finish is not None:
            given.actual_finish[i] = task.actual_finish
        if task.elapsed and not task.milestone and task.actual_start is None:
            given.elapsed_minutes[i] = exact_minutes(task)
        constraint = engine_task.constraint
        if task.milestone and constraint.type in _START_HELD and constraint.at is not None:
            given.milestone_held[i] = constraint.at
    for predecessor, successor, kind, lag in links:
        if kind == DependencyType.SF.value and lag == 0:
            given.start_to_finish.setdefault(index[successor], set()).add(index[predecessor])
    return given


def _epochs(
    axis: ProjectAxis, positions: npt.NDArray[np.int64], *, finish: bool
) -> tuple[npt.NDArray[np.int64], dict[int, dt.datetime]]:
    """Seconds since 1970 of axis positions, and the datetime of each distinct position.

    Tasks share many dates, so each distinct position becomes a datetime once.
    """
    unique, inverse = np.unique(positions, return_inverse=True)
    moments = axis.to_datetimes(unique, finish=finish)
    seconds = np.fromiter((round(m.timestamp()) for m in moments), np.int64, len(moments))
    return seconds[inverse.reshape(-1)], dict(zip(unique.tolist(), moments, strict=True))


def _stored(values: list[int | None]) -> npt.NDArray[np.int64]:
    return np.fromiter((_NULL if v is None else v for v in values), np.int64, len(values))


def _write_back(
    project: Project,
    rows: list[_Row],
    result: cpm.Schedule,
    axis: ProjectAxis,
    given: _Given | None = None,
) -> ScheduleResult:
    """Store what changed: the whole comparison runs on arrays, datetimes only for changes."""
    index = {task_id: i for i, task_id in enumerate(result.ids)}
    order = np.fromiter((index[str(task.pk)] for task in rows), np.int64, len(rows))
    early_start_at = result.early_start[order]
    early_finish_at = result.early_finish[order]
    late_start_at = result.late_start[order]
    late_finish_at = result.late_finish[order]
    early_start, early_start_moment = _epochs(axis, early_start_at, finish=False)
    early_finish, early_finish_moment = _epochs(axis, early_finish_at, finish=True)
    late_start, late_start_moment = _epochs(axis, late_start_at, finish=False)
    late_finish, late_finish_moment = _epochs(axis, late_finish_at, finish=True)
    # Floats are stored in working hours (rounded when the axis is finer).
    total_float_units = result.total_float[order].astype(np.int64)
    total_float = _as_hours(total_float_units, axis.unit)
    free_float = _as_hours(result.free_float[order].astype(np.int64), axis.unit)
    critical = result.critical[order]
    summary = result.summary[order]
    span = (early_finish_at - early_start_at).astype(np.int64)
    # A milestone's start prints like its finish (end of the previous working day when it
    # sits at a day boundary), as in MS Project.
    milestone = np.fromiter((task.milestone for task in rows), np.bool_, len(rows))
    start = np.where(milestone, early_finish, early_start)
    late_start = np.where(milestone, late_finish, late_start)
    start_moment, finish_moment = _given_dates(
        given or _Given(), milestone, early_start_at, early_finish_at, axis, summary
    )
    if start_moment or finish_moment:
        _roll_up(
            rows, summary, start_moment, finish_moment,
            [early_start_moment[int(p)] for p in early_start_at],
            [early_finish_moment[int(p)] for p in early_finish_at],
        )  # fmt: skip
    for i, moment in start_moment.items():
        start[i] = round(moment.timestamp())
    if finish_moment:
        early_finish = early_finish.copy()
        for i, moment in finish_moment.items():
            early_finish[i] = round(moment.timestamp())

    stored_start = _stored([task.planned_start_epoch for task in rows])
    stored_finish = _stored([task.planned_finish_epoch for task in rows])
    duration = np.fromiter(
        (
            task.duration_hours * 60 if task.duration_minutes is None else task.duration_minutes
            for task in rows
        ),
        np.int64,
        len(rows),
    )
    span_minutes = span * axis.unit
    moved_mask = (stored_start != start) | (stored_finish != early_finish)
    changed_mask = (
        moved_mask
        | (_stored([task.early_start_epoch for task in rows]) != start)
        | (_stored([task.early_finish_epoch for task in rows]) != early_finish)
        | (_stored([task.late_start_epoch for task in rows]) != late_start)
        | (_stored([task.late_finish_epoch for task in rows]) != late_finish)
        | (_stored([task.total_float_hours for task in rows]) != total_float)
        | (_stored([task.free_float_hours for task in rows]) != free_float)
        | (np.fromiter((task.critical for task in rows), np.bool_, len(rows)) != critical)
        | (summary & (duration != span_minutes))
    )
    late = [rows[i].pk for i in np.flatnonzero(total_float_units < 0).tolist()]

    def old(epoch: int | None) -> dt.datetime | None:
        return None if epoch is None else dt.datetime.fromtimestamp(epoch, tz=dt.UTC)

    updates: list[tuple[Any, ...]] = []
    moved: list[Moved] = []
    for i in np.flatnonzero(changed_mask).tolist():
        task = rows[i]
        milestone_row = task.milestone
        new_start = (
            early_finish_moment[int(early_finish_at[i])]
            if milestone_row
            else early_start_moment[int(early_start_at[i])]
        )
        new_finish = early_finish_moment[int(early_finish_at[i])]
        new_start = start_moment.get(i, new_start)
        new_finish = finish_moment.get(i, new_finish)
        new_late_start = (
            late_finish_moment[int(late_finish_at[i])]
            if milestone_row
            else late_start_moment[int(late_start_at[i])]
        )
        if moved_mask[i]:
            moved.append(
                Moved(
                    task.pk, task.name, task.wbs_code, old(task.planned_start_epoch), new_start,
                    old(task.planned_finish_epoch), new_finish,
                )
            )  # fmt: skip
        updates.append(
            (
                new_start, new_finish, new_start, new_finish, new_late_start,
                late_finish_moment[int(late_finish_at[i])], int(total_float[i]),
                int(free_float[i]), bool(critical[i]),
                *(stored(int(span_minutes[i])) if summary[i]
                  else (task.duration_hours, task.duration_minutes)),
                task.pk,
            )
        )  # fmt: skip
    if updates:
        _update_rows(updates)
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


def _as_hours(units: npt.NDArray[np.int64], unit: int) -> npt.NDArray[np.int64]:
    if unit == 60:
        return units
    hours: npt.NDArray[np.int64] = np.rint(units * (unit / 60)).astype(np.int64)
    return hours


def _given_dates(
    given: _Given,
    milestone: npt.NDArray[np.bool_],
    early_start_at: npt.NDArray[np.int64],
    early_finish_at: npt.NDArray[np.int64],
    axis: ProjectAxis,
    summary: npt.NDArray[np.bool_],
) -> tuple[dict[int, dt.datetime], dict[int, dt.datetime]]:
    """The start and finish moments that replace the plain print of the positions (_Given)."""
    start: dict[int, dt.datetime] = {}
    finish: dict[int, dt.datetime] = {}
    zone = axis.calendar.zone
    for i, minutes in given.elapsed_minutes.items():
        if not summary[i]:
            begin = axis.to_datetime(int(early_start_at[i])).astimezone(dt.UTC)
            finish[i] = (begin + dt.timedelta(minutes=minutes)).astimezone(zone)
    for i, at in given.milestone_held.items():
        if int(early_finish_at[i]) == at:
            start[i] = finish[i] = axis.to_datetime(at)
    for i, predecessors in given.start_to_finish.items():
        position = int(early_finish_at[i])
        if not milestone[i] and any(int(early_start_at[p]) == position for p in predecessors):
            finish[i] = axis.to_datetime(position)
    start.update(given.own_start)
    finish.update(given.own_finish)
    start.update(given.actual_start)
    finish.update(given.actual_finish)
    return start, finish


def _roll_up(
    rows: list[_Row],
    summary: npt.NDArray[np.bool_],
    start: dict[int, dt.datetime],
    finish: dict[int, dt.datetime],
    printed_start: list[dt.datetime],
    printed_finish: list[dt.datetime],
) -> None:
    """A summary over a task shown at its given moments spans its tasks as they are shown.

    A phase whose night-shift task starts at 23:00 starts at 23:00, not at the working
    hour the axis holds. Summaries without such a task keep the print of their positions.
    """
    index = {task.pk: i for i, task in enumerate(rows)}
    touched = set()
    for i in {*start, *finish}:
        parent = rows[i].parent_id
        while parent is not None and index[parent] not in touched:
            touched.add(index[parent])
            parent = rows[index[parent]].parent_id
    if not touched:
        return
    low: dict[int, dt.datetime] = {}
    high: dict[int, dt.datetime] = {}
    # Children sort after their parent (WBS order): backwards, a summary is complete
    # before its own parent takes it in.
    for i in range(len(rows) - 1, -1, -1):
        if summary[i]:
            if i not in low:
                continue
            begin, end = low[i], high[i]
            if i in touched:
                start[i], finish[i] = begin, end
        else:
            # A milestone shows its start like its finish (see _write_back).
            begin = start.get(i, printed_finish[i] if rows[i].milestone else printed_start[i])
            end = finish.get(i, printed_finish[i])
        parent = rows[i].parent_id
        if parent is not None:
            j = index[parent]
            low[j] = min(low.get(j, begin), begin)
            high[j] = max(high.get(j, end), end)


def _update_rows(updates: list[tuple[Any, ...]]) -> None:
    """One UPDATE per changed task, sent as a batch (psycopg pipelines executemany).

    Django's ``bulk_update`` writes ``CASE WHEN id = ... THEN ...`` per column, which
    PostgreSQL plans in time quadratic in the batch: 30 s for a full 5,000-task rewrite.
    """
    quote = connection.ops.quote_name
    # These fields have no db_column: the column is the field's name.
    fields = [*SCHEDULE_FIELDS, "duration_hours", "duration_minutes"]
    columns = ", ".join(f"{quote(name)} = %s" for name in fields)
    sql = f"UPDATE {quote(Task._meta.db_table)} SET {columns} WHERE {quote('id')} = %s"  # noqa: S608 - names from the model, values are parameters  # nosemgrep: itpm-raw-sql-formatted
    adapt = connection.ops.adapt_datetimefield_value
    params = [(*(adapt(v) for v in row[:6]), *row[6:]) for row in updates]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
