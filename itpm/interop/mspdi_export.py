"""Export an itpm project as MS Project XML (MSPDI).

The file carries what ``mspdi_import`` reads: the project calendar (and the resources'
calendars) with their exceptions, the WBS as outline levels, durations, milestones,
constraints, deadlines, links with lags, resources with their rate history, assignments
with units, baselines, percent complete and actual dates. Elements are written in the
order of Microsoft's schema (MS Project refuses a file whose elements are out of order).
Durations are written to the minute (``PT7H30M0S`` for a ``duration_minutes`` of 450), an
elapsed task's as elapsed hours (``DurationFormat`` 6); baselines and lags in hours.

A split task (``Task.splits``) is written the way MS Project keeps one: its Duration is
the work, Start and Finish span the pauses, and each assignment carries its timephased
work (``TimephasedData`` of Type 1, one segment per stretch: work, zero work per pause,
work; MS Project writes a segment per day, MPXJ and the importer read either). A split
task without resources gets an assignment to MS Project's "no resource" placeholder (UID
-65535) to carry it, as MS Project does.

Dates are written as wall-clock times in the project calendar's time zone, task UIDs are
1, 2, 3 ... in WBS order (UID 0 is the project summary task, as MS Project writes it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from itpm.engine.calendar import ProjectAxis
from itpm.interop import mspdi_format as fmt
from itpm.planning.durations import exact_minutes
from itpm.planning.models import (
    Assignment,
    Baseline,
    BaselineTask,
    Dependency,
    Resource,
    Task,
    WorkCalendar,
)
from itpm.planning.scheduling import DEFAULT_WORKING_DAYS, DEFAULT_WORKING_HOURS, project_axis
from itpm.planning.splits import pauses_on_span, span_hours
from itpm.portfolio.models import Project

_NS = fmt.NAMESPACE


class _Writer:
    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def add(self, parent: Any, name: str, value: object = None) -> Any:
        node = etree.SubElement(parent, f"{{{_NS}}}{name}")
        if value is not None:
            node.text = self.text(value)
        return node

    def text(self, value: object) -> str:
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, dt.datetime):
            return fmt.format_datetime(value.astimezone(self.zone).replace(tzinfo=None))
        if isinstance(value, dt.date):
            return f"{value.isoformat()}T00:00:00"
        return str(value)


def _hours_per_day(calendar: WorkCalendar | None) -> int:
    periods = (
        calendar.working_hours if calendar and calendar.working_hours else DEFAULT_WORKING_HOURS
    )
    minutes = 0
    for start, end in periods:
        minutes += _minutes(end) - _minutes(start)
    return minutes


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")[:2]
    return int(hours) * 60 + int(minutes)


def _clock(value: str) -> str:
    return "00:00:00" if value == "24:00" else f"{value}:00"


def _write_periods(writer: _Writer, parent: Any, periods: list[list[str]]) -> None:
    times = writer.add(parent, "WorkingTimes")
    for start, end in periods:
        period = writer.add(times, "WorkingTime")
        writer.add(period, "FromTime", _clock(start))
        writer.add(period, "ToTime", _clock(end))


def _write_calendar(writer: _Writer, parent: Any, uid: int, calendar: WorkCalendar | None) -> None:
    node = writer.add(parent, "Calendar")
    writer.add(node, "UID", uid)
    writer.add(node, "Name", calendar.name if calendar else "Standard")
    writer.add(node, "IsBaseCalendar", True)
    writer.add(node, "IsBaselineCalendar", False)
    writer.add(node, "BaseCalendarUID", -1)
    working_days = (calendar.working_days if calendar else None) or DEFAULT_WORKING_DAYS
    hours = (calendar.working_hours if calendar else None) or DEFAULT_WORKING_HOURS
    week = writer.add(node, "WeekDays")
    for day_type in range(1, 8):
        weekday = fmt.weekday_from_day_type(day_type)
        day = writer.add(week, "WeekDay")
        writer.add(day, "DayType", day_type)
        writer.add(day, "DayWorking", weekday in working_days)
        if weekday in working_days:
            _write_periods(writer, day, hours)
    exceptions = list(calendar.exceptions.all()) if calendar else []
    if exceptions:
        block = writer.add(node, "Exceptions")
        for exception in exceptions:
            item = writer.add(block, "Exception")
            writer.add(item, "EnteredByOccurrences", False)
            span = writer.add(item, "TimePeriod")
            writer.add(span, "FromDate", f"{exception.date.isoformat()}T00:00:00")
            writer.add(span, "ToDate", f"{exception.date.isoformat()}T23:59:00")
            writer.add(item, "Occurrences", 1)
            writer.add(item, "Name", exception.name or "Exception")
            writer.add(item, "Type", fmt.EXCEPTION_DAILY)
            writer.add(item, "DayWorking", exception.working)
            if exception.working:
                _write_periods(writer, item, exception.working_hours or hours)


def mspdi_export(*, project: Project) -> bytes:
    """The project as an MSPDI document (UTF-8 bytes). The caller checks read access."""
    calendar = project.calendar
    zone = ZoneInfo((calendar.timezone if calendar else None) or project.time_zone or "UTC")
    writer = _Writer(zone)
    tasks = list(Task.objects.filter(project=project).order_by("wbs_sort"))
    uid = {task.pk: index for index, task in enumerate(tasks, start=1)}
    has_children = {task.parent_id for task in tasks if task.parent_id}
    links: dict[int, list[Dependency]] = defaultdict(list)
    for link in Dependency.objects.filter(project=project).order_by("id"):
        links[link.successor_id].append(link)
    assignments = list(
        Assignment.objects.filter(project=project)
        .select_related("resource")
        .order_by("task__wbs_sort", "id")
    )
    resource_ids = sorted({assignment.resource_id for assignment in assignments})
    resources = list(
        Resource.objects.filter(pk__in=resource_ids)
        .select_related("calendar")
        .prefetch_related("rates")
        .order_by("name", "id")
    )
    resource_uid = {resource.pk: index for index, resource in enumerate(resources, start=1)}
    baselines = list(Baseline.objects.filter(project=project).order_by("created_at", "id"))
    baseline_numbers = _baseline_numbers(baselines)
    baseline_entries: dict[int, list[tuple[int, BaselineTask]]] = defaultdict(list)
    for entry in BaselineTask.objects.filter(baseline__project=project, task__isnull=False):
        number = baseline_numbers.get(entry.baseline_id)
        if number is not None and entry.task_id is not None:
            baseline_entries[entry.task_id].append((number, entry))
    minutes_per_day = _hours_per_day(calendar)
    start = project.start_date or (
        tasks[0].planned_start.date() if tasks and tasks[0].planned_start else None
    )
    starts = [t.planned_start for t in tasks if t.planned_start]
    finishes = [t.planned_finish for t in tasks if t.planned_finish]

    root = etree.Element(f"{{{_NS}}}Project", nsmap={None: _NS})
    writer.add(root, "SaveVersion", 14)
    writer.add(root, "Name", f"{project.key}.xml")
    writer.add(root, "Title", project.name)
    writer.add(root, "ScheduleFromStart", True)
    if starts:
        writer.add(root, "StartDate", min(starts))
    elif start:
        writer.add(root, "StartDate", start)
    if finishes:
        writer.add(root, "FinishDate", max(finishes))
    writer.add(root, "CurrencyCode", project.currency)
    writer.add(root, "CalendarUID", 1)
    hours = calendar.working_hours if calendar and calendar.working_hours else DEFAULT_WORKING_HOURS
    writer.add(root, "DefaultStartTime", _clock(hours[0][0]))
    writer.add(root, "DefaultFinishTime", _clock(hours[-1][1]))
    writer.add(root, "MinutesPerDay", minutes_per_day)
    working_days = (calendar.working_days if calendar else None) or DEFAULT_WORKING_DAYS
    writer.add(root, "MinutesPerWeek", minutes_per_day * len(working_days))
    writer.add(root, "DaysPerMonth", 20)
    writer.add(root, "DurationFormat", fmt.FORMAT_HOURS)
    writer.add(root, "WorkFormat", 2)
    writer.add(root, "NewTasksAreManual", False)

    calendars = writer.add(root, "Calendars")
    _write_calendar(writer, calendars, 1, calendar)
    calendar_uid: dict[int, int] = {calendar.pk: 1} if calendar else {}
    for resource in resources:
        if resource.calendar is not None and resource.calendar.pk not in calendar_uid:
            calendar_uid[resource.calendar.pk] = len(calendar_uid) + 2
            _write_calendar(
                writer, calendars, calendar_uid[resource.calendar.pk], resource.calendar
            )

    task_block = writer.add(root, "Tasks")
    summary = writer.add(task_block, "Task")
    writer.add(summary, "UID", 0)
    writer.add(summary, "ID", 0)
    writer.add(summary, "Name", project.name)
    writer.add(summary, "OutlineNumber", 0)
    writer.add(summary, "OutlineLevel", 0)
    writer.add(summary, "Summary", True)
    for task in tasks:
        _write_task(writer, task_block, task, uid, task.pk in has_children, links, baseline_entries)

    resource_block = writer.add(root, "Resources")
    for resource in resources:
        _write_resource(writer, resource_block, resource, resource_uid[resource.pk], calendar_uid)

    assignment_block = writer.add(root, "Assignments")
    tasks_by_pk = {task.pk: task for task in tasks}
    split = [
        task
        for task in tasks
        if task.splits and not task.milestone and task.pk not in has_children
        if task.planned_start and task.planned_finish
    ]
    stretches = _split_stretches(split, project_axis(project, minutes_per_unit=1)) if split else {}
    rows: list[tuple[Task, str, Decimal]] = [
        (
            tasks_by_pk[assignment.task_id],
            str(resource_uid[assignment.resource_id]),
            assignment.units,
        )
        for assignment in assignments
    ]
    assigned = {assignment.task_id for assignment in assignments}
    rows.extend(
        (task, fmt.UNASSIGNED_RESOURCE_UID, Decimal(1)) for task in split if task.pk not in assigned
    )
    for index, (task, resource_code, units) in enumerate(rows, start=1):
        node = writer.add(assignment_block, "Assignment")
        writer.add(node, "UID", index)
        writer.add(node, "TaskUID", uid[task.pk])
        writer.add(node, "ResourceUID", resource_code)
        if task.planned_finish:
            writer.add(node, "Finish", task.planned_finish)
        if task.planned_start:
            writer.add(node, "Start", task.planned_start)
        writer.add(node, "Units", _number(units))
        work_hours = Decimal(exact_minutes(task)) / 60 * units
        writer.add(node, "Work", _work(work_hours))
        for start, finish, minutes in stretches.get(task.pk, []):
            data = writer.add(node, "TimephasedData")
            writer.add(data, "Type", 1)  # assigned work
            writer.add(data, "UID", index)
            writer.add(data, "Start", start)
            writer.add(data, "Finish", finish)
            writer.add(data, "Unit", 2)
            writer.add(data, "Value", _work(Decimal(minutes) / 60 * units))
    return bytes(
        etree.tostring(
            root, xml_declaration=True, encoding="UTF-8", standalone=True, pretty_print=True
        )
    )


def _split_stretches(
    tasks: list[Task], axis: ProjectAxis
) -> dict[int, list[tuple[dt.datetime, dt.datetime, int]]]:
    """Task pk -> (start, finish, work minutes) of each stretch of work and of each pause
    (0 minutes) of a split task, on the project calendar (``axis`` counts minutes).

    The stretches are laid back from the task's finish, where the scheduler put the end of
    its span; for an in-progress task the start is its actual start, and a pause that
    would fall before it is left out.
    """
    result: dict[int, list[tuple[dt.datetime, dt.datetime, int]]] = {}
    for task in tasks:
        assert task.planned_start is not None and task.planned_finish is not None
        at = axis.to_axis(task.planned_start)
        # The first stretch starts at the task's start, even off the calendar (an actual
        # start at 08:00 where the day starts at 09:00).
        begin: dt.datetime = task.planned_start
        end = axis.to_axis(task.planned_finish, finish=True)
        splits = [[after * 60, pause * 60] for after, pause in task.splits or []]
        origin = end - span_hours(exact_minutes(task), splits)
        stretches: list[tuple[dt.datetime, dt.datetime, int]] = []
        for low, high in pauses_on_span(splits):
            stop, resume = origin + low, origin + high
            if stop <= at:
                at = max(at, resume)
                begin = axis.to_datetime(at)
                continue
            stretches.append((begin, axis.to_datetime(stop, finish=True), stop - at))
            stretches.append((axis.to_datetime(stop, finish=True), axis.to_datetime(resume), 0))
            at = resume
            begin = axis.to_datetime(at)
        if len(stretches) > 1 and end > at:
            stretches.append((begin, task.planned_finish, end - at))
            result[task.pk] = stretches
    return result


def _baseline_numbers(baselines: list[Baseline]) -> dict[int, int]:
    """MS Project has Baseline (0) and Baseline 1..10: the active one is 0, others follow."""
    numbers: dict[int, int] = {}
    active = [b for b in baselines if b.active][:1]
    rest = [b for b in baselines if b not in active]
    for baseline in active:
        numbers[baseline.pk] = 0
    next_number = 0 if not active else 1
    for baseline in rest:
        if next_number > 10:
            break
        numbers[baseline.pk] = next_number
        next_number += 1
    return numbers


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _work(hours: Decimal) -> str:
    minutes = int((hours * 60).to_integral_value())
    return f"PT{minutes // 60}H{minutes % 60}M0S"


def _write_task(
    writer: _Writer,
    parent: Any,
    task: Task,
    uid: dict[int, int],
    summary: bool,
    links: dict[int, list[Dependency]],
    baselines: dict[int, list[tuple[int, BaselineTask]]],
) -> None:
    node = writer.add(parent, "Task")
    writer.add(node, "UID", uid[task.pk])
    writer.add(node, "ID", uid[task.pk])
    writer.add(node, "Name", task.name)
    writer.add(node, "Manual", False)
    writer.add(node, "WBS", task.wbs_code)
    writer.add(node, "OutlineNumber", task.wbs_code)
    writer.add(node, "OutlineLevel", task.wbs_code.count(".") + 1)
    writer.add(node, "Priority", task.priority)
    if task.planned_start:
        writer.add(node, "Start", task.planned_start)
    if task.planned_finish:
        writer.add(node, "Finish", task.planned_finish)
    # To the minute (Task.duration_minutes): PT7H30M0S.
    duration = 0 if task.milestone else exact_minutes(task)
    writer.add(node, "Duration", fmt.format_duration_minutes(duration))
    writer.add(
        node, "DurationFormat", fmt.FORMAT_ELAPSED_HOURS if task.elapsed else fmt.FORMAT_HOURS
    )
    writer.add(node, "Estimated", False)
    writer.add(node, "Milestone", task.milestone)
    writer.add(node, "Summary", summary)
    writer.add(node, "Critical", task.critical)
    if task.early_start:
        writer.add(node, "EarlyStart", task.early_start)
    if task.early_finish:
        writer.add(node, "EarlyFinish", task.early_finish)
    if task.late_start:
        writer.add(node, "LateStart", task.late_start)
    if task.late_finish:
        writer.add(node, "LateFinish", task.late_finish)
    if task.free_float_hours is not None:
        writer.add(node, "FreeSlack", task.free_float_hours * 600)
    if task.total_float_hours is not None:
        writer.add(node, "TotalSlack", task.total_float_hours * 600)
    writer.add(node, "PercentComplete", task.percent_complete)
    if task.actual_start:
        writer.add(node, "ActualStart", task.actual_start)
    if task.actual_finish:
        writer.add(node, "ActualFinish", task.actual_finish)
    writer.add(node, "ConstraintType", fmt.CONSTRAINT_TO_CODE[task.constraint_type])
    if task.constraint_date and task.constraint_type not in ("ASAP", "ALAP"):
        writer.add(node, "ConstraintDate", task.constraint_date)
    if task.deadline:
        writer.add(node, "Deadline", task.deadline)
    if task.description:
        writer.add(node, "Notes", task.description)
    for link in links.get(task.pk, []):
        item = writer.add(node, "PredecessorLink")
        writer.add(item, "PredecessorUID", uid[link.predecessor_id])
        writer.add(item, "Type", fmt.LINK_TYPE_TO_CODE[link.type])
        writer.add(item, "CrossProject", False)
        # Tenths of a minute; shown in hours, itpm's unit.
        writer.add(item, "LinkLag", link.lag_hours * 600)
        writer.add(item, "LagFormat", fmt.FORMAT_HOURS)
    for number, entry in sorted(baselines.get(task.pk, []), key=lambda pair: pair[0]):
        item = writer.add(node, "Baseline")
        writer.add(item, "Number", number)
        if entry.start:
            writer.add(item, "Start", entry.start)
        if entry.finish:
            writer.add(item, "Finish", entry.finish)
        writer.add(item, "Duration", fmt.format_duration_hours(entry.duration_hours))
        writer.add(item, "DurationFormat", fmt.FORMAT_HOURS)
        writer.add(item, "Work", _work(entry.work_hours))
        # Costs are written in hundredths (MS Project's convention).
        writer.add(item, "Cost", _number((entry.cost * 100).quantize(Decimal(1))))


def _write_resource(
    writer: _Writer, parent: Any, resource: Resource, uid: int, calendar_uid: dict[int, int]
) -> None:
    node = writer.add(parent, "Resource")
    writer.add(node, "UID", uid)
    writer.add(node, "ID", uid)
    writer.add(node, "Name", resource.name)
    # People, equipment and test racks are all "work" resources in MS Project's terms.
    writer.add(node, "Type", fmt.RESOURCE_WORK)
    writer.add(node, "IsNull", False)
    writer.add(node, "MaxUnits", _number(resource.capacity))
    writer.add(node, "StandardRate", _number(resource.cost_rate))
    writer.add(node, "StandardRateFormat", 2)  # shown per hour
    if resource.calendar_id and resource.calendar_id in calendar_uid:
        writer.add(node, "CalendarUID", calendar_uid[resource.calendar_id])
    rates = sorted(resource.rates.all(), key=lambda rate: rate.valid_from)
    if rates:
        block = writer.add(node, "Rates")
        for index, rate in enumerate(rates):
            item = writer.add(block, "Rate")
            writer.add(item, "RatesFrom", rate.valid_from)
            following = (
                rates[index + 1].valid_from - dt.timedelta(days=1)
                if index + 1 < len(rates)
                else dt.date(2049, 12, 31)
            )
            writer.add(item, "RatesTo", f"{following.isoformat()}T23:59:00")
            writer.add(item, "RateTable", 0)
            writer.add(item, "StandardRate", _number(rate.rate))
            writer.add(item, "StandardRateFormat", 2)
