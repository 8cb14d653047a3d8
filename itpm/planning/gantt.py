"""The Gantt's read: one permission-scoped request with everything the chart draws.

The schedule is computed on every write (``itpm.planning.scheduling``); this module only
reads the stored results, in a fixed number of queries whatever the project's size:
the tasks, the links, the calendar with its exceptions, the baselines and (when asked
for) one baseline's tasks. Dates are returned in the project calendar's time zone, so
that a client can draw them on the project's wall clock without knowing time zones.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from itpm.accounts.models import Role
from itpm.accounts.permissions import project_role
from itpm.core.errors import Invalid
from itpm.engine.calendar import Calendar
from itpm.planning.models import Baseline, BaselineTask, Dependency, Task, WorkCalendar
from itpm.planning.scheduling import DEFAULT_WORKING_HOURS, EpochSeconds, engine_calendar
from itpm.planning.splits import pauses_on_span, splits_from_text
from itpm.portfolio.models import Project

# Days shown before the first and after the last bar, so that a bar can be dragged there.
_MARGIN_BEFORE = dt.timedelta(days=7)
_MARGIN_AFTER = dt.timedelta(days=28)
# The longest range of shaded days off the answer lists (about 30 years).
_MAX_RANGE_DAYS = 11_000

_TASK_COLUMNS = (
    "id", "version", "parent_id", "wbs_code", "name", "milestone", "duration_hours",
    "total_float_hours", "free_float_hours", "critical", "percent_complete", "status",
    "constraint_type", "splits_json", "duration_minutes",
)  # fmt: skip
# Read as seconds since 1970 and written out once per distinct value: a 5,000-task plan
# has 40,000 of these, and a datetime per value costs more than the rest of the request.
_DATE_COLUMNS = (
    "planned_start", "planned_finish", "early_start", "early_finish", "late_start",
    "late_finish", "constraint_date", "deadline",
)  # fmt: skip


_NO_PAUSES: tuple[list[str], ...] = ()


def _pauses(
    calendar: Calendar, start: int | None, finish: int | None, splits_json: str | None
) -> list[list[str]] | tuple[list[str], ...]:
    """A split task's pauses as [stop, resume] ISO texts in the calendar's zone; only split
    tasks (a handful in a plan) cost anything here. The others share one empty tuple
    (written as ``[]``): 5,000 new empty lists per read made the collector sweep the heap
    every few reads (a 170 ms pause)."""
    splits = splits_from_text(splits_json)
    if not splits or start is None or finish is None:
        return _NO_PAUSES
    zone = calendar.zone
    moments = pause_moments(calendar, dt.datetime.fromtimestamp(start, zone), splits)
    # A task held by an actual finish before its planned span ends keeps only the pauses
    # that begin before that finish.
    end = dt.datetime.fromtimestamp(finish, zone)
    return [[stop.isoformat(), resume.isoformat()] for stop, resume in moments if stop < end]


def _hours_per_day(periods: list[Any]) -> float:
    minutes = 0
    for start, finish in periods:
        start_h, start_m = (int(x) for x in str(start).split(":"))
        finish_h, finish_m = (int(x) for x in str(finish).split(":"))
        minutes += (finish_h * 60 + finish_m) - (start_h * 60 + start_m)
    return minutes / 60


def pause_moments(
    calendar: Calendar, start: dt.datetime, splits: list[list[int]] | None
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Each pause of a split task as (the work stops, the work resumes) on the calendar.

    The scheduler places the task's span (work and pauses) from ``start``; a pause from
    ``a`` to ``b`` working hours into the span begins when the ``a``-th hour of the span
    ends (finish semantics: Tuesday 18:00, not Wednesday 09:00) and ends when the ``b``-th
    begins (start semantics: Monday 09:00), as MS Project draws a split.
    """
    if not splits:
        return []
    origin = calendar.working_minute(start)
    unit = calendar.minutes_per_unit
    return [
        (
            calendar.moment(origin + stop * unit, finish=True),
            calendar.moment(origin + resume * unit),
        )
        for stop, resume in pauses_on_span(splits)
    ]


def project_schedule(
    *, user: Any, project: Project, baseline_id: int | None = None
) -> dict[str, Any]:
    """The project's computed schedule for the Gantt, ready for JSON (``ScheduleOut``).

    ``project`` must come from a permission-scoped lookup (``get_visible_project``).
    ``baseline_id`` adds that baseline's start and finish per task; a baseline of
    another project is a 422 naming the ``baseline`` field.
    """
    calendar_row = (
        WorkCalendar.objects.prefetch_related("exceptions").filter(pk=project.calendar_id).first()
        if project.calendar_id
        else None
    )
    calendar = engine_calendar(calendar_row, time_zone=project.time_zone)
    zone = calendar.zone
    texts: dict[int, str] = {}

    def text(epoch: int | None) -> str | None:
        """ISO 8601 in the calendar's zone, e.g. 2027-01-04T09:00:00+01:00."""
        if epoch is None:
            return None
        found = texts.get(epoch)
        if found is None:
            found = texts[epoch] = dt.datetime.fromtimestamp(epoch, zone).isoformat()
        return found

    def local(moment: dt.datetime | None) -> str | None:
        return moment.astimezone(zone).isoformat() if moment is not None else None

    rows = list(
        Task.objects.filter(project=project)
        .order_by("wbs_sort")
        .annotate(**{f"{name}_epoch": EpochSeconds(name) for name in _DATE_COLUMNS})
        # The pauses as the database writes the JSON: a JSONField column would put a
        # converter call on every row (a third more time for 5,000 tasks), when only the
        # few split tasks need decoding.
        .annotate(splits_json=Cast("splits", output_field=TextField()))
        .values_list(*_TASK_COLUMNS, *(f"{name}_epoch" for name in _DATE_COLUMNS))
    )
    parents = {row[2] for row in rows if row[2] is not None}
    # Summaries show progress weighted by hours of work (as MS Project rolls it up); one
    # pass from the end of the WBS order sees every child before its parent.
    hours: dict[int, float] = defaultdict(float)
    done: dict[int, float] = defaultdict(float)
    for row in reversed(rows):
        task_id, parent_id = row[0], row[2]
        if task_id not in parents:
            hours[task_id] = row[6]
            done[task_id] = row[6] * row[10] / 100
        if parent_id is not None:
            hours[parent_id] += hours[task_id]
            done[parent_id] += done[task_id]
    tasks: list[dict[str, Any]] = []
    first: int | None = None
    last: int | None = None
    for row in rows:
        (task_id, version, parent_id, wbs_code, name, milestone, duration, total_float,
         free_float, critical, percent, status, constraint_type, splits_json, minutes,
         planned_start, planned_finish, early_start, early_finish, late_start, late_finish,
         constraint_date, deadline) = row  # fmt: skip
        summary = task_id in parents
        if summary:
            percent = round(100 * done[task_id] / hours[task_id]) if hours[task_id] else 0
        missed = deadline is not None and early_finish is not None and early_finish > deadline
        if planned_start is not None and (first is None or planned_start < first):
            first = planned_start
        if planned_finish is not None and (last is None or planned_finish > last):
            last = planned_finish
        tasks.append(
            {
                "id": task_id,
                "version": version,
                "wbs": wbs_code,
                "parent": parent_id,
                "depth": wbs_code.count("."),
                "name": name,
                "milestone": bool(milestone),
                "summary": summary,
                "duration_hours": duration,
                # Exact (450 for 7 h 30); NULL in the row means whole hours.
                "duration_minutes": minutes if minutes is not None else duration * 60,
                "planned_start": text(planned_start),
                "planned_finish": text(planned_finish),
                "early_start": text(early_start),
                "early_finish": text(early_finish),
                "late_start": text(late_start),
                "late_finish": text(late_finish),
                "total_float_hours": total_float,
                "free_float_hours": free_float,
                "critical": bool(critical),
                "percent_complete": percent,
                "status": status,
                "constraint_type": constraint_type,
                "constraint_date": text(constraint_date),
                "deadline": text(deadline),
                "late": (total_float is not None and total_float < 0) or missed,
                "pauses": _pauses(calendar, planned_start, planned_finish, splits_json),
                "_early_start": early_start,
            }
        )
    critical_ids = {t["id"] for t in tasks if t["critical"] and not t["summary"]}
    dependencies = [
        {
            "id": link_id,
            "version": version,
            "predecessor": predecessor,
            "successor": successor,
            "type": kind,
            "lag_hours": lag,
            "critical": predecessor in critical_ids and successor in critical_ids,
        }
        for link_id, version, predecessor, successor, kind, lag in Dependency.objects.filter(
            project=project
        )
        .order_by("id")
        .values_list("id", "version", "predecessor_id", "successor_id", "type", "lag_hours")
    ]
    critical_path = [
        t["id"]
        for t in sorted(
            (t for t in tasks if t["id"] in critical_ids),
            key=lambda t: (t["_early_start"] or 0, t["wbs"]),
        )
    ]

    for task in tasks:
        del task["_early_start"]

    baselines = [
        {
            "id": pk,
            "name": name,
            "created_at": created.isoformat(),
            "active": active,
            "finish": local(finish),
        }
        for pk, name, created, active, finish in Baseline.objects.filter(project=project)
        .order_by("-created_at", "-id")
        .values_list("id", "name", "created_at", "active", "finish")
    ]
    baseline: dict[str, Any] | None = None
    if baseline_id is not None:
        chosen = next((b for b in baselines if b["id"] == baseline_id), None)
        if chosen is None:
            raise Invalid.field(
                "baseline", f"baseline {baseline_id} is not a baseline of {project.key}"
            )
        entries = []
        for task_id, start, finish in (
            BaselineTask.objects.filter(baseline_id=baseline_id, task__isnull=False)
            .annotate(start_epoch=EpochSeconds("start"), finish_epoch=EpochSeconds("finish"))
            .values_list("task_id", "start_epoch", "finish_epoch")
        ):
            entries.append({"task": task_id, "start": text(start), "finish": text(finish)})
            if start is not None and (first is None or start < first):
                first = start
            if finish is not None and (last is None or finish > last):
                last = finish
        baseline = {"id": chosen["id"], "name": chosen["name"], "tasks": entries}

    now = timezone.now().astimezone(zone)
    project_start = (
        dt.datetime.combine(project.start_date, dt.time(0, 0), tzinfo=zone)
        if project.start_date
        else None
    )
    first_moment = dt.datetime.fromtimestamp(first, zone) if first is not None else None
    last_moment = dt.datetime.fromtimestamp(last, zone) if last is not None else None
    candidates_low = [m for m in (first_moment, project_start, now) if m is not None]
    candidates_high = [m for m in (last_moment, project_start, now) if m is not None]
    range_start = min(candidates_low).astimezone(zone).date() - _MARGIN_BEFORE
    range_end = max(candidates_high).astimezone(zone).date() + _MARGIN_AFTER
    if (range_end - range_start).days > _MAX_RANGE_DAYS:
        range_end = range_start + dt.timedelta(days=_MAX_RANGE_DAYS)
    non_working = []
    day = range_start
    while day <= range_end:
        if not calendar.is_working_day(day):
            non_working.append(day.isoformat())
        day += dt.timedelta(days=1)
    working_hours = [
        list(p)
        for p in ((calendar_row.working_hours if calendar_row else None) or DEFAULT_WORKING_HOURS)
    ]
    role = project_role(user, project)
    return {
        "project": {
            "key": project.key,
            "name": project.name,
            "start_date": project.start_date.isoformat() if project.start_date else None,
            "finish": local(project.scheduled_finish),
            "scheduled_at": project.scheduled_at.isoformat() if project.scheduled_at else None,
        },
        "today": now.isoformat(),
        "can_edit": role is not None and role != Role.VIEWER and not project.archived,
        "calendar": {
            "name": calendar_row.name if calendar_row else "Standard",
            "time_zone": calendar.timezone,
            "working_days": sorted(calendar.working_days),
            "working_hours": working_hours,
            "hours_per_day": _hours_per_day(working_hours),
            "range_start": range_start.isoformat(),
            "range_end": range_end.isoformat(),
            "non_working_days": non_working,
        },
        "tasks": tasks,
        "dependencies": dependencies,
        "critical_path": critical_path,
        "baselines": baselines,
        "baseline": baseline,
    }
