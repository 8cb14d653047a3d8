"""Use cases of calendars, resources, assignments, baselines and resource leveling.

Every function makes one complete change in one transaction: permission, validation, the
write, the version bump and the audit event; a change to what the schedule reads
(a project's calendar, its exceptions, assignments, leveling) reschedules in the same
transaction.

Who may do what (decided here, documented in docs/resources-and-leveling.md):

- A calendar that belongs to a project is edited by that project's managers and owners; a
  shared calendar (no project) by site admins.
- Resources are organisation-wide: site admins and managers/owners of any (unarchived)
  project create and edit them. A person may record their own absences.
- Assignments are plan edits: project members and up.
- Baselines and leveling (apply, clear) change the plan of record: managers and up.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

import holidays as holidays_package
import numpy as np
from django.db import models, transaction
from django.utils import timezone

from itpm.accounts.models import Membership, Role, Team, User
from itpm.accounts.permissions import is_admin, require_role, visible_projects
from itpm.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from itpm.core.services import apply_changes, audit, check_version, json_value, save_versioned
from itpm.engine import cpm
from itpm.engine.calendar import ProjectAxis, parse_hours
from itpm.engine.errors import EngineError
from itpm.engine.leveling import level
from itpm.engine.model import CapacityChange, Constraint, ConstraintType, ResourceDemand
from itpm.engine.model import Dependency as EngineDependency
from itpm.engine.model import DependencyType as EngineDependencyType
from itpm.engine.model import Resource as EngineResource
from itpm.engine.model import Task as EngineTask
from itpm.planning.durations import axis_minutes
from itpm.planning.models import (
    Assignment,
    Baseline,
    BaselineTask,
    CalendarException,
    LevelingRun,
    LevelingRunStatus,
    Resource,
    ResourceAbsence,
    ResourceKind,
    ResourceRate,
    Task,
    TaskStatus,
    WorkCalendar,
)
from itpm.planning.scheduling import (
    DEFAULT_WORKING_DAYS,
    DEFAULT_WORKING_HOURS,
    _engine_task,
    engine_calendar,
    own_time_tasks,
    project_axis,
    project_reschedule,
)
from itpm.portfolio.models import Project

MAX_UNITS = Decimal("100")
MAX_CAPACITY = Decimal("1000")
SOLVERS = ("heuristic", "exact")
MAX_TIME_LIMIT = 120.0
# Tasks that no longer take anyone's time: they are left where they are by leveling.
FINISHED = (TaskStatus.DONE, TaskStatus.CANCELLED)


def leveling_can_move(task: Task) -> bool:
    """Whether leveling may delay the task: not finished and not started.

    A task has started when it has an actual start, is in progress or has any progress
    reported (a status or percentage set without an actual start still means work began).
    """
    return (
        task.status not in FINISHED
        and task.status != TaskStatus.IN_PROGRESS
        and task.actual_start is None
        and not task.percent_complete
    )


# ====================================================================== permissions
def _require_calendar_editor(actor: User, calendar_project: Project | None) -> None:
    if calendar_project is None:
        if not is_admin(actor):
            raise Forbidden("shared calendars are edited by site admins")
        return
    require_role(actor, calendar_project, Role.MANAGER)


def can_manage_resources(user: Any) -> bool:
    """Site admins, and managers or owners of any unarchived project."""
    if is_admin(user):
        return True
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return Membership.objects.filter(
        user=user, role__in=(Role.MANAGER, Role.OWNER), project__archived=False
    ).exists()


def _require_resource_manager(actor: User) -> None:
    if not can_manage_resources(actor):
        raise Forbidden("resources are managed by site admins and project managers")


# ====================================================================== calendars
CALENDAR_FIELDS = ("name", "working_days", "working_hours", "country", "subdivision", "timezone")


def _validate_calendar(data: dict[str, Any]) -> dict[str, Any]:
    """Normalized calendar fields, or Invalid naming every bad one."""
    errors: list[FieldError] = []
    clean = dict(data)
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name or len(name) > 120:
            errors.append(FieldError("name", "must be 1 to 120 characters"))
        clean["name"] = name
    if "working_days" in data:
        days = data["working_days"]
        if (
            not isinstance(days, list)
            or not days
            or any(not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in days)
        ):
            errors.append(
                FieldError("working_days", "a non-empty list of weekdays 0 (Monday) to 6 (Sunday)")
            )
        else:
            clean["working_days"] = sorted(set(days))
    if "working_hours" in data:
        try:
            periods = parse_hours(data["working_hours"] or [], where="working_hours")
            if not periods:
                raise EngineError("working_hours: give at least one period, e.g. 09:00-17:00")
            clean["working_hours"] = [
                [f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"] for a, b in periods
            ]
        except (EngineError, TypeError, ValueError) as exc:
            errors.append(FieldError("working_hours", str(exc).removeprefix("working_hours: ")))
    country = (data.get("country") or "").strip().upper()
    subdivision = (data.get("subdivision") or "").strip().upper()
    if "country" in data:
        clean["country"] = country
    if "subdivision" in data:
        clean["subdivision"] = subdivision
    if country:
        try:
            holidays_package.country_holidays(country, subdiv=subdivision or None)
        except NotImplementedError:
            if subdivision:
                errors.append(
                    FieldError(
                        "subdivision", f"no public holidays known for {country}/{subdivision}"
                    )
                )
            else:
                errors.append(FieldError("country", f"no public holidays known for {country!r}"))
    elif subdivision and "subdivision" in data:
        errors.append(FieldError("subdivision", "needs a country"))
    if "timezone" in data:
        zone = str(data["timezone"] or "")
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors.append(FieldError("timezone", f"unknown time zone {zone!r}"))
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    return clean


def _check_has_working_time(calendar: WorkCalendar) -> None:
    engine_calendar(calendar)  # raises Invalid("calendar: ...") for no working time


def _reschedule_calendar_users(calendar: WorkCalendar) -> None:
    """Projects that schedule on the calendar, or whose tasks are done by resources on it."""
    staffed = Assignment.objects.filter(resource__calendar=calendar).values("project_id")
    for project in Project.objects.filter(
        models.Q(calendar=calendar) | models.Q(pk__in=staffed), archived=False
    ).select_related("calendar"):
        project_reschedule(project)


def calendar_create(
    *,
    actor: User,
    name: str,
    project: Project | None = None,
    working_days: list[int] | None = None,
    working_hours: list[list[str]] | None = None,
    country: str = "",
    subdivision: str = "",
    timezone: str = "UTC",
    use_for_project: bool = True,
) -> WorkCalendar:
    """A new calendar. With ``project`` (and ``use_for_project``) the project schedules on it."""
    _require_calendar_editor(actor, project)
    data = _validate_calendar({
        # None means "the default"; an empty list is a mistake and is reported as one.
        "name": name,
        "working_days": list(DEFAULT_WORKING_DAYS) if working_days is None else working_days,
        "working_hours": DEFAULT_WORKING_HOURS if working_hours is None else working_hours,
        "country": country,
        "subdivision": subdivision, "timezone": timezone,
    })  # fmt: skip
    with transaction.atomic():
        calendar = WorkCalendar.objects.create(project=project, **data)
        _check_has_working_time(calendar)
        audit(
            actor=actor,
            action="calendar.create",
            obj=calendar,
            project=project,
            changes={k: [None, json_value(v)] for k, v in data.items()},
        )
        if project is not None and use_for_project:
            _set_project_calendar(actor, project, calendar)
    return calendar


def _set_project_calendar(actor: User, project: Project, calendar: WorkCalendar | None) -> None:
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.calendar_id == (calendar.pk if calendar else None):
        return
    before = str(locked.calendar) if locked.calendar_id else None
    locked.calendar = calendar
    save_versioned(locked, ["calendar"])
    project.calendar = calendar
    project.version = locked.version
    audit(
        actor=actor,
        action="project.update",
        obj=locked,
        project=locked,
        changes={"calendar": [before, str(calendar) if calendar else None]},
    )
    project_reschedule(locked)


def project_calendar_set(*, actor: User, project: Project, calendar: WorkCalendar | None) -> None:
    """Schedule ``project`` on ``calendar`` (None: the default working week)."""
    require_role(actor, project, Role.MANAGER)
    if calendar is not None and calendar.project_id not in (None, project.pk):
        raise Invalid.field("calendar", "must be a shared calendar or one of this project")
    with transaction.atomic():
        _set_project_calendar(actor, project, calendar)


def calendar_update(
    *, actor: User, calendar: WorkCalendar, version: int | None, data: dict[str, Any]
) -> WorkCalendar:
    unknown = set(data) - set(CALENDAR_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    _require_calendar_editor(actor, calendar.project)
    data = _validate_calendar(data)
    with transaction.atomic():
        calendar = WorkCalendar.objects.select_for_update().get(pk=calendar.pk)
        check_version(calendar, version)
        changes = apply_changes(calendar, data)
        if changes:
            _check_has_working_time(calendar)
            save_versioned(calendar, list(changes))
            audit(
                actor=actor,
                action="calendar.update",
                obj=calendar,
                project=calendar.project,
                changes=changes,
            )
            _reschedule_calendar_users(calendar)
    return calendar


def calendar_exception_add(
    *,
    actor: User,
    calendar: WorkCalendar,
    date: dt.date,
    name: str = "",
    working: bool = False,
    working_hours: list[list[str]] | None = None,
) -> CalendarException:
    """A day off (holiday, shutdown) or an extra working day; replaces one on the same date."""
    _require_calendar_editor(actor, calendar.project)
    name = (name or "").strip()
    if len(name) > 120:
        raise Invalid.field("name", "at most 120 characters")
    hours: list[list[str]] = []
    if working and working_hours:
        hours = _validate_calendar({"working_hours": working_hours})["working_hours"]
    if not working and working_hours:
        raise Invalid.field("working_hours", "only a working day has working hours")
    with transaction.atomic():
        locked = WorkCalendar.objects.select_for_update().get(pk=calendar.pk)
        previous = CalendarException.objects.filter(calendar=locked, date=date).first()
        before = (
            {"name": previous.name, "working": previous.working, "hours": previous.working_hours}
            if previous
            else None
        )
        exception, _ = CalendarException.objects.update_or_create(
            calendar=locked,
            date=date,
            defaults={"name": name, "working": working, "working_hours": hours},
        )
        _check_has_working_time(locked)
        save_versioned(locked, [])
        audit(
            actor=actor,
            action="calendar.exception_add",
            obj=locked,
            project=locked.project,
            changes={
                date.isoformat(): [before, {"name": name, "working": working, "hours": hours}]
            },
        )
        _reschedule_calendar_users(locked)
    calendar.version = locked.version
    return exception


def calendar_exception_remove(*, actor: User, calendar: WorkCalendar, date: dt.date) -> None:
    _require_calendar_editor(actor, calendar.project)
    with transaction.atomic():
        locked = WorkCalendar.objects.select_for_update().get(pk=calendar.pk)
        exception = CalendarException.objects.filter(calendar=locked, date=date).first()
        if exception is None:
            raise NotFound(f"no exception on {date.isoformat()}")
        before = {"name": exception.name, "working": exception.working}
        exception.delete()
        _check_has_working_time(locked)
        save_versioned(locked, [])
        audit(
            actor=actor,
            action="calendar.exception_remove",
            obj=locked,
            project=locked.project,
            changes={date.isoformat(): [before, None]},
        )
        _reschedule_calendar_users(locked)
    calendar.version = locked.version


# ====================================================================== resources
RESOURCE_FIELDS = (
    "name", "kind", "user", "team", "capacity", "calendar", "cost_rate", "currency", "active",
)  # fmt: skip


def parse_decimal(value: Any, field: str) -> Decimal:
    """A finite Decimal from user input, or Invalid naming ``field``."""
    return _decimal(value, field)


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid.field(field, "must be a number") from None
    if not number.is_finite():
        raise Invalid.field(field, "must be a number")
    return number


def _validate_resource(data: dict[str, Any], resource: Resource | None = None) -> dict[str, Any]:
    clean = dict(data)
    errors: list[FieldError] = []
    if "name" in data:
        clean["name"] = str(data["name"] or "").strip()
        if not clean["name"] or len(clean["name"]) > 120:
            errors.append(FieldError("name", "must be 1 to 120 characters"))
    if "kind" in data and data["kind"] not in ResourceKind.values:
        errors.append(FieldError("kind", f"must be one of {', '.join(ResourceKind.values)}"))
    if "capacity" in data:
        capacity = _decimal(data["capacity"], "capacity")
        if not Decimal("0.01") <= capacity <= MAX_CAPACITY:
            errors.append(FieldError("capacity", f"must be from 0.01 to {MAX_CAPACITY}"))
        clean["capacity"] = capacity.quantize(Decimal("0.01"))
    if "cost_rate" in data:
        rate = _decimal(data["cost_rate"], "cost_rate")
        if not Decimal(0) <= rate < Decimal(10) ** 10:
            errors.append(FieldError("cost_rate", "must be 0 or more"))
        clean["cost_rate"] = rate.quantize(Decimal("0.01"))
    if "currency" in data:
        currency = str(data["currency"] or "").upper()
        if len(currency) != 3 or not currency.isalpha():
            errors.append(FieldError("currency", "an ISO 4217 code such as USD"))
        clean["currency"] = currency
    user = data.get("user")
    if user is not None:
        taken = Resource.objects.filter(user=user)
        if resource is not None:
            taken = taken.exclude(pk=resource.pk)
        if taken.exists():
            errors.append(FieldError("user", f"{user.username} is a resource already"))
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    return clean


def resource_create(
    *,
    actor: User,
    name: str,
    kind: str = ResourceKind.PERSON,
    user: User | None = None,
    team: Team | None = None,
    capacity: Decimal | float | int = 1,
    calendar: WorkCalendar | None = None,
    cost_rate: Decimal | float | int = 0,
    currency: str = "USD",
    active: bool = True,
) -> Resource:
    _require_resource_manager(actor)
    data = _validate_resource({
        "name": name, "kind": kind, "user": user, "team": team, "capacity": capacity,
        "calendar": calendar, "cost_rate": cost_rate, "currency": currency, "active": active,
    })  # fmt: skip
    with transaction.atomic():
        resource = Resource.objects.create(**data)
        audit(
            actor=actor,
            action="resource.create",
            obj=resource,
            changes={k: [None, json_value(v)] for k, v in data.items() if v not in (None, "")},
        )
    return resource


def _reschedule_projects_of(resource: Resource) -> None:
    project_ids = set(resource.assignments.values_list("project_id", flat=True))
    for project in Project.objects.filter(pk__in=project_ids, archived=False):
        project_reschedule(project)


def resource_update(
    *, actor: User, resource: Resource, version: int | None, data: dict[str, Any]
) -> Resource:
    unknown = set(data) - set(RESOURCE_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    _require_resource_manager(actor)
    data = _validate_resource(data, resource)
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        check_version(resource, version)
        changes = apply_changes(resource, data)
        if changes:
            save_versioned(resource, list(changes))
            audit(actor=actor, action="resource.update", obj=resource, changes=changes)
            if "calendar" in changes:
                # Its tasks are scheduled on its calendar (scheduling.task_calendars).
                _reschedule_projects_of(resource)
    return resource


def _require_absence_editor(actor: User, resource: Resource) -> None:
    if resource.user_id is not None and resource.user_id == actor.pk:
        return  # a person records their own vacation
    _require_resource_manager(actor)


def absence_add(
    *, actor: User, resource: Resource, start: dt.date, finish: dt.date, reason: str = ""
) -> ResourceAbsence:
    """Vacation, training, sick leave: no capacity from ``start`` to ``finish`` inclusive."""
    _require_absence_editor(actor, resource)
    if finish < start:
        raise Invalid.field("finish", "must not be before start")
    if (finish - start).days > 366:
        raise Invalid.field("finish", "an absence is at most a year long")
    reason = (reason or "").strip()
    if len(reason) > 120:
        raise Invalid.field("reason", "at most 120 characters")
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        absence = ResourceAbsence.objects.create(
            resource=locked, start=start, finish=finish, reason=reason
        )
        save_versioned(locked, [])
        audit(
            actor=actor,
            action="resource.absence_add",
            obj=locked,
            changes={"absence": [None, f"{start.isoformat()}..{finish.isoformat()} {reason}"]},
        )
    return absence


def absence_remove(*, actor: User, absence: ResourceAbsence) -> None:
    resource = absence.resource
    _require_absence_editor(actor, resource)
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        text = f"{absence.start.isoformat()}..{absence.finish.isoformat()} {absence.reason}"
        absence.delete()
        save_versioned(locked, [])
        audit(
            actor=actor,
            action="resource.absence_remove",
            obj=locked,
            changes={"absence": [text, None]},
        )


def rate_set(
    *, actor: User, resource: Resource, valid_from: dt.date, rate: Decimal | float | int
) -> ResourceRate:
    """The cost rate per working hour from ``valid_from`` on (replaces one on that date).

    The resource's ``cost_rate`` follows the rate valid today.
    """
    _require_resource_manager(actor)
    amount = _decimal(rate, "rate")
    if amount < 0 or amount >= Decimal(10) ** 10:
        raise Invalid.field("rate", "must be 0 or more")
    amount = amount.quantize(Decimal("0.01"))
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        opening = locked.created_at.date()
        if valid_from > opening and not ResourceRate.objects.filter(resource=locked).exists():
            # The first dated rate starts in the future: the rate so far stays recorded from
            # the resource's creation, so earlier work keeps its cost (rate_at uses the
            # earliest rate before the first entry).
            ResourceRate.objects.create(resource=locked, valid_from=opening, rate=locked.cost_rate)
        previous = ResourceRate.objects.filter(resource=locked, valid_from=valid_from).first()
        entry, _ = ResourceRate.objects.update_or_create(
            resource=locked, valid_from=valid_from, defaults={"rate": amount}
        )
        changes: dict[str, Any] = {
            f"rate from {valid_from.isoformat()}": [
                str(previous.rate) if previous else None,
                str(amount),
            ]
        }
        today = timezone.localdate()
        current = (
            ResourceRate.objects.filter(resource=locked, valid_from__lte=today)
            .order_by("-valid_from")
            .first()
        )
        fields: list[str] = []
        if current is not None and current.rate != locked.cost_rate:
            changes.update(apply_changes(locked, {"cost_rate": current.rate}))
            fields.append("cost_rate")
        save_versioned(locked, fields)
        audit(actor=actor, action="resource.rate_set", obj=locked, changes=changes)
    return entry


# ====================================================================== assignments
def _validate_units(value: Any) -> Decimal:
    units = _decimal(value, "units")
    if not Decimal("0.01") <= units <= MAX_UNITS:
        raise Invalid.field("units", f"must be from 0.01 to {MAX_UNITS} (1 = full time)")
    return units.quantize(Decimal("0.01"))


def assignment_create(
    *, actor: User, task: Task, resource: Resource, units: Decimal | float | int = 1
) -> Assignment:
    """Put ``resource`` on ``task`` at ``units`` (1 = full time, 0.5 = half)."""
    project = task.project
    require_role(actor, project, Role.MEMBER)
    clean_units = _validate_units(units)
    if not resource.active:
        raise Invalid.field("resource", f"{resource.name} is inactive")
    if task.children.exists():
        raise Invalid.field("task", "assign resources to the subtasks of a summary task")
    if task.milestone:
        raise Invalid.field("task", "a milestone takes no work")
    if clean_units > resource.capacity:
        raise Invalid.field(
            "units", f"{resource.name} has only {resource.capacity} units (asked {clean_units})"
        )
    with transaction.atomic():
        if Assignment.objects.filter(task=task, resource=resource).exists():
            raise Conflict(f"{resource.name} is assigned to {task.wbs_code} {task.name} already")
        assignment = Assignment.objects.create(
            project=project, task=task, resource=resource, units=clean_units
        )
        audit(
            actor=actor,
            action="assignment.create",
            obj=assignment,
            project=project,
            changes={
                "task": [None, task.wbs_code],
                "resource": [None, resource.name],
                "units": [None, str(clean_units)],
            },
        )
        project_reschedule(project)
    return assignment


def assignment_update(
    *, actor: User, assignment: Assignment, version: int | None, data: dict[str, Any]
) -> Assignment:
    unknown = set(data) - {"units"}
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    project = assignment.project
    require_role(actor, project, Role.MEMBER)
    clean: dict[str, Any] = {}
    if "units" in data:
        clean["units"] = _validate_units(data["units"])
        if clean["units"] > assignment.resource.capacity:
            raise Invalid.field(
                "units", f"{assignment.resource.name} has only {assignment.resource.capacity} units"
            )
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update()
            .select_related("task", "resource", "project")
            .get(pk=assignment.pk)
        )
        check_version(assignment, version)
        changes = apply_changes(assignment, clean)
        if changes:
            save_versioned(assignment, list(changes))
            audit(
                actor=actor,
                action="assignment.update",
                obj=assignment,
                project=project,
                changes=changes,
            )
            project_reschedule(project)
    return assignment


def assignment_delete(*, actor: User, assignment: Assignment, version: int | None = None) -> None:
    project = assignment.project
    require_role(actor, project, Role.MEMBER)
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        check_version(locked, version)
        audit(
            actor=actor,
            action="assignment.delete",
            obj=assignment,
            project=project,
            changes={"assignment": [str(assignment), None]},
        )
        locked.delete()
        project_reschedule(project)


# ====================================================================== cost
def rate_at(resource: Resource, day: dt.date | None, rates: list[ResourceRate]) -> Decimal:
    """The resource's rate on ``day``: the latest rate valid by then, else its cost rate."""
    if day is None:
        return resource.cost_rate
    best: ResourceRate | None = None
    for entry in rates:
        if entry.valid_from <= day and (best is None or entry.valid_from > best.valid_from):
            best = entry
    if best is None:
        # Before the first recorded rate, the earliest one applies (it is the best guess).
        return min(rates, key=lambda r: r.valid_from).rate if rates else resource.cost_rate
    return best.rate


def task_work_and_cost(project: Project) -> dict[int, tuple[Decimal, Decimal]]:
    """Work hours and cost of every task (summaries roll up their subtasks).

    Work = duration hours x units of each assignment; cost = work x the resource's rate on
    the task's scheduled start day (rates over time, ``ResourceRate``).
    """
    tasks = list(
        Task.objects.filter(project=project)
        .order_by("wbs_sort")
        .values_list("id", "parent_id", "duration_hours", "planned_start")
    )
    rows = list(
        Assignment.objects.filter(project=project)
        .select_related("resource")
        .prefetch_related("resource__rates")
    )
    zone = _zone(project)
    by_task: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in rows:
        by_task[assignment.task_id].append(assignment)
    result: dict[int, tuple[Decimal, Decimal]] = {}
    parent_of: dict[int, int | None] = {}
    for task_id, parent_id, hours, start in tasks:
        parent_of[task_id] = parent_id
        work = Decimal(0)
        cost = Decimal(0)
        day = start.astimezone(zone).date() if start else None
        for assignment in by_task.get(task_id, ()):
            assignment_work = Decimal(hours) * assignment.units
            work += assignment_work
            rates = list(assignment.resource.rates.all())
            cost += assignment_work * rate_at(assignment.resource, day, rates)
        result[task_id] = (work, cost)
    has_children = {p for p in parent_of.values() if p is not None}
    for task_id in has_children:
        result[task_id] = (Decimal(0), Decimal(0))
    # Children come after their parent in WBS order: walk backwards to roll up.
    for task_id, parent_id, _hours, _start in reversed(tasks):
        if parent_id is not None:
            work, cost = result[task_id]
            parent_work, parent_cost = result[parent_id]
            result[parent_id] = (parent_work + work, parent_cost + cost)
    return {
        k: (w.quantize(Decimal("0.01")), c.quantize(Decimal("0.01")))
        for k, (w, c) in result.items()
    }


def _zone(project: Project) -> zoneinfo.ZoneInfo:
    return project.schedule_zone


# ====================================================================== baselines
def baseline_create(
    *, actor: User, project: Project, name: str, active: bool | None = None
) -> Baseline:
    """Snapshot every task's dates, duration, work and cost under ``name``.

    The first baseline of a project becomes the active one; ``active=True`` makes a later
    one active instead of the former.
    """
    require_role(actor, project, Role.MANAGER)
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise Invalid.field("name", "must be 1 to 120 characters")
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        if Baseline.objects.filter(project=project, name=name).exists():
            raise Conflict(f"a baseline called {name!r} exists already")
        has_active = Baseline.objects.filter(project=project, active=True).exists()
        make_active = (not has_active) if active is None else active
        if make_active:
            Baseline.objects.filter(project=project, active=True).update(active=False)
        project.refresh_from_db(fields=["scheduled_finish"])
        baseline = Baseline.objects.create(
            project=project,
            name=name,
            created_by=actor,
            active=make_active,
            finish=project.scheduled_finish,
        )
        money = task_work_and_cost(project)
        BaselineTask.objects.bulk_create(
            [
                BaselineTask(
                    baseline=baseline,
                    task_id=task.pk,
                    wbs_code=task.wbs_code,
                    name=task.name[:300],
                    start=task.planned_start,
                    finish=task.planned_finish,
                    duration_hours=task.duration_hours,
                    work_hours=money.get(task.pk, (Decimal(0), Decimal(0)))[0],
                    cost=money.get(task.pk, (Decimal(0), Decimal(0)))[1],
                )
                for task in Task.objects.filter(project=project).order_by("wbs_sort")
            ],
            batch_size=1000,
        )
        audit(
            actor=actor,
            action="baseline.create",
            obj=baseline,
            project=project,
            changes={"name": [None, name], "active": [None, make_active]},
        )
    return baseline


def baseline_set_active(*, actor: User, baseline: Baseline) -> Baseline:
    project = baseline.project
    require_role(actor, project, Role.MANAGER)
    with transaction.atomic():
        previous = Baseline.objects.filter(project=project, active=True).exclude(pk=baseline.pk)
        names = list(previous.values_list("name", flat=True))
        if baseline.active and not names:
            return baseline
        previous.update(active=False)
        Baseline.objects.filter(pk=baseline.pk).update(active=True)
        baseline.active = True
        audit(
            actor=actor,
            action="baseline.activate",
            obj=baseline,
            project=project,
            changes={"active baseline": [names[0] if names else None, baseline.name]},
        )
    return baseline


def baseline_delete(*, actor: User, baseline: Baseline) -> None:
    project = baseline.project
    require_role(actor, project, Role.MANAGER)
    with transaction.atomic():
        audit(
            actor=actor,
            action="baseline.delete",
            obj=baseline,
            project=project,
            changes={"name": [baseline.name, None]},
        )
        baseline.delete()


# ====================================================================== leveling
def _leveling_inputs(
    project: Project,
) -> tuple[list[Task], list[EngineTask], list[EngineDependency], list[EngineResource], ProjectAxis]:
    """The project's leaf tasks with their demands, links and resources for the engine.

    Leveling starts from the plan without any earlier leveling (``leveled_start`` ignored),
    so applying twice gives the same result. Each resource's capacity over time is its
    units, zero on absences, minus what its assignments in *other* projects take at their
    scheduled dates. A resource's own calendar (a night shift, a part-timer) is already in
    the span of its tasks, which are scheduled on it (``scheduling.task_calendars``).
    """
    rows = list(
        Task.objects.filter(project=project)
        .order_by("wbs_sort")
        .only(
            "id", "parent_id", "name", "wbs_code", "milestone", "duration_hours", "status",
            "percent_complete", "constraint_type", "constraint_date", "deadline", "priority",
            "actual_start", "actual_finish", "planned_start", "planned_finish", "splits",
            "elapsed", "duration_minutes",
        )
    )  # fmt: skip
    # The schedule's own axis: hours, or finer when a duration is not whole hours.
    axis = project_axis(
        project,
        minutes_per_unit=axis_minutes(
            task.duration_minutes for task in rows if task.duration_minutes is not None
        ),
    )
    per_hour = 60 // axis.unit
    demand_rows = list(
        Assignment.objects.filter(project=project).values_list("task_id", "resource_id", "units")
    )
    by_task: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for task_id, resource_id, units in demand_rows:
        by_task[task_id].append((resource_id, units))
    resources = {
        r.pk: r
        for r in Resource.objects.filter(pk__in={row[1] for row in demand_rows}).select_related(
            "calendar"
        )
    }
    for task in rows:
        task.leveled_start = None
    settled = own_time_tasks(project, rows, axis)
    engine_tasks: list[EngineTask] = []
    for task in rows:
        engine_task = settled[task.pk][0] if task.pk in settled else _engine_task(task, axis)
        if leveling_can_move(task):
            demands = tuple(
                ResourceDemand(str(resource_id), float(units))
                for resource_id, units in by_task.get(task.pk, ())
            )
            engine_task = replace(engine_task, demands=demands)
        engine_tasks.append(engine_task)
    links = [
        EngineDependency(str(p), str(s), EngineDependencyType(kind), lag * per_hour)
        for p, s, kind, lag in project.dependencies.values_list(
            "predecessor_id", "successor_id", "type", "lag_hours"
        )
    ]
    leaves, leaf_links = cpm.expand_summaries(engine_tasks, links)
    unleveled = cpm.schedule(engine_tasks, links)
    makespan = int(unleveled.project_finish)
    work: dict[int, float] = defaultdict(float)
    for leaf in leaves:
        for demand in leaf.demands:
            work[int(demand.resource)] += demand.units * leaf.duration
    horizon = makespan + int(max(work.values(), default=0)) + 1
    other = list(
        Assignment.objects.filter(resource_id__in=resources)
        .exclude(project=project)
        .exclude(project__archived=True)
        .exclude(task__status__in=FINISHED)
        .filter(task__planned_start__isnull=False, task__planned_finish__isnull=False)
        .values_list("resource_id", "units", "task__planned_start", "task__planned_finish")
    )
    # Started tasks of this project keep their dates and take their resources' time then,
    # as the other projects' tasks do.
    started = {task.pk: task for task in rows if task.status not in FINISHED}
    for task_id, resource_id, units in demand_rows:
        running = started.get(task_id)
        if running is not None and not leveling_can_move(running) and not running.milestone:
            other.append((resource_id, units, running.planned_start, running.planned_finish))
    spans: list[tuple[int, float, int, int]] = []
    for resource_id, units_text, start, finish in other:
        other_units = float(units_text)
        if start is None or finish is None:
            continue
        begin = max(axis.to_axis(start), 0)
        end = axis.to_axis(finish, finish=True)
        if end > begin:
            spans.append((resource_id, other_units, begin, end))
            horizon = max(horizon, end + 1)
    absences: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for resource_id, first, last in ResourceAbsence.objects.filter(
        resource_id__in=resources
    ).values_list("resource_id", "start", "finish"):
        absences[resource_id].append((first, last))
    zone = axis.calendar.zone
    for ranges in absences.values():
        for _first, last in ranges:
            end_moment = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
            horizon = max(horizon, axis.to_axis(end_moment, finish=True) + 1)
    engine_resources: list[EngineResource] = []
    for resource_id, resource in sorted(resources.items()):
        capacity = np.full(max(horizon, 0), float(resource.capacity), dtype=np.float64)
        for first, last in absences.get(resource_id, ()):
            begin = max(axis.to_axis(dt.datetime.combine(first, dt.time(), tzinfo=zone)), 0)
            end = axis.to_axis(
                dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone),
                finish=True,
            )
            capacity[begin:end] = 0.0
        for span_resource, span_units, begin, end in spans:
            if span_resource == resource_id:
                capacity[begin:end] -= span_units
        np.clip(capacity, 0.0, None, out=capacity)
        # The tail keeps the resource's plain capacity so that any task fits eventually.
        changes: list[CapacityChange] = []
        previous: float | None = None
        for position, value in enumerate(np.round(capacity, 6).tolist()):
            if value != previous:
                changes.append(CapacityChange(position, value))
                previous = value
        if previous != float(resource.capacity):
            changes.append(CapacityChange(horizon, float(resource.capacity)))
        engine_resources.append(
            EngineResource(str(resource_id), float(resource.capacity), tuple(changes))
        )
    return rows, leaves, leaf_links, engine_resources, axis


def _hours(units: int, unit: int) -> int:
    """Axis units as whole working hours (the axis is finer for durations to the minute)."""
    return units if unit == 60 else round(units * unit / 60)


def _iso(value: dt.datetime | None, zone: dt.tzinfo | None = None) -> str | None:
    """ISO 8601 text of ``value``, in ``zone`` when given (a stored UTC value otherwise)."""
    if value is None:
        return None
    return (value.astimezone(zone) if zone is not None else value).isoformat()


def leveling_compute(
    *,
    project: Project,
    solver: str = "heuristic",
    time_limit: float = 10.0,
    progress: Any = None,
) -> dict[str, Any]:
    """Level the project and return the proposal (JSON-safe); changes nothing.

    The proposal lists the leaf tasks that move against the current schedule (old and new
    start, the shift in working hours), the finish before and after, and for the exact
    solver the lower bound and gap. ``starts`` holds the leveled start of every task that
    leveling delays, which is what applying writes into ``Task.leveled_start``. Every time
    is written in the project calendar's zone (``time_zone``), old and new alike, so that
    the two compare on one wall clock.
    """
    if solver not in SOLVERS:
        raise Invalid.field("solver", f"must be one of {', '.join(SOLVERS)}")
    if not 0.1 <= time_limit <= MAX_TIME_LIMIT:
        raise Invalid.field("time_limit", f"must be from 0.1 to {MAX_TIME_LIMIT:g} seconds")
    rows, leaves, links, resources, axis = _leveling_inputs(project)
    zone = axis.calendar.zone
    if not leaves:
        return {
            "solver": solver, "time_limit": time_limit, "time_zone": str(zone), "moved": [],
            "starts": {}, "finish_before": _iso(project.scheduled_finish, zone),
            "finish_after": _iso(project.scheduled_finish, zone), "makespan_hours": 0,
            "lower_bound_hours": 0, "gap": 0.0, "optimal": True, "seconds": 0.0,
            "schedules_tried": 0,
        }  # fmt: skip
    try:
        result = level(
            leaves, links, resources, method=solver, time_limit=time_limit, progress=progress
        )
    except EngineError as exc:
        raise Invalid.field("leveling", str(exc)) from None
    by_id = {str(task.pk): task for task in rows}
    held: dict[str, int] = {}
    for task_id, delay in result.moved.items():
        task = by_id[task_id]
        if delay > 0 and leveling_can_move(by_id[task_id]):
            held[task_id] = result.start[task_id]
    # The plan with every delayed task held at its leveled start, as applying would give.
    for task in rows:
        task.leveled_start = None
    settled = own_time_tasks(project, rows, axis)
    engine_tasks = []
    unheld = []
    for task in rows:
        engine_task = settled[task.pk][0] if task.pk in settled else _engine_task(task, axis)
        unheld.append(engine_task)
        if str(task.pk) in held:
            at = held[str(task.pk)]
            current = engine_task.constraint
            if current.type == ConstraintType.ASAP or (
                current.type == ConstraintType.SNET and (current.at or 0) < at
            ):
                engine_task = replace(engine_task, constraint=Constraint(ConstraintType.SNET, at))
        engine_tasks.append(engine_task)
    all_links = [
        EngineDependency(str(p), str(s), EngineDependencyType(kind), lag * (60 // axis.unit))
        for p, s, kind, lag in project.dependencies.values_list(
            "predecessor_id", "successor_id", "type", "lag_hours"
        )
    ]
    leveled = cpm.schedule(engine_tasks, all_links)
    # A task on its resources' own calendar starts inside the axis hour it holds (22:00 on
    # a night shift): it moves when its position does, against the plan before leveling.
    before = cpm.schedule(unheld, all_links) if settled else leveled
    index = {task_id: i for i, task_id in enumerate(leveled.ids)}
    leaf_ids = {task.id for task in leaves}
    positions = [index[str(task.pk)] for task in rows]
    new_starts = axis.to_datetimes(leveled.early_start[positions])
    new_finishes = axis.to_datetimes(leveled.early_finish[positions], finish=True)
    moved: list[dict[str, Any]] = []
    for i, task in enumerate(rows):
        if str(task.pk) not in leaf_ids or task.milestone:
            continue
        new_start = new_starts[i]
        if task.planned_start is None:
            continue
        old_position = (
            int(before.early_start[positions[i]])
            if task.pk in settled
            else axis.to_axis(task.planned_start)
        )
        if int(leveled.early_start[positions[i]]) == old_position:
            continue
        moved.append(
            {
                "task": task.pk,
                "wbs_code": task.wbs_code,
                "name": task.name,
                "old_start": _iso(task.planned_start, zone),
                "new_start": _iso(new_start, zone),
                "old_finish": _iso(task.planned_finish, zone),
                "new_finish": _iso(new_finishes[i], zone),
                "delta_hours": _hours(
                    int(leveled.early_start[positions[i]]) - old_position, axis.unit
                ),
            }
        )
    moved.sort(key=lambda m: (-abs(m["delta_hours"]), m["wbs_code"]))
    finish_after = axis.to_datetime(int(leveled.project_finish), finish=True)
    return {
        "solver": solver,
        "time_limit": time_limit,
        "time_zone": str(zone),
        "moved": moved,
        "starts": {
            task_id: _iso(axis.to_datetime(at), zone) for task_id, at in sorted(held.items())
        },
        "finish_before": _iso(project.scheduled_finish, zone),
        "finish_after": _iso(finish_after, zone),
        "makespan_hours": _hours(result.makespan, axis.unit),
        "lower_bound_hours": (
            None if result.lower_bound is None else _hours(result.lower_bound, axis.unit)
        ),
        "gap": result.gap,
        "optimal": result.optimal,
        "seconds": round(result.seconds, 3),
        "schedules_tried": result.schedules_tried,
    }


def leveling_preview(
    *,
    actor: User,
    project: Project,
    solver: str = "heuristic",
    time_limit: float = 10.0,
    background: bool = False,
) -> LevelingRun:
    """A leveling proposal, stored as a ``LevelingRun``; no task changes.

    With ``background`` the run is queued as a job (``level_project_job``) and the caller
    polls the run; otherwise it is computed in this request.
    """
    require_role(actor, project, Role.MANAGER)
    if solver not in SOLVERS:
        raise Invalid.field("solver", f"must be one of {', '.join(SOLVERS)}")
    if not 0.1 <= time_limit <= MAX_TIME_LIMIT:
        raise Invalid.field("time_limit", f"must be from 0.1 to {MAX_TIME_LIMIT:g} seconds")
    project.refresh_from_db(fields=["scheduled_at", "scheduled_finish"])
    with transaction.atomic():
        # One open proposal per project: a new preview discards the former ones.
        LevelingRun.objects.filter(
            project=project,
            status__in=(LevelingRunStatus.DONE, LevelingRunStatus.QUEUED, LevelingRunStatus.FAILED),
        ).update(status=LevelingRunStatus.DISCARDED)
        run = LevelingRun.objects.create(
            project=project,
            created_by=actor,
            solver=solver,
            time_limit=time_limit,
            schedule_stamp=project.scheduled_at,
        )
    if background:
        from itpm.planning.resource_tasks import level_project_job

        transaction.on_commit(lambda: level_project_job.enqueue(run.pk))
        return run
    leveling_run_execute(run=run)
    run.refresh_from_db()
    return run


def leveling_run_execute(*, run: LevelingRun) -> None:
    """Compute a queued run and store its result (the job's body; also run in-request)."""
    project = Project.objects.select_related("calendar").get(pk=run.project_id)
    LevelingRun.objects.filter(pk=run.pk).update(
        status=LevelingRunStatus.RUNNING, progress="reading the plan"
    )

    def report(message: str) -> None:
        LevelingRun.objects.filter(pk=run.pk).update(progress=message[:200])

    try:
        result = leveling_compute(
            project=project, solver=run.solver, time_limit=run.time_limit, progress=report
        )
    except (Invalid, EngineError) as exc:
        LevelingRun.objects.filter(pk=run.pk).update(
            status=LevelingRunStatus.FAILED, error=str(getattr(exc, "detail", exc)), progress=""
        )
        return
    LevelingRun.objects.filter(pk=run.pk, status=LevelingRunStatus.RUNNING).update(
        status=LevelingRunStatus.DONE,
        result=result,
        progress=f"{len(result['moved'])} tasks move",
    )


def leveling_apply(
    *, actor: User, project: Project, run: LevelingRun | None = None
) -> dict[str, Any]:
    """Hold every task the proposal delays at its leveled start, and reschedule.

    Without ``run`` the project is leveled now (heuristic) and applied at once. A proposal
    computed before a later plan change is refused (409): preview again. Applying the same
    proposal twice changes nothing the second time (the second call answers without
    writing, even though the applied plan has a newer schedule stamp).
    """
    require_role(actor, project, Role.MANAGER)
    project.refresh_from_db(fields=["scheduled_at", "scheduled_finish"])
    if run is None:
        result = leveling_compute(project=project)
    else:
        if run.project_id != project.pk:
            raise NotFound("leveling run not found")
        if run.status == LevelingRunStatus.APPLIED:
            # Applying the same proposal again (a retried request) is a no-op, not an error.
            return {**run.result, "applied": True, "tasks_changed": 0}
        if run.status != LevelingRunStatus.DONE:
            raise Conflict(f"this preview is {run.get_status_display().lower()}; preview again")
        if run.schedule_stamp != project.scheduled_at:
            raise Conflict("the plan changed since this preview; preview again")
        result = run.result
    starts = {
        int(task_id): dt.datetime.fromisoformat(at) for task_id, at in result["starts"].items()
    }
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        rows = list(Task.objects.filter(project=project).only("id", "leveled_start"))
        changed = []
        for task in rows:
            wanted = starts.get(task.pk)
            if task.leveled_start != wanted:
                task.leveled_start = wanted
                changed.append(task)
        finish_before = project.scheduled_finish
        if changed:
            Task.objects.bulk_update(changed, ["leveled_start"], batch_size=1000)
            schedule = project_reschedule(project)
            finish_after = schedule.finish if schedule else project.scheduled_finish
            audit(
                actor=actor,
                action="project.level",
                obj=project,
                project=project,
                changes={
                    "leveled tasks": [None, len(starts)],
                    "tasks changed": [None, len(changed)],
                    "finish": [_iso(finish_before), _iso(finish_after)],
                    "solver": [None, result.get("solver")],
                },
            )
        if run is not None:
            LevelingRun.objects.filter(pk=run.pk).update(status=LevelingRunStatus.APPLIED)
    project.refresh_from_db(fields=["scheduled_at", "scheduled_finish"])
    return {**result, "applied": True, "tasks_changed": len(changed)}


def leveling_discard(*, actor: User, project: Project) -> int:
    """Drop the open proposal(s) of the project; returns how many.

    The plan does not change; the discard is audited all the same, so the activity feed
    says why a proposal someone saw is gone.
    """
    require_role(actor, project, Role.MANAGER)
    with transaction.atomic():
        count = LevelingRun.objects.filter(
            project=project,
            status__in=(
                LevelingRunStatus.DONE, LevelingRunStatus.QUEUED, LevelingRunStatus.FAILED
            ),
        ).update(status=LevelingRunStatus.DISCARDED)  # fmt: skip
        if count:
            audit(actor=actor, action="project.level_discard", obj=project, project=project,
                  changes={"proposals": [count, 0]})  # fmt: skip
    return count


def leveling_clear(*, actor: User, project: Project) -> int:
    """Remove every leveling delay of the project and reschedule; returns how many."""
    require_role(actor, project, Role.MANAGER)
    with transaction.atomic():
        held = Task.objects.filter(project=project, leveled_start__isnull=False)
        count = held.count()
        if count:
            finish_before = project.scheduled_finish
            held.update(leveled_start=None)
            schedule = project_reschedule(project)
            audit(
                actor=actor,
                action="project.level_clear",
                obj=project,
                project=project,
                changes={
                    "leveled tasks": [count, 0],
                    "finish": [_iso(finish_before), _iso(schedule.finish if schedule else None)],
                },
            )
    return count


def visible_calendar_filter(user: Any) -> Any:
    """Calendars a user may read: shared ones and those of projects they see."""
    from django.db.models import Q

    return Q(project__isnull=True) | Q(project__in=visible_projects(user))
