"""Permission-scoped reads of calendars, resources, assignments, loads and baselines.

Resources are organisation-wide: anyone logged in lists them. Their *load* shows tasks
only of projects the reader may see; the hours of other projects appear as one aggregate
per week ("other projects: N h"), never with a project or task name.
"""

from __future__ import annotations

import calendar as calendar_module
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from itpm.accounts.permissions import is_admin, visible_projects
from itpm.core.errors import Invalid, NotFound
from itpm.engine.calendar import Calendar, ProjectAxis
from itpm.planning.models import (
    Assignment,
    Baseline,
    CalendarException,
    LevelingRun,
    LevelingRunStatus,
    Resource,
    ResourceAbsence,
    Task,
    TaskStatus,
    WorkCalendar,
)
from itpm.planning.resource_services import task_work_and_cost
from itpm.planning.scheduling import engine_calendar, project_axis
from itpm.portfolio.models import Project

MAX_LOAD_WEEKS = 156


# ====================================================================== calendars
def calendar_list(*, user: Any, project: str | None = None) -> QuerySet[WorkCalendar]:
    """Shared calendars and those of projects the user sees."""
    calendars = WorkCalendar.objects.filter(
        Q(project__isnull=True) | Q(project__in=visible_projects(user))
    ).select_related("project")
    if project:
        calendars = calendars.filter(project__key=project.upper())
    return calendars.prefetch_related("exceptions").order_by("name", "id")


def calendar_get(*, user: Any, calendar_id: int) -> WorkCalendar:
    calendar = calendar_list(user=user).filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(f"calendar {calendar_id} not found")
    return calendar


@dataclass
class CalendarDay:
    date: dt.date
    in_month: bool
    working: bool
    hours: float
    holiday: str = ""  # the public holiday's name
    exception: str = ""  # the exception's name ("" when none)
    exception_working: bool | None = None
    weekend: bool = False


def calendar_month(calendar: WorkCalendar | None, year: int, month: int) -> list[list[CalendarDay]]:
    """The month as weeks (Monday first) of days with their working time and reasons."""
    if not 1 <= month <= 12 or not 1900 <= year <= 2200:
        raise Invalid.field("month", "must be a month between 1900 and 2200")
    engine = engine_calendar(calendar)
    exceptions: dict[dt.date, CalendarException] = {}
    if calendar is not None:
        exceptions = {e.date: e for e in calendar.exceptions.all()}
    names = _holiday_names(engine, year)
    weeks: list[list[CalendarDay]] = []
    for week in calendar_module.Calendar(firstweekday=0).monthdatescalendar(year, month):
        row = []
        for day in week:
            periods = engine.periods_on(day)
            exception = exceptions.get(day)
            row.append(
                CalendarDay(
                    date=day,
                    in_month=day.month == month,
                    working=bool(periods),
                    hours=sum(b - a for a, b in periods) / 60,
                    holiday=names.get(day, ""),
                    exception=(
                        exception.name or ("working day" if exception.working else "day off")
                    )
                    if exception
                    else "",
                    exception_working=exception.working if exception else None,
                    weekend=not engine.periods_on_weekday(day.weekday()),
                )
            )
        weeks.append(row)
    return weeks


def _holiday_names(engine: Calendar, year: int) -> dict[dt.date, str]:
    if not engine.country:
        return {}
    import holidays as holidays_package

    try:
        found = holidays_package.country_holidays(
            engine.country, subdiv=engine.subdivision, years=[year - 1, year, year + 1]
        )
    except NotImplementedError:
        return {}
    return {day: str(name) for day, name in found.items()}


def holidays_in(
    calendar: WorkCalendar | None, first: dt.date, last: dt.date
) -> list[dict[str, Any]]:
    """Public holidays and exceptions between two dates, for lists and the API."""
    engine = engine_calendar(calendar)
    names: dict[dt.date, str] = {}
    for year in range(first.year, last.year + 1):
        names.update(_holiday_names(engine, year))
    return [
        {"date": day, "name": name} for day, name in sorted(names.items()) if first <= day <= last
    ]


# ====================================================================== resources
def resource_list(
    *,
    user: Any,
    kind: str | None = None,
    team: str | None = None,
    active: bool | None = None,
    search: str | None = None,
) -> QuerySet[Resource]:
    """Every resource (organisation-wide data) for a logged-in user."""
    if user is None or not user.is_authenticated:
        return Resource.objects.none()
    resources = Resource.objects.select_related("user", "team", "calendar").prefetch_related(
        "rates", "absences"
    )
    if kind:
        resources = resources.filter(kind=kind)
    if team:
        resources = resources.filter(team__name=team)
    if active is not None:
        resources = resources.filter(active=active)
    if search:
        resources = resources.filter(name__icontains=search)
    return resources.order_by("name", "id")


def resource_get(*, user: Any, resource_id: int) -> Resource:
    resource = resource_list(user=user).filter(pk=resource_id).first()
    if resource is None:
        raise NotFound(f"resource {resource_id} not found")
    return resource


def absence_get(*, user: Any, resource: Resource, absence_id: int) -> ResourceAbsence:
    absence = ResourceAbsence.objects.filter(resource=resource, pk=absence_id).first()
    if absence is None or not user.is_authenticated:
        raise NotFound(f"absence {absence_id} not found")
    absence.resource = resource
    return absence


# ====================================================================== assignments
def assignment_list(
    *, project: Project, task: int | None = None, resource: int | None = None
) -> QuerySet[Assignment]:
    rows = Assignment.objects.filter(project=project).select_related("task", "resource", "project")
    if task is not None:
        rows = rows.filter(task_id=task)
    if resource is not None:
        rows = rows.filter(resource_id=resource)
    return rows.order_by("task__wbs_sort", "resource__name")


def assignment_get(*, user: Any, assignment_id: int) -> Assignment:
    assignment = (
        Assignment.objects.select_related("task", "resource", "project")
        .filter(pk=assignment_id, project__in=visible_projects(user))
        .first()
    )
    if assignment is None:
        raise NotFound(f"assignment {assignment_id} not found")
    return assignment


def resources_by_task(project: Project) -> dict[int, list[Assignment]]:
    """The project's assignments grouped by task, for the plan page (one query)."""
    grouped: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in Assignment.objects.filter(project=project).select_related("resource"):
        grouped[assignment.task_id].append(assignment)
    return grouped


# ====================================================================== resource load
@dataclass
class LoadTask:
    project: str
    task_id: int
    wbs_code: str
    name: str
    hours: float


@dataclass
class LoadWeek:
    week_start: dt.date
    capacity_hours: float
    demand_hours: float = 0.0
    other_projects_hours: float = 0.0
    tasks: list[LoadTask] = field(default_factory=list)

    @property
    def over(self) -> bool:
        return self.demand_hours > self.capacity_hours + 1e-6

    @property
    def visible_hours(self) -> float:
        return self.demand_hours - self.other_projects_hours


@dataclass
class ResourceLoad:
    resource: Resource
    start: dt.date
    finish: dt.date
    weeks: list[LoadWeek]

    @property
    def over_weeks(self) -> int:
        return sum(1 for week in self.weeks if week.over)

    @property
    def peak_hours(self) -> float:
        return max(
            [w.demand_hours for w in self.weeks] + [w.capacity_hours for w in self.weeks] + [1.0]
        )


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def load_window(start: dt.date | None, finish: dt.date | None) -> tuple[dt.date, dt.date]:
    """Whole weeks from the Monday of ``start`` to the Sunday of ``finish``."""
    today = timezone.localdate()
    first = _monday(start or today)
    last = finish or (first + dt.timedelta(weeks=12))
    if last < first:
        raise Invalid.field("to", "must not be before from")
    last = _monday(last) + dt.timedelta(days=6)
    if (last - first).days // 7 + 1 > MAX_LOAD_WEEKS:
        raise Invalid.field("to", f"at most {MAX_LOAD_WEEKS} weeks at a time")
    return first, last


def _capacity_per_week(resource: Resource, weeks: list[dt.date]) -> list[float]:
    """Hours the resource can work per week: units x its calendar's hours, none when absent."""
    engine = engine_calendar(resource.calendar)
    absent: set[dt.date] = set()
    if weeks:
        last = weeks[-1] + dt.timedelta(days=6)
        for absence in resource.absences.all():
            day = max(absence.start, weeks[0])
            while day <= min(absence.finish, last):
                absent.add(day)
                day += dt.timedelta(days=1)
    capacity = float(resource.capacity)
    result = []
    for monday in weeks:
        minutes = 0
        for offset in range(7):
            day = monday + dt.timedelta(days=offset)
            if day not in absent:
                minutes += sum(b - a for a, b in engine.periods_on(day))
        result.append(round(capacity * minutes / 60, 2))
    return result


def resources_load(
    *,
    user: Any,
    resources: list[Resource],
    start: dt.date,
    finish: dt.date,
    overrides: dict[int, tuple[dt.datetime, dt.datetime]] | None = None,
) -> list[ResourceLoad]:
    """Weekly demand vs capacity of each resource across every project.

    A task's hours in a week are the working hours of its project's calendar (of the
    resource's own calendar, when it has one) between its scheduled start and finish that
    fall in that week, times the assignment's units.
    ``overrides`` replaces some tasks' (start, finish), to show a leveling proposal.
    Cancelled tasks take no time.
    """
    weeks = []
    monday = start
    while monday <= finish:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    visible = set(visible_projects(user).values_list("pk", flat=True))
    admin = is_admin(user)
    overrides = overrides or {}
    rows = list(
        Assignment.objects.filter(resource__in=resources, task__planned_start__isnull=False)
        .exclude(task__status=TaskStatus.CANCELLED)
        .exclude(project__archived=True)
        .values_list(
            "resource_id", "units", "project_id", "task_id", "task__wbs_code", "task__name",
            "task__planned_start", "task__planned_finish", "task__milestone",
        )
    )  # fmt: skip
    projects = {
        p.pk: p
        for p in Project.objects.filter(pk__in={r[2] for r in rows})
        .select_related("calendar")
        .prefetch_related("calendar__exceptions")
    }
    by_id = {resource.pk: resource for resource in resources}
    axes: dict[tuple[int, int | None], ProjectAxis] = {}
    boundaries: dict[tuple[int, int | None], list[int]] = {}
    results: dict[int, ResourceLoad] = {}
    for resource in resources:
        capacities = _capacity_per_week(resource, weeks)
        results[resource.pk] = ResourceLoad(
            resource=resource,
            start=start,
            finish=finish,
            weeks=[
                LoadWeek(week_start=w, capacity_hours=c)
                for w, c in zip(weeks, capacities, strict=True)
            ],
        )
    for (
        resource_id,
        units,
        project_id,
        task_id,
        code,
        name,
        task_start,
        task_finish,
        milestone,
    ) in rows:
        if milestone:
            continue
        task_start, task_finish = overrides.get(task_id, (task_start, task_finish))
        if task_start is None or task_finish is None or task_finish <= task_start:
            continue
        project = projects[project_id]
        # A resource on its own calendar works its tasks on it (a night shift): its hours
        # are counted there (scheduling.task_calendars).
        own = by_id[resource_id].calendar_id
        key = (project_id, own if own not in (None, project.calendar_id) else None)
        if key not in axes:
            axis = project_axis(project)
            if key[1] is not None:
                calendar = engine_calendar(by_id[resource_id].calendar, time_zone=project.time_zone)
                axis = calendar.axis(axis.start)
            axes[key] = axis
            zone = axis.calendar.zone
            boundaries[key] = [
                axis.to_axis(dt.datetime.combine(w, dt.time(), tzinfo=zone))
                for w in [*weeks, weeks[-1] + dt.timedelta(days=7)]
            ]
        axis = axes[key]
        bounds = boundaries[key]
        begin = axis.to_axis(task_start)
        end = axis.to_axis(task_finish, finish=True)
        if end <= bounds[0] or begin >= bounds[-1]:
            continue
        load = results[resource_id]
        unit_hours = axis.unit / 60
        seen = project_id in visible or admin
        for index, week in enumerate(load.weeks):
            overlap = min(end, bounds[index + 1]) - max(begin, bounds[index])
            if overlap <= 0:
                continue
            hours = round(overlap * unit_hours * float(units), 2)
            week.demand_hours = round(week.demand_hours + hours, 2)
            if seen:
                week.tasks.append(LoadTask(projects[project_id].key, task_id, code, name, hours))
            else:
                week.other_projects_hours = round(week.other_projects_hours + hours, 2)
    return [results[resource.pk] for resource in resources]


def project_resources(project: Project) -> list[Resource]:
    """Resources assigned to at least one task of the project."""
    return list(
        Resource.objects.filter(assignments__project=project)
        .distinct()
        .select_related("calendar", "user", "team")
        .prefetch_related("absences", "calendar__exceptions")
        .order_by("name")
    )


# ====================================================================== leveling runs
def leveling_run_latest(*, project: Project) -> LevelingRun | None:
    """The open proposal of the project (queued, running, done or failed), if any."""
    return (
        LevelingRun.objects.filter(project=project)
        .exclude(status__in=(LevelingRunStatus.APPLIED, LevelingRunStatus.DISCARDED))
        .order_by("-created_at", "-id")
        .first()
    )


def leveling_run_get(*, project: Project, run_id: int) -> LevelingRun:
    """A stored leveling proposal of ``project`` (404 for another project's run)."""
    run = LevelingRun.objects.filter(project=project, pk=run_id).first()
    if run is None:
        raise NotFound(f"leveling run {run_id} not found")
    return run


def leveling_run_stale(run: LevelingRun, project: Project) -> bool:
    return run.schedule_stamp != project.scheduled_at


def leveling_overrides(run: LevelingRun | None) -> dict[int, tuple[dt.datetime, dt.datetime]]:
    if run is None or run.status != LevelingRunStatus.DONE:
        return {}
    return {
        int(m["task"]): (
            dt.datetime.fromisoformat(m["new_start"]),
            dt.datetime.fromisoformat(m["new_finish"]),
        )
        for m in run.result.get("moved", [])
    }


# ====================================================================== baselines
def baseline_list(*, project: Project) -> QuerySet[Baseline]:
    return (
        Baseline.objects.filter(project=project)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def baseline_get(*, project: Project, baseline_id: int) -> Baseline:
    baseline = baseline_list(project=project).filter(pk=baseline_id).first()
    if baseline is None:
        raise NotFound(f"baseline {baseline_id} not found")
    return baseline


@dataclass
class VarianceRow:
    task_id: int | None
    wbs_code: str
    name: str
    summary: bool
    baseline_start: dt.datetime | None
    start: dt.datetime | None
    start_variance_hours: int | None
    baseline_finish: dt.datetime | None
    finish: dt.datetime | None
    finish_variance_hours: int | None
    baseline_duration_hours: int | None
    duration_hours: int | None
    duration_variance_hours: int | None
    baseline_cost: Decimal | None
    cost: Decimal | None
    cost_variance: Decimal | None
    status: str  # "added" (not in the baseline), "removed" (deleted since), or ""

    @property
    def late(self) -> bool:
        return (self.finish_variance_hours or 0) > 0


@dataclass
class Variance:
    baseline: Baseline
    rows: list[VarianceRow]
    baseline_finish: dt.datetime | None
    finish: dt.datetime | None
    finish_variance_hours: int | None
    baseline_cost: Decimal
    cost: Decimal
    cost_variance: Decimal
    late_tasks: int


def _hours_between(
    axis: ProjectAxis, before: dt.datetime | None, after: dt.datetime | None, *, finish: bool
) -> int | None:
    """Working hours from ``before`` to ``after`` on the project calendar (negative = earlier)."""
    if before is None or after is None:
        return None
    return axis.to_axis(after, finish=finish) - axis.to_axis(before, finish=finish)


def baseline_variance(*, project: Project, baseline: Baseline) -> Variance:
    """Start, finish, duration and cost of every task against ``baseline``.

    Variances are in working hours of the project calendar, positive = later or longer;
    cost = work hours x the resource rate (see ``task_work_and_cost``).
    """
    axis = project_axis(project)
    tasks = list(Task.objects.filter(project=project).order_by("wbs_sort"))
    parents = {t.parent_id for t in tasks if t.parent_id}
    money = task_work_and_cost(project)
    entries = list(baseline.tasks.all())
    by_task = {e.task_id: e for e in entries if e.task_id is not None}
    rows: list[VarianceRow] = []
    for task in tasks:
        entry = by_task.get(task.pk)
        cost = money.get(task.pk, (Decimal(0), Decimal(0)))[1]
        start = task.early_start if task.milestone and task.early_start else task.planned_start
        rows.append(
            VarianceRow(
                task_id=task.pk,
                wbs_code=task.wbs_code,
                name=task.name,
                summary=task.pk in parents,
                baseline_start=entry.start if entry else None,
                start=start,
                start_variance_hours=_hours_between(axis, entry.start, start, finish=task.milestone)
                if entry
                else None,
                baseline_finish=entry.finish if entry else None,
                finish=task.planned_finish,
                finish_variance_hours=_hours_between(
                    axis, entry.finish, task.planned_finish, finish=True
                )
                if entry
                else None,
                baseline_duration_hours=entry.duration_hours if entry else None,
                duration_hours=task.duration_hours,
                duration_variance_hours=task.duration_hours - entry.duration_hours
                if entry
                else None,
                baseline_cost=entry.cost if entry else None,
                cost=cost,
                cost_variance=(cost - entry.cost) if entry else None,
                status="" if entry else "added",
            )
        )
    rows.extend(
        VarianceRow(
            task_id=None, wbs_code=entry.wbs_code, name=entry.name, summary=False,
            baseline_start=entry.start, start=None, start_variance_hours=None,
            baseline_finish=entry.finish, finish=None, finish_variance_hours=None,
            baseline_duration_hours=entry.duration_hours, duration_hours=None,
            duration_variance_hours=None, baseline_cost=entry.cost, cost=None,
            cost_variance=None, status="removed",
        )
        for entry in entries
        if entry.task_id is None
    )  # fmt: skip
    # Totals over the top level only: summaries already hold their subtasks' cost.
    top = {t.pk for t in tasks if t.parent_id is None}
    baseline_cost = sum(
        (
            e.cost
            for e in entries
            if e.task_id in top or (e.task_id is None and "." not in e.wbs_code)
        ),
        Decimal(0),
    )
    cost = sum((money.get(pk, (Decimal(0), Decimal(0)))[1] for pk in top), Decimal(0))
    return Variance(
        baseline=baseline,
        rows=rows,
        baseline_finish=baseline.finish,
        finish=project.scheduled_finish,
        finish_variance_hours=_hours_between(
            axis, baseline.finish, project.scheduled_finish, finish=True
        ),
        baseline_cost=baseline_cost,
        cost=cost,
        cost_variance=cost - baseline_cost,
        late_tasks=sum(1 for r in rows if r.late and not r.summary),
    )
