"""PLAN.json: a project plan as one JSON document, and its schedule as another.

``load_plan(document)`` checks a parsed PLAN.json and turns it into engine inputs
(``LoadedPlan``: tasks, dependencies, resources, risks on the working-time axis, and the
calendar axis to convert back). ``schedule_document`` runs CPM (and leveling if asked)
and returns the output document. The format is described in full in ``docs/engine.md``.

Every error is a ``PlanError`` whose message starts with the path of the bad field,
e.g. ``tasks[3].duration_hours: must be >= 0``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np

from itpm.engine.calendar import DEFAULT_WORKING_HOURS, Calendar, ProjectAxis
from itpm.engine.cpm import Schedule, expand_summaries, schedule
from itpm.engine.errors import EngineError, PlanError
from itpm.engine.model import (
    CapacityChange,
    Constraint,
    ConstraintType,
    Dependency,
    DependencyType,
    Estimate,
    Resource,
    ResourceDemand,
    RiskEvent,
    Task,
)

_START_CONSTRAINTS = {ConstraintType.SNET, ConstraintType.SNLT, ConstraintType.MSO}


@dataclass(slots=True)
class LoadedPlan:
    """A PLAN.json document as engine inputs.

    Durations, lags and dates are axis units of ``axis`` (one working hour unless the
    calendar sets ``minutes_per_unit``). ``milestones`` holds the ids of tasks marked
    ``"milestone": true``. ``status`` is the status date on the axis, if one was given.
    """

    start: datetime
    calendar: Calendar
    axis: ProjectAxis
    tasks: list[Task]
    dependencies: list[Dependency]
    resources: list[Resource]
    risks: list[RiskEvent]
    milestones: set[str] = field(default_factory=set)
    status: int | None = None

    def hours(self, units: float) -> float | int:
        """Axis units as working hours (an int when whole)."""
        value = units * self.axis.unit / 60
        return int(value) if float(value).is_integer() else round(value, 4)

    def units(self, hours: float) -> int:
        """Working hours as whole axis units (rounded to the nearest unit)."""
        return round(hours * 60 / self.axis.unit)


# Field readers ---------------------------------------------------------------------


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PlanError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise PlanError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _number(value: Any, where: str, *, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PlanError(f"{where}: expected a number, got {value!r}")
    if minimum is not None and value < minimum:
        raise PlanError(f"{where}: must be >= {minimum:g}")
    return float(value)


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise PlanError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise PlanError(f"{where}: expected true or false, got {value!r}")
    return value


def _date(value: Any, where: str) -> date:
    if not isinstance(value, str):
        raise PlanError(f"{where}: expected a date like '2027-01-18', got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PlanError(f"{where}: expected a date like '2027-01-18', got {value!r}") from None


def _datetime(value: Any, where: str, calendar: Calendar, *, finish: bool = False) -> datetime:
    """An ISO date or datetime; naive ones are in the calendar's zone.

    A bare date means the start of that day, or for a finish its end (midnight after).
    """
    if not isinstance(value, str):
        raise PlanError(f"{where}: expected an ISO date-time, got {value!r}")
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1 if finish else 0), time())
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise PlanError(
            f"{where}: expected an ISO date-time like '2027-01-04T09:00:00', got {value!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.zone)
    return moment


def _load_calendar(raw: Any) -> Calendar:
    spec = _object(raw if raw is not None else {}, "calendar")
    days = _list(
        spec.get("working_days", ["mon", "tue", "wed", "thu", "fri"]), "calendar.working_days"
    )
    hours = _list(spec.get("working_hours", list(DEFAULT_WORKING_HOURS)), "calendar.working_hours")
    holidays = [
        _date(value, f"calendar.holidays[{i}]")
        for i, value in enumerate(_list(spec.get("holidays", []), "calendar.holidays"))
    ]
    exceptions: dict[date, Sequence[Sequence[str]]] = {}
    for i, raw_exception in enumerate(_list(spec.get("exceptions", []), "calendar.exceptions")):
        where = f"calendar.exceptions[{i}]"
        exception = _object(raw_exception, where)
        day = _date(exception.get("date"), f"{where}.date")
        working = exception.get("working_hours", [])
        exceptions[day] = [
            tuple(pair)
            for pair in _list(working, f"{where}.working_hours")
            if isinstance(pair, list)
        ]
        if len(exceptions[day]) != len(working):
            raise PlanError(f"{where}.working_hours: expected [from, to] pairs")
    country = spec.get("country")
    subdivision = spec.get("subdivision", spec.get("region"))
    minutes_per_unit = spec.get("minutes_per_unit", 60)
    for key in ("working_days", "working_hours"):
        if key in spec and not spec[key] and key == "working_days":
            raise PlanError("calendar.working_days: needs at least one day")
    for i, day_name in enumerate(days):
        if not isinstance(day_name, str):
            raise PlanError(
                f"calendar.working_days[{i}]: expected a weekday name, got {day_name!r}"
            )
    if not isinstance(minutes_per_unit, int) or isinstance(minutes_per_unit, bool):
        raise PlanError("calendar.minutes_per_unit: expected a positive integer")
    try:
        return Calendar(
            working_days=[
                _weekday_checked(d, f"calendar.working_days[{i}]") for i, d in enumerate(days)
            ],
            working_hours=[_pair(p, f"calendar.working_hours[{i}]") for i, p in enumerate(hours)],
            holidays=holidays,
            country=None if country is None else _string(country, "calendar.country"),
            subdivision=None
            if subdivision is None
            else _string(subdivision, "calendar.subdivision"),
            exceptions=exceptions,
            timezone=_string(spec.get("timezone", "UTC"), "calendar.timezone"),
            minutes_per_unit=minutes_per_unit,
        )
    except PlanError as exc:
        message = str(exc)
        raise PlanError(
            message if message.startswith("calendar") else f"calendar.{message}"
        ) from None


def _weekday_checked(value: str, where: str) -> str:
    from itpm.engine.calendar import parse_weekday

    parse_weekday(value, where=where)
    return value


def _pair(value: Any, where: str) -> tuple[str, str]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, str) for v in value)
    ):
        raise PlanError(f'{where}: expected ["HH:MM", "HH:MM"], got {value!r}')
    return value[0], value[1]


def load_plan(document: Any, *, status_date: str | None = None) -> LoadedPlan:
    """Check a parsed PLAN.json and build the engine inputs.

    Defaults: calendar Monday-Friday 08:00-12:00 and 13:00-17:00 (MS Project's Standard
    calendar) in UTC; dependency type FS, lag 0; constraint ASAP; resource capacity 1,
    demand units 1. ``status_date`` (ISO) sets ``LoadedPlan.status``. Raises ``PlanError``
    naming the field path of the first problem found.
    """
    plan = _object(document, "plan")
    calendar = _load_calendar(plan.get("calendar"))
    if "start" not in plan:
        raise PlanError("start: required (the project start, e.g. '2027-01-04T09:00:00')")
    start = _datetime(plan["start"], "start", calendar)
    axis = calendar.axis(start)
    loaded = LoadedPlan(
        start=axis.start,
        calendar=calendar,
        axis=axis,
        tasks=[],
        dependencies=[],
        resources=[],
        risks=[],
    )
    if status_date is not None:
        loaded.status = axis.to_axis(_datetime(status_date, "status_date", calendar))
    raw_tasks = _list(plan.get("tasks"), "tasks") if "tasks" in plan else None
    if raw_tasks is None:
        raise PlanError("tasks: required (a list of tasks)")
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_tasks):
        task = _load_task(_object(raw, f"tasks[{i}]"), f"tasks[{i}]", loaded)
        if task.id in seen:
            raise PlanError(
                f"tasks[{i}].id: duplicate task id {task.id!r} (also tasks[{seen[task.id]}])"
            )
        seen[task.id] = i
        loaded.tasks.append(task)
    for i, task in enumerate(loaded.tasks):
        if task.parent is not None and task.parent not in seen:
            raise PlanError(f"tasks[{i}].parent: unknown task id {task.parent!r}")
    for i, raw in enumerate(_list(plan.get("dependencies", []), "dependencies")):
        where = f"dependencies[{i}]"
        spec = _object(raw, where)
        ends: list[str] = []
        for key in ("predecessor", "successor"):
            task_id = _string(spec.get(key), f"{where}.{key}")
            if task_id not in seen:
                raise PlanError(f"{where}.{key}: unknown task id {task_id!r}")
            ends.append(task_id)
        kind = spec.get("type", "FS")
        if kind not in DependencyType.__members__:
            raise PlanError(f"{where}.type: expected FS, SS, FF or SF, got {kind!r}")
        lag = _number(spec.get("lag_hours", 0), f"{where}.lag_hours")
        loaded.dependencies.append(
            Dependency(ends[0], ends[1], DependencyType(kind), loaded.units(lag))
        )
    resource_ids: set[str] = set()
    for i, raw in enumerate(_list(plan.get("resources", []), "resources")):
        resource = _load_resource(_object(raw, f"resources[{i}]"), f"resources[{i}]", loaded)
        if resource.id in resource_ids:
            raise PlanError(f"resources[{i}].id: duplicate resource id {resource.id!r}")
        resource_ids.add(resource.id)
        loaded.resources.append(resource)
    for i, task in enumerate(loaded.tasks):
        for k, demand in enumerate(task.demands):
            if demand.resource not in resource_ids:
                raise PlanError(
                    f"tasks[{i}].resources[{k}].id: unknown resource id {demand.resource!r}"
                )
    for i, raw in enumerate(_list(plan.get("risks", []), "risks")):
        where = f"risks[{i}]"
        spec = _object(raw, where)
        probability = _number(spec.get("probability"), f"{where}.probability", minimum=0)
        if probability > 1:
            raise PlanError(f"{where}.probability: must be between 0 and 1")
        risk_task = spec.get("task")
        if risk_task is not None and _string(risk_task, f"{where}.task") not in seen:
            raise PlanError(f"{where}.task: unknown task id {risk_task!r}")
        loaded.risks.append(
            RiskEvent(
                id=_string(spec.get("id"), f"{where}.id"),
                probability=probability,
                task=risk_task,
                delay=_number(spec.get("delay_hours", 0), f"{where}.delay_hours", minimum=0)
                * 60
                / axis.unit,
                cost=_number(spec.get("cost", 0), f"{where}.cost", minimum=0),
            )
        )
    return loaded


def _load_task(spec: Mapping[str, Any], where: str, loaded: LoadedPlan) -> Task:
    calendar, axis = loaded.calendar, loaded.axis
    task_id = _string(spec.get("id"), f"{where}.id")
    if "duration_hours" not in spec:
        raise PlanError(f"{where}.duration_hours: required")
    duration = loaded.units(_number(spec["duration_hours"], f"{where}.duration_hours", minimum=0))
    milestone = _bool(spec.get("milestone", False), f"{where}.milestone")
    if milestone:
        loaded.milestones.add(task_id)
    parent = spec.get("parent")
    if parent is not None:
        parent = _string(parent, f"{where}.parent")
    constraint = Constraint()
    if spec.get("constraint") is not None:
        raw = _object(spec["constraint"], f"{where}.constraint")
        kind = raw.get("type", "ASAP")
        if kind not in ConstraintType.__members__:
            raise PlanError(
                f"{where}.constraint.type: expected one of {', '.join(ConstraintType)}, got {kind!r}"
            )
        constraint_type = ConstraintType(kind)
        at: int | None = None
        if constraint_type not in (ConstraintType.ASAP, ConstraintType.ALAP):
            if raw.get("date") is None:
                raise PlanError(f"{where}.constraint.date: required for {kind}")
            finish = constraint_type not in _START_CONSTRAINTS
            moment = _datetime(raw["date"], f"{where}.constraint.date", calendar, finish=finish)
            at = axis.to_axis(moment, finish=finish)
        constraint = Constraint(constraint_type, at)
    deadline = None
    if spec.get("deadline") is not None:
        deadline = axis.to_axis(
            _datetime(spec["deadline"], f"{where}.deadline", calendar, finish=True), finish=True
        )
    estimate = None
    if spec.get("estimate") is not None:
        raw_estimate = _object(spec["estimate"], f"{where}.estimate")
        values = [
            _number(raw_estimate.get(f"{key}_hours"), f"{where}.estimate.{key}_hours", minimum=0)
            * 60
            / axis.unit
            for key in ("optimistic", "most_likely", "pessimistic")
        ]
        if not values[0] <= values[1] <= values[2]:
            raise PlanError(f"{where}.estimate: needs optimistic <= most_likely <= pessimistic")
        estimate = Estimate(*values)
    demands: list[ResourceDemand] = []
    for k, raw_demand in enumerate(_list(spec.get("resources", []), f"{where}.resources")):
        demand = _object(raw_demand, f"{where}.resources[{k}]")
        demands.append(
            ResourceDemand(
                resource=_string(demand.get("id"), f"{where}.resources[{k}].id"),
                units=_number(demand.get("units", 1), f"{where}.resources[{k}].units", minimum=0),
            )
        )
    priority = spec.get("priority", 500)
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 1000:
        raise PlanError(f"{where}.priority: expected an integer 0..1000")
    actual_start = actual_finish = remaining = None
    if spec.get("actual_start") is not None:
        actual_start = axis.to_axis(
            _datetime(spec["actual_start"], f"{where}.actual_start", calendar)
        )
    if spec.get("actual_finish") is not None:
        actual_finish = axis.to_axis(
            _datetime(spec["actual_finish"], f"{where}.actual_finish", calendar, finish=True),
            finish=True,
        )
    percent = spec.get("percent_complete")
    if percent is not None:
        percent = _number(percent, f"{where}.percent_complete", minimum=0)
        if percent > 100:
            raise PlanError(f"{where}.percent_complete: must be between 0 and 100")
        if percent > 0 and actual_start is None:
            raise PlanError(f"{where}.actual_start: required when percent_complete > 0")
        if percent >= 100 and actual_finish is None and actual_start is not None:
            actual_finish = actual_start + duration
        elif 0 < percent < 100:
            remaining = round(duration * (100 - percent) / 100)
    if spec.get("remaining_hours") is not None:
        remaining = loaded.units(
            _number(spec["remaining_hours"], f"{where}.remaining_hours", minimum=0)
        )
        if actual_start is None:
            raise PlanError(f"{where}.actual_start: required with remaining_hours")
    if actual_finish is not None and actual_start is not None and actual_finish < actual_start:
        raise PlanError(f"{where}.actual_finish: is before actual_start")
    return Task(
        id=task_id,
        duration=duration,
        milestone=milestone,
        parent=parent,
        constraint=constraint,
        deadline=deadline,
        priority=priority,
        demands=tuple(demands),
        estimate=estimate,
        actual_start=actual_start,
        actual_finish=actual_finish,
        remaining=remaining,
    )


def _load_resource(spec: Mapping[str, Any], where: str, loaded: LoadedPlan) -> Resource:
    from itpm.engine.calendar import resource_capacity_changes

    resource_id = _string(spec.get("id"), f"{where}.id")
    capacity = _number(spec.get("capacity", 1), f"{where}.capacity", minimum=0)
    vacations: list[tuple[date, date]] = []
    for k, raw in enumerate(_list(spec.get("vacations", []), f"{where}.vacations")):
        if not isinstance(raw, list) or len(raw) != 2:
            raise PlanError(f"{where}.vacations[{k}]: expected [first_day, last_day]")
        first = _date(raw[0], f"{where}.vacations[{k}][0]")
        last = _date(raw[1], f"{where}.vacations[{k}][1]")
        if last < first:
            raise PlanError(f"{where}.vacations[{k}]: {last} is before {first}")
        vacations.append((first, last))
    part_time = spec.get("part_time")
    if part_time is not None:
        part_time = _number(part_time, f"{where}.part_time", minimum=0)
        if part_time > 1:
            raise PlanError(f"{where}.part_time: must be between 0 and 1")
    changes: tuple[CapacityChange, ...] = ()
    if vacations or part_time is not None:
        changes = resource_capacity_changes(
            loaded.axis, capacity=capacity, vacations=vacations, part_time=part_time
        )
    return Resource(id=resource_id, capacity=capacity, changes=changes)


# Scheduling ------------------------------------------------------------------------


def schedule_document(
    document: Any, *, level: bool = False, status_date: str | None = None
) -> dict[str, Any]:
    """Schedule a PLAN.json document; return the output document (see docs/engine.md).

    With ``level``, resources are leveled first (``itpm.engine.leveling``) and every task
    is then held to start no earlier than its leveled start, so the dates, floats and
    critical path describe the leveled plan.
    """
    loaded = load_plan(document, status_date=status_date)
    tasks = loaded.tasks
    leveling: dict[str, Any] | None = None
    if level:
        try:
            from itpm.engine.leveling import level as level_tasks
        except ImportError:  # pragma: no cover - the module ships with the engine
            raise EngineError("leveling not available") from None
        leaves, links = expand_summaries(tasks, loaded.dependencies)
        result = level_tasks(leaves, links, loaded.resources)
        held = {
            task_id: start for task_id, start in result.start.items() if task_id in result.moved
        }
        tasks = [
            replace(task, constraint=Constraint(ConstraintType.SNET, held[task.id]))
            if task.id in held and task.actual_start is None and task.actual_finish is None
            else task
            for task in tasks
        ]
        leveling = {
            "method": result.method,
            "makespan_hours": loaded.hours(result.makespan),
            "moved_hours": {
                task_id: loaded.hours(delay) for task_id, delay in result.moved.items()
            },
        }
    result_schedule = schedule(tasks, loaded.dependencies, status=loaded.status)
    output = render_schedule(loaded, result_schedule)
    if leveling is not None:
        output["leveling"] = leveling
    return output


def render_schedule(loaded: LoadedPlan, result: Schedule) -> dict[str, Any]:
    """The output document for a computed schedule (dates in ISO with their offset)."""
    axis = loaded.axis
    zero_span = result.early_start == result.early_finish
    # A milestone sits at the end of whatever precedes it: print it with finish semantics.
    as_finish = zero_span & (result.early_start > 0)
    early_start = _iso(axis, result.early_start, as_finish)
    late_as_finish = zero_span & (result.late_start > 0)
    late_start = _iso(axis, result.late_start, late_as_finish)
    early_finish = _iso(axis, result.early_finish, result.early_finish > 0)
    late_finish = _iso(axis, result.late_finish, result.late_finish > 0)
    hours = axis.unit / 60
    tasks: dict[str, Any] = {}
    milestones = loaded.milestones
    for i, task_id in enumerate(result.ids):
        tasks[task_id] = {
            "early_start": early_start[i],
            "early_finish": early_finish[i],
            "late_start": late_start[i],
            "late_finish": late_finish[i],
            "early_start_hours": _h(result.early_start[i], hours),
            "early_finish_hours": _h(result.early_finish[i], hours),
            "late_start_hours": _h(result.late_start[i], hours),
            "late_finish_hours": _h(result.late_finish[i], hours),
            "total_float_hours": _h(result.total_float[i], hours),
            "free_float_hours": _h(result.free_float[i], hours),
            "critical": bool(result.critical[i]),
            "summary": bool(result.summary[i]),
            "milestone": task_id in milestones,
        }
    output: dict[str, Any] = {
        "start": axis.start.isoformat(),
        "finish": axis.to_datetime(
            result.project_finish, finish=result.project_finish > 0
        ).isoformat(),
        "duration_hours": _h(result.project_finish, hours),
        "critical_path": result.critical_path,
        "tasks": tasks,
    }
    if loaded.status is not None:
        output["status_date"] = axis.to_datetime(loaded.status).isoformat()
    return output


def _h(units: Any, hours_per_unit: float) -> int | float:
    value = int(units) * hours_per_unit
    return int(value) if value.is_integer() else round(value, 4)


def _iso(axis: ProjectAxis, positions: Any, finish_mask: Any) -> list[str]:
    """ISO strings of ``positions``: finish semantics where ``finish_mask`` is true."""
    starts = axis.to_datetimes(positions)
    finishes = axis.to_datetimes(positions, finish=True)
    mask = np.asarray(finish_mask, dtype=np.bool_).tolist()
    return [(f if m else s).isoformat() for s, f, m in zip(starts, finishes, mask, strict=True)]


# Monte Carlo forecast --------------------------------------------------------------
# (Maintained with itpm/engine/montecarlo.py; everything above is the schedule's.)


def forecast_document(
    document: Any,
    *,
    iterations: int,
    seed: int | None,
    target_date: str | None,
    distribution: str = "pert",
    status_date: str | None = None,
) -> dict[str, Any]:
    """Monte Carlo forecast of a PLAN.json document; return the output document.

    Tasks with an ``estimate`` get sampled durations (PERT-beta by default), risks add
    their delays, and the result gives the P10/P50/P80/P95 finish as dates (each rounded
    up to the next working minute) and in working hours from the start, the chance to
    finish by ``target_date`` (a date means the end of that day), the criticality index of
    every task, a histogram of the finish in hours, the cost percentiles when risks carry a
    cost, and the deterministic CPM finish for comparison. With ``status_date``, progress
    is read as ``schedule_document`` reads it. See docs/engine.md.
    """
    from itpm.engine.montecarlo import forecast

    if distribution not in ("pert", "triangular"):
        raise PlanError(f"distribution: expected pert or triangular, got {distribution!r}")
    loaded = load_plan(document, status_date=status_date)
    axis = loaded.axis
    target = None
    if target_date is not None:
        moment = _datetime(target_date, "target_date", loaded.calendar, finish=True)
        target = axis.to_axis(moment, finish=True)
    result = forecast(
        loaded.tasks,
        loaded.dependencies,
        iterations=iterations,
        seed=seed,
        risks=loaded.risks,
        distribution="pert" if distribution == "pert" else "triangular",
        target=target,
        status=loaded.status,
    )
    deterministic = schedule(loaded.tasks, loaded.dependencies, status=loaded.status)

    def when(position: float) -> str:
        minute = axis.origin_minute + math.ceil(position * axis.unit - 1e-9)
        return axis.calendar.moment(minute, finish=position > 0).isoformat()

    def hours(position: float) -> float:
        return round(position * axis.unit / 60, 4)

    labels = {f"p{p}": value for p, value in result.finish_percentiles.items()}
    output: dict[str, Any] = {
        "iterations": iterations,
        "seed": seed,
        "distribution": distribution,
        "start": axis.start.isoformat(),
        "finish": {
            **{label: when(value) for label, value in labels.items()},
            "mean": when(result.mean_finish),
            "mean_hours": hours(result.mean_finish),
            "stdev_hours": hours(result.stdev_finish),
        },
        "finish_hours": {
            **{label: hours(value) for label, value in labels.items()},
            "mean": hours(result.mean_finish),
            "stdev": hours(result.stdev_finish),
        },
        "target_date": None
        if target is None
        else axis.to_datetime(target, finish=True).isoformat(),
        "probability_on_time": result.probability_on_time,
        "criticality": {task.id: result.criticality[task.id] for task in loaded.tasks},
        "histogram": {
            "bin_edges_hours": [hours(edge) for edge in result.histogram_edges],
            "counts": result.histogram_counts,
        },
        "deterministic_finish": axis.to_datetime(
            deterministic.project_finish, finish=deterministic.project_finish > 0
        ).isoformat(),
        "deterministic_finish_hours": _h(deterministic.project_finish, axis.unit / 60),
    }
    if result.cost_percentiles is not None and result.mean_cost is not None:
        output["cost"] = {
            **{f"p{p}": round(value, 2) for p, value in result.cost_percentiles.items()},
            "mean": round(result.mean_cost, 2),
        }
    return output
