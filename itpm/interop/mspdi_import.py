"""Import an MS Project XML (MSPDI) file as an itpm project.

Two phases: ``_read`` turns the XML into plain dataclasses (and names the element or task
UID of anything it cannot understand), then ``mspdi_import`` writes them in one
transaction with bulk inserts and reschedules the project once at the end.

What changes on the way in (MSPDI is richer than itpm in places):

- Durations are kept to the minute: a duration that is not whole hours (``PT7H30M0S``,
  MS Project's ``PT71H1M0S``) is stored in ``Task.duration_minutes`` beside its hours
  rounded half up (``itpm.planning.durations.stored``); seconds are rounded to the minute
  (calendars count minutes). An elapsed duration (``DurationFormat`` em, eh, ed, ew, emo)
  is real time, to the minute too. Baseline durations and lags become whole working
  hours, rounded to the nearest hour. An elapsed lag (``LagFormat`` ed, eh, ...) counts
  calendar time; it becomes the working hours of that many calendar days at the file's
  hours per day times 5/7 (a working week in a calendar week), rounded. A percent lag becomes that
  share of the predecessor's duration (to the minute), rounded to the hour.
- A manually scheduled task (``Manual`` = 1) keeps the dates the file gives it: MS
  Project does not move it, so it becomes "must start on" its start.
- itpm's calendars have one set of working periods for all working days. A weekday with
  other hours, a work week and every (recurring) exception become dated exceptions; the
  recurring ones are expanded over their range.
- A split task (work that stops and resumes later) has no element of its own in MSPDI:
  it shows in its assignments' timephased work (``TimephasedData`` of Type 1, the
  planned work, and Type 2, the actual work), where the pause is a stretch of segments
  with zero work between segments with work. Each such stretch becomes a pause in the
  task's ``splits``, counted in working hours of the project calendar (the calendar
  itpm schedules the task on); zero-work stretches before the first or after the last
  work do not count, and a segment without a value is non-working time.
- Resources are shared across itpm projects: a resource of the file is matched to an
  existing active one of the same name, else created with its rates.
- The file's dates are wall-clock times without a zone: they are stored as UTC and the
  project and its calendars get the time zone UTC, so the wall clock stays the same.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from lxml import etree

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import require_role
from itpm.core.errors import Invalid
from itpm.core.services import audit
from itpm.engine.calendar import Calendar
from itpm.interop import mspdi_format as fmt
from itpm.planning.durations import stored
from itpm.planning.models import (
    Assignment,
    Baseline,
    BaselineTask,
    CalendarException,
    Dependency,
    Resource,
    ResourceKind,
    ResourceRate,
    Task,
    TaskStatus,
    WorkCalendar,
)
from itpm.planning.scheduling import (
    deferred_rescheduling,
    engine_calendar,
    project_reschedule,
    task_calendars,
)
from itpm.planning.splits import MAX_SPLITS, normalize_splits
from itpm.portfolio.models import Project
from itpm.portfolio.services import project_create

Progress = Callable[[int, int], None]

MAX_TASKS = 100_000
# Recurring exceptions and odd weekdays are expanded into dated exceptions; this bounds a
# file that says "every day for 200 years".
MAX_EXCEPTION_DAYS = 20_000
_KEY_CHARS = re.compile(r"[^A-Z0-9]")


# ------------------------------------------------------------------------ parsed data
@dataclass
class ParsedCalendar:
    uid: str
    name: str
    base_uid: str | None
    # Python weekday -> periods ([] = not working); None = inherit from the base calendar.
    weekdays: dict[int, list[list[str]] | None] = field(default_factory=dict)
    # date -> (name, periods); [] periods = a day off.
    exceptions: dict[dt.date, tuple[str, list[list[str]]]] = field(default_factory=dict)


@dataclass
class ParsedLink:
    predecessor_uid: str
    type: str
    lag_hours: int


@dataclass
class ParsedBaseline:
    number: int
    start: dt.datetime | None
    finish: dt.datetime | None
    duration_hours: int
    work_hours: Decimal
    cost: Decimal


@dataclass
class ParsedTask:
    uid: str
    name: str
    outline_level: int
    summary: bool
    milestone: bool
    duration_hours: int
    start: dt.datetime | None
    finish: dt.datetime | None
    constraint_type: str
    constraint_date: dt.datetime | None
    deadline: dt.datetime | None
    priority: int
    percent_complete: int
    actual_start: dt.datetime | None
    actual_finish: dt.datetime | None
    notes: str
    links: list[ParsedLink] = field(default_factory=list)
    # An elapsed duration (DurationFormat eh, ed, ew, emo): duration_hours are real hours.
    elapsed: bool = False
    # The exact duration when it is not whole hours (Task.duration_minutes), else None.
    duration_minutes: int | None = None
    baselines: list[ParsedBaseline] = field(default_factory=list)


@dataclass
class ParsedRate:
    valid_from: dt.date
    rate: Decimal


@dataclass
class ParsedResource:
    uid: str
    name: str
    kind: str
    max_units: Decimal
    standard_rate: Decimal
    calendar_uid: str | None
    rates: list[ParsedRate] = field(default_factory=list)


@dataclass
class ParsedAssignment:
    task_uid: str
    resource_uid: str
    units: Decimal


@dataclass
class ParsedPlan:
    name: str
    title: str
    start: dt.datetime | None
    currency: str
    minutes_per_day: int
    calendar_uid: str | None
    calendars: dict[str, ParsedCalendar]
    tasks: list[ParsedTask]
    resources: list[ParsedResource]
    assignments: list[ParsedAssignment]
    # Task UID -> the timephased work of its assignments, (start, finish, worked) as the
    # file's text, kept only for tasks where a segment has zero work (a split).
    work_segments: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)


# ------------------------------------------------------------------------------ reading
class _Reader:
    """Typed access to an element's children in the file's namespace."""

    def __init__(self, namespace: str) -> None:
        self.prefix = f"{{{namespace}}}" if namespace else ""

    def all(self, node: Any, path: str) -> list[Any]:
        steps = "/".join(self.prefix + step for step in path.split("/"))
        return list(node.iterfind(steps))

    def text(self, node: Any, name: str) -> str | None:
        child = node.find(self.prefix + name)
        if child is None or child.text is None:
            return None
        return str(child.text).strip()


def _parse_xml(data: bytes) -> Any:
    # External entities and DTDs are refused outright (XXE, billion laughs): lxml is told
    # not to resolve entities or touch the network, and a document with a DTD is rejected
    # before anything is read from it.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
        huge_tree=False,
    )
    try:
        tree = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Invalid.field("file", f"not well-formed XML: {exc}") from None
    docinfo = tree.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise Invalid.field("file", "a document type declaration (DTD) is not allowed")
    if any(isinstance(node, etree._Entity) for node in tree.iter()):
        raise Invalid.field("file", "entity references are not allowed")
    return tree


def _where(kind: str, uid: str | None) -> str:
    return f"{kind} UID {uid}" if uid else kind


class _Fields:
    """Converts one element's fields, naming the element in every error."""

    def __init__(self, reader: _Reader, node: Any, where: str) -> None:
        self.reader = reader
        self.node = node
        self.where = where
        # One pass over the children instead of a search per field: a task has ~100.
        cut = len(reader.prefix)
        self.values: dict[str, str | None] = {}
        for child in node:
            if isinstance(child.tag, str):
                self.values.setdefault(child.tag[cut:], child.text)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else value.strip()

    def fail(self, name: str, message: str) -> Invalid:
        return Invalid.field(f"{self.where} {name}", message)

    def integer(self, name: str, default: int = 0) -> int:
        value = self.text(name)
        if value is None or value == "":
            return default
        try:
            return int(Decimal(value))
        except (InvalidOperation, ValueError):
            raise self.fail(name, f"expected a number, got {value!r}") from None

    def decimal(self, name: str, default: Decimal = Decimal(0)) -> Decimal:
        value = self.text(name)
        if value is None or value == "":
            return default
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise self.fail(name, f"expected a number, got {value!r}") from None
        if not number.is_finite():
            raise self.fail(name, f"expected a number, got {value!r}")
        return number

    def flag(self, name: str) -> bool:
        return self.text(name) in ("1", "true")

    def when(self, name: str) -> dt.datetime | None:
        value = self.text(name)
        # MS Project writes "NA" dates as missing elements; some tools write an empty one.
        if not value or value.upper() == "NA":
            return None
        try:
            return fmt.parse_datetime(value)
        except ValueError:
            raise self.fail(
                name, f"expected a date like 2024-01-31T08:00:00, got {value!r}"
            ) from None

    def minutes(self, name: str, minutes_per_day: int) -> float | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return fmt.parse_duration_minutes(value, minutes_per_day=minutes_per_day)
        except ValueError:
            raise self.fail(name, f"expected a duration like PT8H0M0S, got {value!r}") from None


def _clock(text: str | None, where: str) -> str:
    value = (text or "")[:5]
    if not re.fullmatch(r"\d\d:\d\d", value):
        raise Invalid.field(where, f"expected a time like 08:00:00, got {text!r}")
    return value


def _periods(reader: _Reader, node: Any, where: str) -> list[list[str]]:
    periods = []
    for working_time in reader.all(node, "WorkingTimes/WorkingTime"):
        start = _clock(reader.text(working_time, "FromTime"), f"{where} FromTime")
        end = _clock(reader.text(working_time, "ToTime"), f"{where} ToTime")
        # MS Project writes midnight at the end of a day as 00:00.
        if end == "00:00":
            end = "24:00"
        periods.append([start, end])
    return sorted(periods)


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    count = (end - start).days + 1
    if count > MAX_EXCEPTION_DAYS:
        raise Invalid.field("calendar", f"an exception spans {count} days, more than allowed")
    for offset in range(max(count, 0)):
        yield start + dt.timedelta(days=offset)


def _nth_weekday(year: int, month: int, item: int, position: int) -> dt.date | None:
    """The day of a month that MSPDI's MonthItem/MonthPosition name.

    MonthItem: 0 = day, 1 = weekday, 2 = weekend day, 3 = Sunday ... 9 = Saturday.
    MonthPosition: 0 = first ... 3 = fourth, 4 = last.
    """
    first = dt.date(year, month, 1)
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    days = [first + dt.timedelta(days=i) for i in range((following - first).days)]
    if item == 0:
        chosen = days
    elif item == 1:
        chosen = [day for day in days if day.weekday() < 5]
    elif item == 2:
        chosen = [day for day in days if day.weekday() >= 5]
    else:
        weekday = fmt.weekday_from_day_type(item - 2)
        chosen = [day for day in days if day.weekday() == weekday]
    if not chosen:
        return None
    if position >= 4:
        return chosen[-1]
    return chosen[position] if position < len(chosen) else None


def _recurrence_days(fields: _Fields, start: dt.date, end: dt.date) -> list[dt.date]:
    """The dates a Project 2007+ calendar exception covers, its recurrence expanded."""
    kind = fields.text("Type") or fmt.EXCEPTION_DAILY
    period = max(fields.integer("Period", 1), 1)
    if (end - start).days > MAX_EXCEPTION_DAYS:
        raise fields.fail("TimePeriod", "the exception spans more days than allowed")
    if kind == fmt.EXCEPTION_DAILY:
        return list(_days(start, end))
    if kind == fmt.EXCEPTION_EVERY_N_DAYS:
        return list(_days(start, end))[::period]
    if kind == fmt.EXCEPTION_WEEKLY:
        mask = fields.integer("DaysOfWeek", 0)
        # DaysOfWeek is a bit set: 1 = Sunday, 2 = Monday, ... 64 = Saturday.
        wanted = {fmt.weekday_from_day_type(bit + 1) for bit in range(7) if mask & (1 << bit)}
        week_zero = start - dt.timedelta(days=(start.weekday() + 1) % 7)  # that Sunday
        return [
            day
            for day in _days(start, end)
            if day.weekday() in wanted and ((day - week_zero).days // 7) % period == 0
        ]
    months: list[tuple[int, int]] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    result: list[dt.date] = []
    if kind in (fmt.EXCEPTION_MONTHLY_BY_DAY, fmt.EXCEPTION_MONTHLY_BY_POSITION):
        for index, (year, month) in enumerate(months):
            if index % period:
                continue
            if kind == fmt.EXCEPTION_MONTHLY_BY_DAY:
                day_number = fields.integer("MonthDay", 1)
                try:
                    result.append(dt.date(year, month, day_number))
                except ValueError:
                    continue
            else:
                found = _nth_weekday(
                    year, month, fields.integer("MonthItem"), fields.integer("MonthPosition")
                )
                if found:
                    result.append(found)
    elif kind in (fmt.EXCEPTION_YEARLY_BY_DAY, fmt.EXCEPTION_YEARLY_BY_POSITION):
        # Month is 0-based (0 = January).
        wanted_month = fields.integer("Month") + 1
        for year, month in months:
            if month != wanted_month:
                continue
            if kind == fmt.EXCEPTION_YEARLY_BY_DAY:
                try:
                    result.append(dt.date(year, month, fields.integer("MonthDay", 1)))
                except ValueError:
                    continue
            else:
                found = _nth_weekday(
                    year, month, fields.integer("MonthItem"), fields.integer("MonthPosition")
                )
                if found:
                    result.append(found)
    else:
        raise fields.fail("Type", f"unknown calendar exception type {kind!r}")
    return [day for day in result if start <= day <= end]


def _read_calendar(reader: _Reader, node: Any) -> ParsedCalendar:
    uid = reader.text(node, "UID") or ""
    where = _where("Calendar", uid)
    base_uid = reader.text(node, "BaseCalendarUID")
    calendar = ParsedCalendar(
        uid=uid,
        name=reader.text(node, "Name") or f"Calendar {uid}",
        base_uid=None
        if base_uid in (None, "-1") or reader.text(node, "IsBaseCalendar") == "1"
        else base_uid,
    )
    for day in reader.all(node, "WeekDays/WeekDay"):
        fields = _Fields(reader, day, f"{where} WeekDay")
        day_type = fields.integer("DayType", -1)
        working = fields.flag("DayWorking")
        periods = _periods(reader, day, where) if working else []
        if 1 <= day_type <= 7:
            calendar.weekdays[fmt.weekday_from_day_type(day_type)] = periods
        elif day_type == 0:
            # The old (Project 2003) form of an exception: a date range in a WeekDay.
            period = day.find(reader.prefix + "TimePeriod")
            if period is None:
                continue
            span = _Fields(reader, period, f"{where} TimePeriod")
            start, end = span.when("FromDate"), span.when("ToDate")
            if start is None or end is None:
                raise span.fail("FromDate", "an exception needs FromDate and ToDate")
            for date in _days(start.date(), end.date()):
                calendar.exceptions[date] = ("", periods)
        else:
            raise fields.fail("DayType", f"expected 0 to 7, got {day_type}")
    for exception in reader.all(node, "Exceptions/Exception"):
        fields = _Fields(reader, exception, f"{where} Exception")
        period = exception.find(reader.prefix + "TimePeriod")
        if period is None:
            raise fields.fail("TimePeriod", "an exception needs a time period")
        span = _Fields(reader, period, f"{where} Exception TimePeriod")
        start, end = span.when("FromDate"), span.when("ToDate")
        if start is None or end is None:
            raise span.fail("FromDate", "an exception needs FromDate and ToDate")
        periods = _periods(reader, exception, where) if fields.flag("DayWorking") else []
        name = (fields.text("Name") or "")[:120]
        for date in _recurrence_days(fields, start.date(), end.date()):
            calendar.exceptions[date] = (name, periods)
    for week in reader.all(node, "WorkWeeks/WorkWeek"):
        # A work week changes the weekdays over a range of dates: it becomes dated
        # exceptions for the days in the range that differ from the default week.
        period = week.find(reader.prefix + "TimePeriod")
        if period is None:
            continue
        span = _Fields(reader, period, f"{where} WorkWeek TimePeriod")
        start, end = span.when("FromDate"), span.when("ToDate")
        if start is None or end is None:
            continue
        week_days: dict[int, list[list[str]]] = {}
        for day in reader.all(week, "WeekDays/WeekDay"):
            day_type = _Fields(reader, day, f"{where} WorkWeek").integer("DayType", -1)
            if 1 <= day_type <= 7:
                working = reader.text(day, "DayWorking") == "1"
                week_days[fmt.weekday_from_day_type(day_type)] = (
                    _periods(reader, day, where) if working else []
                )
        name = (reader.text(week, "Name") or "")[:120]
        for date in _days(start.date(), end.date()):
            if date.weekday() in week_days and date not in calendar.exceptions:
                calendar.exceptions[date] = (name, week_days[date.weekday()])
    return calendar


def _lag_hours(
    fields: _Fields,
    tenths: int,
    lag_format: str,
    minutes_per_day: int,
    predecessor: ParsedTask | None,
) -> int:
    if lag_format in fmt.PERCENT_FORMATS:
        if predecessor is None:
            return 0
        return round(predecessor.duration_hours * tenths / 1000)
    minutes = tenths / 10
    if fmt.is_elapsed_format(lag_format):
        # Calendar time: a calendar day holds minutes_per_day working minutes on 5 of 7
        # days (see the module docstring).
        minutes = minutes / (24 * 60) * minutes_per_day * 5 / 7
    return round(minutes / 60)


def _task_minutes(task: ParsedTask) -> int:
    return task.duration_minutes if task.duration_minutes is not None else task.duration_hours * 60


def _whole_minutes(minutes: float) -> int:
    """A duration's minutes without its seconds, rounded half up (71 h 0 min 30 s: 71 h 1)."""
    return int(minutes + 0.5 + 1e-9)


def _read_task(reader: _Reader, node: Any, minutes_per_day: int) -> ParsedTask | None:
    uid = reader.text(node, "UID")
    fields = _Fields(reader, node, _where("Task", uid))
    if not uid:
        raise fields.fail("UID", "every task needs a UID")
    # UID 0 is the project summary task MS Project writes; null tasks are blank rows.
    if uid == "0" or fields.flag("IsNull"):
        return None
    minutes = fields.minutes("Duration", minutes_per_day)
    if minutes is None:
        minutes = 0.0
    if minutes < 0:
        raise fields.fail("Duration", "a duration cannot be negative")
    milestone = fields.flag("Milestone")
    # Seconds cannot be kept (calendars count minutes): the duration is rounded to the
    # minute, half up, and stored to the minute when it is not whole hours.
    duration_hours, duration_minutes = stored(0 if milestone else _whole_minutes(minutes))
    start, finish = fields.when("Start"), fields.when("Finish")
    constraint = fmt.CONSTRAINT_FROM_CODE.get(fields.text("ConstraintType") or "0")
    if constraint is None:
        raise fields.fail(
            "ConstraintType", f"unknown constraint type {fields.text('ConstraintType')!r}"
        )
    constraint_date = fields.when("ConstraintDate") if constraint not in ("ASAP", "ALAP") else None
    if constraint not in ("ASAP", "ALAP") and constraint_date is None:
        raise fields.fail("ConstraintDate", f"a {constraint} constraint needs a date")
    summary = fields.flag("Summary")
    if fields.flag("Manual") and not summary and start is not None:
        # MS Project leaves a manually scheduled task where the user put it.
        constraint, constraint_date = "MSO", start
    percent = fields.integer("PercentComplete")
    if not 0 <= percent <= 100:
        raise fields.fail("PercentComplete", f"expected 0 to 100, got {percent}")
    priority = fields.integer("Priority", 500)
    if not 0 <= priority <= 1000:
        raise fields.fail("Priority", f"expected 0 to 1000, got {priority}")
    level = fields.integer("OutlineLevel", 1)
    if level < 1:
        raise fields.fail("OutlineLevel", f"expected 1 or more, got {level}")
    name = (fields.text("Name") or "").strip() or f"Task {uid}"
    task = ParsedTask(
        uid=uid,
        name=name[:300],
        outline_level=level,
        summary=summary,
        milestone=milestone,
        duration_hours=duration_hours,
        duration_minutes=duration_minutes,
        start=start,
        finish=finish,
        constraint_type=constraint,
        constraint_date=constraint_date,
        deadline=fields.when("Deadline"),
        priority=priority,
        percent_complete=percent,
        actual_start=fields.when("ActualStart"),
        actual_finish=fields.when("ActualFinish"),
        notes=fields.text("Notes") or "",
        elapsed=not milestone
        and not summary
        and fmt.is_elapsed_format(fields.text("DurationFormat") or ""),
    )
    for link in reader.all(node, "PredecessorLink"):
        link_fields = _Fields(reader, link, f"Task UID {uid} PredecessorLink")
        predecessor = link_fields.text("PredecessorUID")
        if not predecessor:
            raise link_fields.fail("PredecessorUID", "a link needs a predecessor")
        if link_fields.flag("CrossProject"):
            continue  # a link into another file: nothing here to link to
        code = link_fields.text("Type") or "1"
        kind = fmt.LINK_TYPE_FROM_CODE.get(code)
        if kind is None:
            raise link_fields.fail("Type", f"expected 0 to 3, got {code!r}")
        lag_format = link_fields.text("LagFormat") or fmt.FORMAT_DAYS
        if lag_format not in fmt.KNOWN_FORMATS and not (
            lag_format.isdigit() and 35 <= int(lag_format) <= 53
        ):
            raise link_fields.fail("LagFormat", f"unknown lag format {lag_format!r}")
        tenths = link_fields.integer("LinkLag")
        # The lag in hours needs the predecessor's duration for a percent lag; it is
        # finished in _resolve_percent_lags once every task is read.
        task.links.append(
            ParsedLink(
                predecessor,
                kind,
                tenths
                if lag_format in fmt.PERCENT_FORMATS
                else _lag_hours(link_fields, tenths, lag_format, minutes_per_day, None),
            )
        )
        if lag_format in fmt.PERCENT_FORMATS:
            task.links[-1].type = f"{kind}%"
    for baseline in reader.all(node, "Baseline"):
        base = _Fields(reader, baseline, f"Task UID {uid} Baseline")
        number = base.integer("Number")
        if not 0 <= number <= 10:
            raise base.fail("Number", f"expected 0 to 10, got {number}")
        duration = base.minutes("Duration", minutes_per_day) or 0.0
        work = base.minutes("Work", minutes_per_day) or 0.0
        task.baselines.append(
            ParsedBaseline(
                number=number,
                start=base.when("Start"),
                finish=base.when("Finish"),
                duration_hours=round(duration / 60),
                work_hours=Decimal(str(round(work / 60, 2))),
                # Baseline costs are in hundredths in the file ("cents"): 100 = 1.00.
                cost=(base.decimal("Cost") / 100).quantize(Decimal("0.01")),
            )
        )
    return task


def _read_resource(reader: _Reader, node: Any) -> ParsedResource | None:
    uid = reader.text(node, "UID")
    fields = _Fields(reader, node, _where("Resource", uid))
    if not uid:
        raise fields.fail("UID", "every resource needs a UID")
    if uid == "0" or fields.flag("IsNull"):
        return None
    kind_code = fields.text("Type") or fmt.RESOURCE_WORK
    max_units = fields.decimal("MaxUnits", Decimal(1))
    if max_units < 0 or max_units >= 10_000:
        raise fields.fail("MaxUnits", f"expected 0 to 9999, got {max_units}")
    resource = ParsedResource(
        uid=uid,
        name=((fields.text("Name") or "").strip() or f"Resource {uid}")[:120],
        kind=ResourceKind.PERSON if kind_code == fmt.RESOURCE_WORK else ResourceKind.EQUIPMENT,
        max_units=max_units.quantize(Decimal("0.01")),
        standard_rate=_rate(fields, "StandardRate"),
        calendar_uid=fields.text("CalendarUID"),
    )
    for rate in reader.all(node, "Rates/Rate"):
        rate_fields = _Fields(reader, rate, f"Resource UID {uid} Rate")
        # Only cost rate table A (0) is the resource's standard cost; B to E are
        # alternatives MS Project lets an assignment pick, which itpm does not have.
        if rate_fields.integer("RateTable") != 0:
            continue
        valid_from = rate_fields.when("RatesFrom")
        resource.rates.append(
            ParsedRate(
                valid_from=valid_from.date() if valid_from else dt.date(1984, 1, 1),
                rate=_rate(rate_fields, "StandardRate"),
            )
        )
    return resource


def _rate(fields: _Fields, name: str) -> Decimal:
    # MSPDI rates are money per hour, whatever unit (StandardRateFormat) shows them.
    rate = fields.decimal(name)
    if rate < 0 or rate >= Decimal("1e10"):
        raise fields.fail(name, f"expected 0 to 9999999999, got {rate}")
    return rate.quantize(Decimal("0.01"))


def _read(data: bytes, progress: Progress | None) -> ParsedPlan:
    root = _parse_xml(data)
    tag = etree.QName(root)
    if tag.localname != "Project":
        raise Invalid.field(
            "file", f"expected an MS Project XML file (<Project>), got <{tag.localname}>"
        )
    reader = _Reader(tag.namespace or "")
    head = _Fields(reader, root, "Project")
    minutes_per_day = head.integer("MinutesPerDay", 480) or 480
    calendars = {
        calendar.uid: calendar
        for calendar in (
            _read_calendar(reader, node) for node in reader.all(root, "Calendars/Calendar")
        )
    }
    task_nodes = reader.all(root, "Tasks/Task")
    if len(task_nodes) > MAX_TASKS:
        raise Invalid.field("file", f"{len(task_nodes)} tasks, more than the {MAX_TASKS} allowed")
    total = len(task_nodes) * 2
    tasks: list[ParsedTask] = []
    seen: set[str] = set()
    for index, node in enumerate(task_nodes, start=1):
        task = _read_task(reader, node, minutes_per_day)
        if task is not None:
            if task.uid in seen:
                raise Invalid.field(f"Task UID {task.uid}", "the UID is used twice")
            seen.add(task.uid)
            tasks.append(task)
        if progress and index % 500 == 0:
            progress(index, total)
    by_uid = {task.uid: task for task in tasks}
    for task in tasks:
        for link in task.links:
            if link.type.endswith("%"):
                link.type = link.type[:-1]
                predecessor = by_uid.get(link.predecessor_uid)
                base = _task_minutes(predecessor) if predecessor else 0
                link.lag_hours = round(base * link.lag_hours / 1000 / 60)
    resources = [
        resource
        for resource in (
            _read_resource(reader, node) for node in reader.all(root, "Resources/Resource")
        )
        if resource is not None
    ]
    assignments = []
    segments: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    paused = _split_task_uids(root, reader)
    for node in reader.all(root, "Assignments/Assignment"):
        fields = _Fields(reader, node, _where("Assignment", reader.text(node, "UID")))
        task_uid, resource_uid = fields.text("TaskUID"), fields.text("ResourceUID")
        if not task_uid or not resource_uid:
            raise fields.fail("TaskUID", "an assignment needs TaskUID and ResourceUID")
        # MS Project writes the timephased work of a task without resources on an
        # assignment to its "no resource" placeholder: it shows the task's splits too.
        if task_uid in paused:
            _read_work_segments(reader, node, segments[task_uid])
        if resource_uid == fmt.UNASSIGNED_RESOURCE_UID:
            continue
        units = fields.decimal("Units", Decimal(1))
        if units < 0 or units >= 1000:
            raise fields.fail("Units", f"expected 0 to 999, got {units}")
        assignments.append(
            ParsedAssignment(task_uid, resource_uid, units.quantize(Decimal("0.01")))
        )
    if progress:
        progress(len(task_nodes), total)
    return ParsedPlan(
        name=head.text("Name") or "",
        title=head.text("Title") or "",
        start=head.when("StartDate"),
        currency=(head.text("CurrencyCode") or "USD")[:3].upper(),
        minutes_per_day=minutes_per_day,
        calendar_uid=head.text("CalendarUID"),
        calendars=calendars,
        tasks=tasks,
        resources=resources,
        assignments=assignments,
        work_segments={uid: segments[uid] for uid in paused if segments.get(uid)},
    )


# Assignment/TimephasedData/Type: 1 = the assigned (remaining) work, 2 = the actual work.
_WORK_TYPES = ("1", "2")
_NONZERO_DIGITS = frozenset("123456789")


def _split_task_uids(root: Any, reader: _Reader) -> set[str]:
    """UIDs of the tasks with an assignment whose timephased work has a zero-work segment.

    A file from MS Project has a segment per day of every assignment (hundreds of
    thousands in a large plan): one XPath query, run by libxml2, finds the few split
    tasks, and only their segments are read in Python. A zero value is one without a
    digit other than 0 (``PT0H0M0S``), as in _read_work_segments.
    """
    p = "p:" if reader.prefix else ""
    value = f"normalize-space({p}Value)"
    query = (
        f"{p}Assignments/{p}Assignment[{p}TimephasedData[({p}Type = '1' or {p}Type = '2') "
        f"and {value} != '' and translate({value}, 'PDTHMS0.', '') = '']]/{p}TaskUID/text()"
    )
    namespaces = {"p": reader.prefix[1:-1]} if reader.prefix else None
    return {str(uid).strip() for uid in root.xpath(query, namespaces=namespaces)}


def _read_work_segments(reader: _Reader, node: Any, into: list[tuple[str, str, bool]]) -> None:
    """Append the assignment's work segments to ``into`` as text (start, finish, worked)."""
    cut = len(reader.prefix)
    for data in node.iterfind(reader.prefix + "TimephasedData"):
        values: dict[str, str] = {}
        for child in data:
            if isinstance(child.tag, str) and child.text:
                values[child.tag[cut:]] = child.text.strip()
        value = values.get("Value")
        start, finish = values.get("Start"), values.get("Finish")
        # A segment without a value is time the resource does not work (a weekend).
        if values.get("Type") not in _WORK_TYPES or not value or not start or not finish:
            continue
        # PT0H0M0S, or any spelling of zero: no digit other than 0.
        into.append((start, finish, not _NONZERO_DIGITS.isdisjoint(value)))


# ------------------------------------------------------------------------------ writing
def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # The file's wall clock, kept as UTC (the module docstring says why).
    return None if value is None else value.replace(tzinfo=dt.UTC)


def _key_for(name: str) -> str:
    base = _KEY_CHARS.sub("", name.upper())
    base = base.lstrip("0123456789")[:8] or "MSP"
    if len(base) < 2:
        base = (base + "MSP")[:3]
    if not Project.objects.filter(key=base).exists():
        return base
    taken = set(Project.objects.filter(key__startswith=base[:6]).values_list("key", flat=True))
    for number in range(2, 10_000):
        candidate = f"{base[: 10 - len(str(number))]}{number}"
        if candidate not in taken and not Project.objects.filter(key=candidate).exists():
            return candidate
    raise Invalid.field("project_key", "no free project key; give one")


def _effective_week(plan: ParsedPlan, calendar: ParsedCalendar) -> dict[int, list[list[str]]]:
    week: dict[int, list[list[str]]] = {}
    base = plan.calendars.get(calendar.base_uid or "")
    if base is not None and base is not calendar:
        week.update(_effective_week(plan, base) if base.base_uid != calendar.uid else {})
    week.update(
        {weekday: periods for weekday, periods in calendar.weekdays.items() if periods is not None}
    )
    if not week:
        week = {day: [["08:00", "12:00"], ["13:00", "17:00"]] for day in range(5)}
    return week


def _write_calendar(
    plan: ParsedPlan, calendar: ParsedCalendar, project: Project, span: tuple[dt.date, dt.date]
) -> WorkCalendar:
    week = _effective_week(plan, calendar)
    working = {day: periods for day, periods in week.items() if periods}
    hours = Counter(tuple(tuple(p) for p in periods) for periods in working.values())
    common = (
        [list(p) for p in hours.most_common(1)[0][0]]
        if hours
        else [["08:00", "12:00"], ["13:00", "17:00"]]
    )
    stored = WorkCalendar.objects.create(
        name=calendar.name[:120],
        project=project,
        working_days=sorted(working) or [0, 1, 2, 3, 4],
        working_hours=common,
        timezone="UTC",
    )
    exceptions: dict[dt.date, tuple[str, list[list[str]]]] = {}
    base = plan.calendars.get(calendar.base_uid or "")
    if base is not None and base is not calendar:
        exceptions.update(base.exceptions)
    exceptions.update(calendar.exceptions)
    odd = {day: periods for day, periods in working.items() if periods != common}
    if odd:
        # A weekday with its own hours: dated exceptions over the plan's span.
        for date in _days(*span):
            if date.weekday() in odd and date not in exceptions:
                exceptions[date] = ("", odd[date.weekday()])
    CalendarException.objects.bulk_create(
        [
            CalendarException(
                calendar=stored,
                date=date,
                name=name,
                working=bool(periods),
                working_hours=periods if periods and periods != common else [],
            )
            for date, (name, periods) in sorted(exceptions.items())
        ],
        batch_size=1000,
    )
    return stored


def _plan_span(plan: ParsedPlan) -> tuple[dt.date, dt.date]:
    dates = [d for task in plan.tasks for d in (task.start, task.finish) if d is not None]
    first = min([*dates, *([plan.start] if plan.start else [])], default=None)
    last = max(dates, default=None)
    if first is None or last is None:
        today = dt.date.today()  # noqa: DTZ011 - only bounds an empty plan's calendar
        return today, today + dt.timedelta(days=365)
    return first.date() - dt.timedelta(days=31), last.date() + dt.timedelta(days=2 * 365)


def _clear_plan(project: Project) -> None:
    """Remove what an import replaces: tasks (with links and assignments), baselines, calendars."""
    Assignment.objects.filter(project=project).delete()
    Dependency.objects.filter(project=project).delete()
    Baseline.objects.filter(project=project).delete()
    Task.objects.filter(project=project).update(parent=None)
    Task.objects.filter(project=project).delete()
    Project.objects.filter(pk=project.pk).update(calendar=None)
    WorkCalendar.objects.filter(project=project, resources__isnull=True).delete()


def _axis_start(plan: ParsedPlan) -> dt.date | None:
    """The itpm project start: the file's, or an earlier constraint or actual start."""
    dates = [plan.start] if plan.start else []
    for task in plan.tasks:
        dates.extend(d for d in (task.constraint_date, task.actual_start) if d is not None)
    return min(dates).date() if dates else None


def _anchor_to_project_start(plan: ParsedPlan) -> None:
    """Keep unlinked tasks at the file's project start where itpm's axis starts elsewhere.

    itpm's schedule starts at midnight of the project's start day; MS Project's at the
    StartDate moment (09:00, say), and a task constrained before StartDate moves the
    itpm start earlier. In both cases a task with no predecessor and no constraint would
    start earlier than in MS Project, so it gets "start no earlier than" StartDate, which
    is what MS Project does implicitly.
    """
    if plan.start is None:
        return
    calendar = plan.calendars.get(plan.calendar_uid or "")
    week = _effective_week(plan, calendar) if calendar else {}
    first_periods = week.get(plan.start.weekday()) or [["08:00", "12:00"]]
    day_start = first_periods[0][0]
    moved_earlier = (_axis_start(plan) or plan.start.date()) < plan.start.date()
    if plan.start.strftime("%H:%M") <= day_start and not moved_earlier:
        return
    linked = {task.uid for task in plan.tasks if task.links}
    for task in plan.tasks:
        if task.constraint_type == "ASAP" and task.uid not in linked and not task.summary:
            task.constraint_type, task.constraint_date = "SNET", plan.start


def _status(task: ParsedTask) -> str:
    if task.percent_complete >= 100 or task.actual_finish is not None:
        return TaskStatus.DONE
    if task.percent_complete > 0 or task.actual_start is not None:
        return TaskStatus.IN_PROGRESS
    return TaskStatus.NOT_STARTED


def mspdi_import(
    *,
    data: bytes,
    actor: User,
    project_key: str | None = None,
    name: str | None = None,
    progress: Progress | None = None,
) -> Project:
    """Create a project from an MSPDI file, or replace the plan of project ``project_key``.

    Everything happens in one transaction and the project is rescheduled once at the end,
    so a bad file (or a killed process) leaves the database as it was. Raises Invalid
    naming the element or task UID at fault; NotFound/Forbidden for a project the actor
    may not replace.
    """
    plan = _read(data, progress)
    total = len(plan.tasks) * 2 or 1
    done = len(plan.tasks)
    with transaction.atomic():
        key = (project_key or "").strip().upper()
        project = Project.objects.filter(key=key).first() if key else None
        replacing = project is not None
        if project is not None:
            require_role(actor, project, Role.MANAGER)
            project = Project.objects.select_for_update().get(pk=project.pk)
            _clear_plan(project)
        else:
            title = (name or plan.title or plan.name or "Imported plan").strip()
            title = re.sub(r"\.xml$", "", title, flags=re.IGNORECASE)[:200] or "Imported plan"
            project = project_create(
                actor=actor,
                key=key or _key_for(title),
                name=title,
                start_date=plan.start.date() if plan.start else None,
                currency=plan.currency if re.fullmatch(r"[A-Z]{3}", plan.currency) else "USD",
            )
        _anchor_to_project_start(plan)
        with deferred_rescheduling():
            counts = _write_plan(project, plan, actor, progress, done, total)
            project.start_date = _axis_start(plan) or project.start_date
            project.time_zone = "UTC"
            # The project row changes (start, zone, calendar): its version moves on, so an
            # edit made against the old plan is refused as stale.
            Project.objects.filter(pk=project.pk).update(
                start_date=project.start_date,
                time_zone="UTC",
                calendar=project.calendar,
                version=models.F("version") + 1,
            )
        project.refresh_from_db()
        audit(
            actor=actor,
            action="project.import_mspdi",
            obj=project,
            project=project,
            changes={"replaced": [None, replacing], **{k: [None, v] for k, v in counts.items()}},
        )
    if progress:
        progress(total, total)
    return project


def _write_plan(
    project: Project,
    plan: ParsedPlan,
    actor: User,
    progress: Progress | None,
    done: int,
    total: int,
) -> dict[str, int]:
    span = _plan_span(plan)
    stored_calendars: dict[str, WorkCalendar] = {}
    project_calendar = plan.calendars.get(plan.calendar_uid or "")
    if project_calendar is not None:
        stored_calendars[project_calendar.uid] = _write_calendar(
            plan, project_calendar, project, span
        )
        project.calendar = stored_calendars[project_calendar.uid]
    else:
        project.calendar = None

    # Tasks, level by level so that a parent has its primary key before its children.
    stack: list[ParsedTask] = []
    parent_of: dict[str, str | None] = {}
    position: dict[str | None, int] = Counter()
    codes: dict[str, tuple[str, str, int]] = {}
    for task in plan.tasks:
        level = min(task.outline_level, len(stack) + 1)
        del stack[level - 1 :]
        parent = stack[-1].uid if stack else None
        parent_of[task.uid] = parent
        position[parent] += 1
        order = position[parent]
        prefix = codes[parent] if parent else ("", "", 0)
        code = f"{prefix[0]}.{order}" if prefix[0] else str(order)
        sort = f"{prefix[1]}.{order:05d}" if prefix[1] else f"{order:05d}"
        if len(code) > 64 or len(sort) > 256:
            raise Invalid.field(
                f"Task UID {task.uid} OutlineLevel", "the outline is nested too deeply"
            )
        codes[task.uid] = (code, sort, order)
        stack.append(task)
    # Every task gets its primary key up front, so parents and links can refer to it and
    # all rows go in with one batched INSERT (see _fast_insert).
    task_ids = dict(
        zip((task.uid for task in plan.tasks), _allocate_ids(Task, len(plan.tasks)), strict=True)
    )
    task_rows: list[dict[str, Any]] = []
    for task in plan.tasks:
        code, sort, order = codes[task.uid]
        parent_uid = parent_of[task.uid]
        status = _status(task)
        task_rows.append(
            {
                "id": task_ids[task.uid],
                "project_id": project.pk,
                "parent_id": task_ids[parent_uid] if parent_uid else None,
                "order": order,
                "wbs_code": code,
                "wbs_sort": sort,
                "name": task.name,
                "description": task.notes,
                "milestone": task.milestone,
                "duration_hours": task.duration_hours,
                "duration_minutes": task.duration_minutes,
                "planned_start": _aware(task.start),
                "planned_finish": _aware(task.finish),
                "status": status,
                "percent_complete": task.percent_complete,
                "constraint_type": task.constraint_type,
                "constraint_date": _aware(task.constraint_date),
                "deadline": _aware(task.deadline),
                "priority": task.priority,
                "actual_start": _aware(task.actual_start),
                "actual_finish": _aware(task.actual_finish),
                "completed_at": _aware(task.actual_finish) if status == TaskStatus.DONE else None,
                "splits": [],
                "elapsed": task.elapsed,
            }
        )
    # Parents before children: a database that checks foreign keys per row sees them.
    task_rows.sort(key=lambda row: str(row["wbs_code"]).count("."))

    def written(rows: int) -> None:
        nonlocal done
        done += rows
        if progress:
            progress(min(done, total - 1), total)

    _fast_insert(Task, task_rows, on_batch=lambda rows: written(rows // 2))

    links: dict[tuple[int, int], dict[str, Any]] = {}
    for task in plan.tasks:
        successor = task_ids[task.uid]
        for link in task.links:
            predecessor = task_ids.get(link.predecessor_uid)
            if predecessor is None:
                raise Invalid.field(
                    f"Task UID {task.uid} PredecessorLink",
                    f"predecessor UID {link.predecessor_uid} is not a task of this file",
                )
            if predecessor == successor:
                raise Invalid.field(
                    f"Task UID {task.uid} PredecessorLink", "a task cannot precede itself"
                )
            # MS Project allows one link per pair of tasks, as itpm does; the first wins.
            links.setdefault(
                (predecessor, successor),
                {
                    "project_id": project.pk,
                    "predecessor_id": predecessor,
                    "successor_id": successor,
                    "type": link.type,
                    "lag_hours": link.lag_hours,
                },
            )
    _fast_insert(Dependency, list(links.values()))

    # Resources: matched by name to an existing active one, else created with rates.
    resources: dict[str, Resource] = {}
    existing = {
        resource.name: resource
        for resource in Resource.objects.filter(
            active=True, name__in=[r.name for r in plan.resources]
        ).order_by("-id")
    }
    new_resources = []
    for parsed in plan.resources:
        if parsed.name in existing:
            resources[parsed.uid] = existing[parsed.name]
            continue
        calendar = None
        if parsed.calendar_uid and parsed.calendar_uid in plan.calendars:
            resource_calendar = plan.calendars[parsed.calendar_uid]
            if resource_calendar.uid not in stored_calendars:
                stored_calendars[resource_calendar.uid] = _write_calendar(
                    plan, resource_calendar, project, span
                )
            calendar = stored_calendars[resource_calendar.uid]
        resource = Resource(
            name=parsed.name,
            kind=parsed.kind,
            capacity=parsed.max_units,
            calendar=calendar,
            cost_rate=parsed.standard_rate,
            currency=project.currency,
        )
        new_resources.append((parsed, resource))
        existing[parsed.name] = resource
        resources[parsed.uid] = resource
    for (_, resource), pk in zip(
        new_resources, _allocate_ids(Resource, len(new_resources)), strict=True
    ):
        resource.pk = pk
    _fast_insert(
        Resource,
        [
            {
                "id": resource.pk,
                "name": resource.name,
                "kind": resource.kind,
                "capacity": resource.capacity,
                "calendar_id": resource.calendar_id,
                "cost_rate": resource.cost_rate,
                "currency": resource.currency,
            }
            for _, resource in new_resources
        ],
    )
    rates: list[dict[str, Any]] = []
    for parsed, resource in new_resources:
        by_date = {rate.valid_from: rate.rate for rate in parsed.rates}
        rates.extend(
            {"resource_id": resource.pk, "valid_from": valid_from, "rate": rate}
            for valid_from, rate in sorted(by_date.items())
        )
    _fast_insert(ResourceRate, rates)

    assignments: dict[tuple[int, int], dict[str, Any]] = {}
    for parsed_assignment in plan.assignments:
        assigned_task = task_ids.get(parsed_assignment.task_uid)
        assigned_resource = resources.get(parsed_assignment.resource_uid)
        if assigned_task is None or assigned_resource is None:
            # MS Project keeps assignments of the project summary task (UID 0) and of
            # deleted resources in some files; they carry no plan.
            continue
        assignments.setdefault(
            (assigned_task, assigned_resource.pk),
            {
                "project_id": project.pk,
                "task_id": assigned_task,
                "resource_id": assigned_resource.pk,
                "units": parsed_assignment.units,
            },
        )
    _fast_insert(Assignment, list(assignments.values()))
    if plan.work_segments:
        # Pauses count working time of the calendar the task is scheduled on: its
        # resources' when they have their own (a night shift), else the project's.
        split_ids = {uid: task_ids[uid] for uid in plan.work_segments if uid in task_ids}
        own = task_calendars(project, list(split_ids.values()))
        default = engine_calendar(project.calendar, time_zone="UTC")
        found = _task_splits(plan, lambda uid: own.get(split_ids[uid], default))
        for uid, pauses in found.items():
            Task.objects.filter(pk=split_ids[uid]).update(splits=pauses)

    baseline_rows: dict[int, Baseline] = {}
    entries: list[dict[str, Any]] = []
    finishes: dict[int, dt.datetime] = {}
    names = {task.uid: (codes[task.uid][0], task.name) for task in plan.tasks}
    for task in plan.tasks:
        for parsed_baseline in task.baselines:
            baseline = baseline_rows.get(parsed_baseline.number)
            if baseline is None:
                baseline = Baseline.objects.create(
                    project=project,
                    name="Baseline"
                    if parsed_baseline.number == 0
                    else f"Baseline {parsed_baseline.number}",
                    created_by=actor,
                    active=parsed_baseline.number == 0,
                )
                baseline_rows[parsed_baseline.number] = baseline
            finish = _aware(parsed_baseline.finish)
            if finish and (baseline.pk not in finishes or finishes[baseline.pk] < finish):
                finishes[baseline.pk] = finish
            entries.append(
                {
                    "baseline_id": baseline.pk,
                    "task_id": task_ids[task.uid],
                    "wbs_code": names[task.uid][0],
                    "name": names[task.uid][1],
                    "start": _aware(parsed_baseline.start),
                    "finish": finish,
                    "duration_hours": parsed_baseline.duration_hours,
                    "work_hours": parsed_baseline.work_hours,
                    "cost": parsed_baseline.cost,
                }
            )
    _fast_insert(BaselineTask, entries)
    for baseline_pk, finish in finishes.items():
        Baseline.objects.filter(pk=baseline_pk).update(finish=finish)

    Project.objects.filter(pk=project.pk).update(calendar=project.calendar)
    project_reschedule(project)
    return {
        "tasks": len(task_ids),
        "dependencies": len(links),
        "resources": len(resources),
        "assignments": len(assignments),
        "baselines": len(baseline_rows),
        "calendars": len(stored_calendars),
    }


def _task_splits(
    plan: ParsedPlan, calendar_of: Callable[[str], Calendar]
) -> dict[str, list[list[int]]]:
    """Task UID -> its pauses, from the timephased work (see the module docstring)."""
    by_uid = {task.uid: task for task in plan.tasks}
    result: dict[str, list[list[int]]] = {}
    for uid, raw in plan.work_segments.items():
        task = by_uid.get(uid)
        if (
            task is None
            or task.summary
            or task.milestone
            or task.elapsed
            or task.duration_hours < 2
        ):
            continue
        segments = []
        for start_text, finish_text, worked in raw:
            try:
                start, finish = fmt.parse_datetime(start_text), fmt.parse_datetime(finish_text)
            except ValueError:
                raise Invalid.field(
                    f"Task UID {uid} TimephasedData",
                    f"expected dates like 2024-01-31T08:00:00, got {start_text!r}, {finish_text!r}",
                ) from None
            if finish > start:
                segments.append((start, finish, worked))
        try:
            found = _pauses(segments, calendar_of(uid), task.duration_hours)
        except Invalid as exc:  # more pauses than itpm keeps
            raise Invalid.field(
                f"Task UID {uid} TimephasedData", exc.errors[0].message if exc.errors else str(exc)
            ) from None
        if found:
            result[uid] = found
    return result


def _pauses(
    segments: list[tuple[dt.datetime, dt.datetime, bool]],
    working: Any,
    duration_hours: int,
) -> list[list[int]]:
    """``[[after_hours, pause_hours], ...]`` of one task's work segments.

    The work of all its assignments together: a gap between two stretches of work is a
    pause where a segment with zero work falls in it (a gap without one is time off of
    the resource, not a split). Hours of work before a pause are the working hours from
    the first work to the pause less the earlier pauses.
    """
    merged: list[list[dt.datetime]] = []
    for start, finish in sorted((s, f) for s, f, worked in segments if worked):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], finish)
        else:
            merged.append([start, finish])
    zeros = [(s, f) for s, f, worked in segments if not worked]
    if len(merged) < 2 or not zeros:
        return []

    def minute(moment: dt.datetime) -> int:
        return int(working.working_minute(moment.replace(tzinfo=dt.UTC)))

    origin = minute(merged[0][0])
    paused = 0
    found: list[list[int]] = []
    for (_, stop), (resume, _) in zip(merged, merged[1:], strict=False):
        if not any(s < resume and f > stop for s, f in zeros):
            continue
        stop_minute, resume_minute = minute(stop), minute(resume)
        pause = resume_minute - stop_minute
        after = round((stop_minute - origin - paused) / 60)
        paused += pause
        if round(pause / 60) >= 1 and 0 < after < duration_hours:
            found.append([after, round(pause / 60)])
    return normalize_splits(found[:MAX_SPLITS], duration_hours)


# --------------------------------------------------------------------------- fast inserts
def _allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for ``count`` new rows of ``model``, taken before the rows are written.

    PostgreSQL hands out values of the table's identity sequence. SQLite serializes
    writers and the import holds the write lock already (it created or cleared the
    project first), so the keys after the largest one used so far are free.
    """
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(table)}")  # noqa: S608 - a model's table name  # nosemgrep: itpm-raw-sql-formatted
        largest = int(cursor.fetchone()[0])
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            largest = max(largest, int(row[0]) if row else 0)
        return list(range(largest + 1, largest + 1 + count))


def _fast_insert(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    on_batch: Callable[[int], None] | None = None,
) -> None:
    """Insert plain rows with one prepared statement run over batches (``executemany``).

    ``bulk_create`` builds a model instance per row and one long statement per batch,
    which made a 10,000-task import spend most of its time in Python. The columns come from
    the model, so a column added later gets its default (or NULL) without a change here.
    """
    if not rows:
        return
    given = set(rows[0])
    now = timezone.now()
    fields = [
        column
        for column in model._meta.concrete_fields
        if column.attname in given or not column.primary_key
    ]
    fixed: dict[str, Any] = {}
    for column in fields:
        if column.attname in given:
            continue
        if getattr(column, "auto_now", False) or getattr(column, "auto_now_add", False):
            fixed[column.attname] = now
        elif column.has_default():
            fixed[column.attname] = column.get_default()
        elif column.null:
            fixed[column.attname] = None
        else:
            raise RuntimeError(f"{model.__name__}.{column.name} needs a value")  # a bug here
    names = [column.attname for column in fields]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(column.column)) for column in fields)
    if connection.vendor == "postgresql":
        # COPY streams the rows; psycopg adapts dates, decimals and None itself, but would
        # send a list as an array: a JSON column gets Django's JSON adapter.
        json_columns = {
            column.attname: partial(_prepare, column)
            for column in fields
            if isinstance(column, models.JSONField)
        }
        with connection.cursor() as wrapper:
            raw = wrapper.cursor
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608 - names from the model
                for index, row in enumerate(rows, start=1):
                    values = [row[name] if name in row else fixed[name] for name in names]
                    if json_columns:
                        values = [
                            json_columns[name](value) if name in json_columns else value
                            for name, value in zip(names, values, strict=True)
                        ]
                    copy.write_row(values)
                    if on_batch and index % _BATCH == 0:
                        on_batch(_BATCH)
        if on_batch and len(rows) % _BATCH:
            on_batch(len(rows) % _BATCH)
        return
    adapt_datetime = connection.ops.adapt_datetimefield_value
    converters: list[Callable[[Any], Any]] = []
    for column in fields:
        if isinstance(column, models.DateTimeField):
            converters.append(adapt_datetime)
        elif isinstance(column, models.DateField | models.DecimalField | models.JSONField):
            converters.append(partial(_prepare, column))
        else:
            converters.append(_unchanged)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from the model, values are parameters  # nosemgrep: itpm-raw-sql-formatted
    constant = {
        name: convert(fixed[name])
        for name, convert in zip(names, converters, strict=True)
        if name in fixed
    }
    pairs = list(zip(names, converters, strict=True))
    with connection.cursor() as cursor:
        for first in range(0, len(rows), _BATCH):
            batch = rows[first : first + _BATCH]
            cursor.executemany(
                sql,
                [
                    [
                        constant[name] if name in constant else convert(row[name])
                        for name, convert in pairs
                    ]
                    for row in batch
                ],
            )
            if on_batch:
                on_batch(len(batch))


def _prepare(column: Any, value: Any) -> Any:
    return column.get_db_prep_save(value, connection)


def _unchanged(value: Any) -> Any:
    return value


_BATCH = 2000
