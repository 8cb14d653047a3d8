"""Working calendars: the map between real datetimes and the working-time axis.

A ``Calendar`` says when work happens: working weekdays, working periods per day
(``09:00-13:00`` and ``14:00-18:00``), holidays (explicit dates and a country's public
holidays from the ``holidays`` package), and exceptions (extra days off, or working
days such as a working Saturday with their own periods). Wall-clock times are read in
the calendar's IANA time zone, so a working day is 08:00-17:00 local time across daylight
saving changes.

Internally every moment maps to a *working minute*: the number of working minutes since
an anchor date. The calendar keeps a table of all working periods over a date range
(extended lazily in both directions) with the working minutes before each period, so a
conversion is a binary search; ``ProjectAxis.to_datetimes`` converts whole numpy arrays.

A ``ProjectAxis`` binds a calendar to a project start: position 0 is the first working
moment at or after the start, one unit is ``minutes_per_unit`` working minutes.

Start and finish semantics (as MS Project prints them): a position that falls exactly
on the boundary between two working periods is shown as the *beginning* of the next
period when it is a start, and as the *end* of the previous period when it is a finish.
So a one-day task from position 0 to 8 starts Monday 08:00 and finishes Monday 17:00,
and its successor starts Tuesday 08:00.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package
import numpy as np
import numpy.typing as npt

from itpm.engine.errors import PlanError
from itpm.engine.model import CapacityChange

#: Hours as written by people and in PLAN.json: ``(("08:00", "12:00"), ("13:00", "17:00"))``.
Hours = Sequence[tuple[str, str]] | Sequence[Sequence[str]]
#: Working periods of one day in minutes after midnight, ``((480, 720), (780, 1020))``.
Periods = tuple[tuple[int, int], ...]

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WORKING_DAYS = (0, 1, 2, 3, 4)
DEFAULT_WORKING_HOURS: tuple[tuple[str, str], ...] = (("08:00", "12:00"), ("13:00", "17:00"))

_DAY_MINUTES = 24 * 60
_INITIAL_SPAN_DAYS = 400


def parse_clock(text: str, *, where: str = "time") -> int:
    """Minutes after midnight of ``"HH:MM"`` (or ``"HH:MM:SS"``; ``"24:00"`` is allowed)."""
    if not isinstance(text, str):
        raise PlanError(f"{where}: expected a time like '09:00', got {text!r}")
    parts = text.split(":")
    try:
        if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
            raise ValueError
        hours, minutes = int(parts[0]), int(parts[1])
        seconds = int(parts[2]) if len(parts) == 3 else 0
    except ValueError:
        raise PlanError(f"{where}: expected a time like '09:00', got {text!r}") from None
    total = hours * 60 + minutes
    if minutes >= 60 or seconds != 0 or total > _DAY_MINUTES:
        raise PlanError(f"{where}: expected a time like '09:00', got {text!r}")
    return total


def parse_hours(hours: Hours, *, where: str = "working_hours") -> Periods:
    """Turn ``[("09:00", "13:00"), ...]`` into sorted, non-overlapping minute periods."""
    periods: list[tuple[int, int]] = []
    for i, pair in enumerate(hours):
        if isinstance(pair, str) or len(pair) != 2:
            raise PlanError(f"{where}[{i}]: expected a [from, to] pair, got {pair!r}")
        start = parse_clock(pair[0], where=f"{where}[{i}][0]")
        end = parse_clock(pair[1], where=f"{where}[{i}][1]")
        if end <= start:
            raise PlanError(f"{where}[{i}]: {pair[1]} is not after {pair[0]}")
        periods.append((start, end))
    periods.sort()
    for (_, end), (start, _) in zip(periods, periods[1:], strict=False):
        if start < end:
            raise PlanError(f"{where}: working periods overlap")
    return tuple(periods)


def parse_weekday(value: str | int, *, where: str = "working_days") -> int:
    """``"mon"``/``"Monday"``/``0`` -> 0 ... ``"sun"`` -> 6."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if isinstance(value, str):
        short = value[:3].lower()
        if short in WEEKDAY_NAMES and value.lower() in (short, _full_name(short)):
            return WEEKDAY_NAMES.index(short)
    raise PlanError(f"{where}: unknown weekday {value!r} (expected mon, tue, ... sun)")


def _full_name(short: str) -> str:
    return {
        "mon": "monday",
        "tue": "tuesday",
        "wed": "wednesday",
        "thu": "thursday",
        "fri": "friday",
        "sat": "saturday",
        "sun": "sunday",
    }[short]


class Calendar:
    """When work happens, in one time zone.

    ``working_days``: weekdays (``"mon"`` or 0 ... ``"sun"`` or 6), default Monday-Friday.
    ``working_hours``: the day's working periods, default 08:00-12:00 and 13:00-17:00
    (MS Project's Standard calendar). ``weekday_hours`` overrides them for some weekdays.
    ``holidays``: days off; ``country``/``subdivision`` add that country's public holidays
    (``holidays`` package, e.g. ``"US"``/``"NY"``, ``"DE"``/``"BY"``). ``exceptions`` map a
    date to its periods: an empty tuple is a day off, a non-empty one makes the day a
    working day with exactly those periods (a working Saturday), and wins over holidays
    and weekdays. ``timezone`` is an IANA name. ``minutes_per_unit`` is the axis resolution.
    """

    def __init__(
        self,
        *,
        working_days: Iterable[str | int] = DEFAULT_WORKING_DAYS,
        working_hours: Hours = DEFAULT_WORKING_HOURS,
        weekday_hours: Mapping[str | int, Hours] | None = None,
        holidays: Iterable[date] = (),
        country: str | None = None,
        subdivision: str | None = None,
        exceptions: Mapping[date, Hours] | None = None,
        timezone: str = "UTC",
        minutes_per_unit: int = 60,
    ) -> None:
        self.working_days = frozenset(parse_weekday(d) for d in working_days)
        self.working_periods = parse_hours(working_hours)
        self.weekday_periods: dict[int, Periods] = {
            parse_weekday(day, where="weekday_hours"): parse_hours(
                hours, where=f"weekday_hours[{day!r}]"
            )
            for day, hours in (weekday_hours or {}).items()
        }
        self.holidays = frozenset(holidays)
        self.country = country
        self.subdivision = subdivision
        self.exceptions: dict[date, Periods] = {
            day: parse_hours(hours, where=f"exceptions[{day.isoformat()}]")
            for day, hours in (exceptions or {}).items()
        }
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise PlanError(f"timezone: unknown time zone {timezone!r}") from None
        self.timezone = timezone
        if not isinstance(minutes_per_unit, int) or minutes_per_unit < 1:
            raise PlanError("minutes_per_unit: must be a positive integer")
        self.minutes_per_unit = minutes_per_unit
        self._country_holidays: holidays_package.HolidayBase | None = None
        if country is not None:
            try:
                self._country_holidays = holidays_package.country_holidays(
                    country, subdiv=subdivision
                )
            except NotImplementedError:
                raise PlanError(
                    f"country: no public holidays known for {country!r}"
                    + (f" / {subdivision!r}" if subdivision else "")
                ) from None
        if not any(self.periods_on_weekday(d) for d in range(7)) and not any(
            self.exceptions.values()
        ):
            raise PlanError("calendar: has no working time at all")
        # The period table, see _ensure(); built lazily.
        self._anchor: date | None = None
        self._first_day = date.min
        self._end_day = date.min
        self._period_start: npt.NDArray[np.int64] = np.zeros(0, np.int64)
        self._period_length: npt.NDArray[np.int64] = np.zeros(0, np.int64)
        self._worked_before: npt.NDArray[np.int64] = np.zeros(0, np.int64)
        self._period_start_list: list[int] = []
        self._worked_before_list: list[int] = []

    # Rules --------------------------------------------------------------------------

    def periods_on_weekday(self, weekday: int) -> Periods:
        """Working periods of a regular (non-holiday) day with this weekday."""
        if weekday not in self.working_days:
            return ()
        return self.weekday_periods.get(weekday, self.working_periods)

    def is_holiday(self, day: date) -> bool:
        """True for an explicit holiday or a public holiday of the country."""
        if day in self.holidays:
            return True
        return self._country_holidays is not None and day in self._country_holidays

    def periods_on(self, day: date) -> Periods:
        """Working periods (minutes after midnight) of ``day``; ``()`` for a day off."""
        if day in self.exceptions:
            return self.exceptions[day]
        if self.is_holiday(day):
            return ()
        return self.periods_on_weekday(day.weekday())

    def is_working_day(self, day: date) -> bool:
        """True when ``day`` has any working time."""
        return bool(self.periods_on(day))

    # The period table ----------------------------------------------------------------

    def _ensure(self, first: date, end: date) -> None:
        """Make the period table cover days ``[first, end)`` (grown generously)."""
        if self._anchor is None:
            self._anchor = first
            self._build(first - timedelta(days=31), end + timedelta(days=_INITIAL_SPAN_DAYS))
            return
        if first >= self._first_day and end <= self._end_day:
            return
        span = (self._end_day - self._first_day).days
        new_first = min(first - timedelta(days=span // 2), self._first_day)
        new_end = max(end + timedelta(days=span), self._end_day)
        self._build(max(new_first, date(1, 1, 2)), min(new_end, date(9999, 12, 30)))

    def _build(self, first: date, end: date) -> None:
        assert self._anchor is not None
        starts: list[int] = []
        lengths: list[int] = []
        anchor_index = 0
        day = first
        offset = (first - self._anchor).days * _DAY_MINUTES
        while day < end:
            if day == self._anchor:
                anchor_index = len(starts)
            for start, stop in self.periods_on(day):
                starts.append(offset + start)
                lengths.append(stop - start)
            day += timedelta(days=1)
            offset += _DAY_MINUTES
        if not starts:
            raise PlanError("calendar: no working time within a year of the dates used")
        period_start = np.asarray(starts, dtype=np.int64)
        period_length = np.asarray(lengths, dtype=np.int64)
        worked_before = np.zeros(len(starts) + 1, dtype=np.int64)
        np.cumsum(period_length, out=worked_before[1:])
        # Working minute 0 is the start of the anchor day.
        worked_before -= worked_before[anchor_index]
        worked_before = worked_before[:-1]
        self._first_day, self._end_day = first, end
        self._period_start, self._period_length = period_start, period_length
        self._worked_before = worked_before
        self._period_start_list = period_start.tolist()
        self._worked_before_list = worked_before.tolist()

    def _clock_minute(self, moment: datetime) -> int:
        """Wall-clock minutes of ``moment`` since the anchor day's midnight."""
        if moment.tzinfo is None:
            raise PlanError(f"datetime {moment.isoformat()} has no time zone")
        local = moment.astimezone(self.zone)
        day = local.date()
        self._ensure(day, day + timedelta(days=1))
        assert self._anchor is not None
        return (day - self._anchor).days * _DAY_MINUTES + local.hour * 60 + local.minute

    def _ensure_minutes(self, low: int, high: int) -> None:
        """Make the table cover working minutes ``low..high`` with a period to spare."""
        if self._anchor is None:
            raise PlanError("calendar: convert a datetime before converting positions")
        while True:
            grow_back = int(self._worked_before[0]) >= low
            grow_forward = int(self._worked_before[-1] + self._period_length[-1]) <= high
            if not (grow_back or grow_forward):
                return
            span = max((self._end_day - self._first_day).days, 366)
            first, end = self._first_day, self._end_day
            if grow_back:
                if first <= date(2, 1, 1):
                    raise PlanError("date out of range: before year 2")
                first = max(first - timedelta(days=span), date(1, 1, 2))
            if grow_forward:
                if end >= date(9998, 1, 1):
                    raise PlanError("date out of range: after year 9998")
                end = min(end + timedelta(days=span), date(9999, 12, 30))
            self._build(first, end)

    # Scalar conversions ----------------------------------------------------------------

    def working_minute(self, moment: datetime) -> int:
        """Working minutes from the anchor to ``moment`` (time off counts as nothing)."""
        clock = self._clock_minute(moment)
        k = bisect.bisect_right(self._period_start_list, clock) - 1
        if k < 0:
            self._ensure(self._first_day - timedelta(days=366), self._end_day)
            return self.working_minute(moment)
        inside = min(clock - self._period_start_list[k], int(self._period_length[k]))
        return self._worked_before_list[k] + inside

    def moment(self, working_minute: int, *, finish: bool = False) -> datetime:
        """The aware datetime at ``working_minute`` (see the module doc for ``finish``)."""
        self._ensure_minutes(working_minute - 1, working_minute + 1)
        if finish:
            k = bisect.bisect_left(self._worked_before_list, working_minute) - 1
            k = max(k, 0)
        else:
            k = bisect.bisect_right(self._worked_before_list, working_minute) - 1
        clock = self._period_start_list[k] + working_minute - self._worked_before_list[k]
        return self._wall(clock)

    def _wall(self, clock: int) -> datetime:
        assert self._anchor is not None
        naive = datetime.combine(self._anchor, time()) + timedelta(minutes=clock)
        return naive.replace(tzinfo=self.zone)

    def add(self, moment: datetime, minutes: int) -> datetime:
        """``moment`` plus ``minutes`` of working time (negative subtracts).

        A positive amount ends work, so the result uses finish semantics (17:00, not
        08:00 the next day); zero or a negative amount gives a start.
        """
        target = self.working_minute(moment) + minutes
        return self.moment(target, finish=minutes > 0)

    def working_minutes_between(self, start: datetime, finish: datetime) -> int:
        """Working minutes from ``start`` to ``finish`` (negative if ``finish`` is earlier)."""
        return self.working_minute(finish) - self.working_minute(start)

    def axis(self, start: datetime) -> ProjectAxis:
        """The project axis whose position 0 is the first working moment from ``start``."""
        return ProjectAxis(self, start)

    # Vector conversions ---------------------------------------------------------------

    def moments(
        self, working_minutes: npt.NDArray[np.int64], *, finish: bool = False
    ) -> list[datetime]:
        """``moment`` for a whole array, in one pass of numpy searches."""
        if working_minutes.size == 0:
            return []
        self._ensure_minutes(int(working_minutes.min()) - 1, int(working_minutes.max()) + 1)
        if finish:
            k = np.searchsorted(self._worked_before, working_minutes, side="left") - 1
        else:
            k = np.searchsorted(self._worked_before, working_minutes, side="right") - 1
        np.maximum(k, 0, out=k)
        clock = self._period_start[k] + working_minutes - self._worked_before[k]
        assert self._anchor is not None
        base = np.datetime64(self._anchor, "m")
        naive = (base + clock.astype("timedelta64[m]")).astype("datetime64[s]").tolist()
        zone = self.zone
        return [value.replace(tzinfo=zone) for value in naive]


class ProjectAxis:
    """A calendar bound to a project start; positions are integer working units."""

    def __init__(self, calendar: Calendar, start: datetime) -> None:
        self.calendar = calendar
        self.unit = calendar.minutes_per_unit
        self.origin_minute = calendar.working_minute(start)
        self.start = calendar.moment(self.origin_minute)

    def to_axis(self, moment: datetime, *, finish: bool = False) -> int:
        """Position of ``moment``; rounded down for a start, up for a finish."""
        offset = self.calendar.working_minute(moment) - self.origin_minute
        return math.ceil(offset / self.unit) if finish else offset // self.unit

    def to_datetime(self, position: int, *, finish: bool = False) -> datetime:
        """The datetime of ``position`` with start or finish semantics."""
        return self.calendar.moment(self.origin_minute + position * self.unit, finish=finish)

    def to_datetimes(
        self, positions: npt.NDArray[np.int64] | Sequence[int], *, finish: bool = False
    ) -> list[datetime]:
        """``to_datetime`` for many positions at once (fast: numpy searches)."""
        array = np.asarray(positions, dtype=np.int64)
        return self.calendar.moments(self.origin_minute + array * self.unit, finish=finish)

    def units_between(self, start: datetime, finish: datetime) -> float:
        """Working units from ``start`` to ``finish``, as a float (minutes / unit)."""
        return self.calendar.working_minutes_between(start, finish) / self.unit

    def add(self, moment: datetime, units: int) -> datetime:
        """``moment`` plus ``units`` working units (finish semantics when positive)."""
        return self.calendar.add(moment, units * self.unit)


class UnionCalendar(Calendar):
    """Working time when any of ``members`` works (a task done by a day and a night shift).

    A day's periods are the members' periods of that day merged, read in the first
    member's time zone: a member in another zone contributes its periods as they fall on
    that zone's wall clock (a Bangalore shift seen from London).
    """

    def __init__(self, members: Sequence[Calendar], *, minutes_per_unit: int = 60) -> None:
        if not members:
            raise PlanError("calendar: a union needs at least one calendar")
        self.members = tuple(members)
        super().__init__(
            working_days=range(7),
            working_hours=(("00:00", "24:00"),),
            timezone=members[0].timezone,
            minutes_per_unit=minutes_per_unit,
        )

    def is_holiday(self, day: date) -> bool:
        return False

    def periods_on(self, day: date) -> Periods:
        intervals: list[tuple[int, int]] = []
        for member in self.members:
            if member.timezone == self.timezone:
                intervals.extend(member.periods_on(day))
                continue
            # The member's periods of the day before, the day and the day after, as
            # minutes after this zone's midnight of ``day``, clipped to the day.
            midnight = datetime.combine(day, time(), tzinfo=self.zone)
            for offset in (-1, 0, 1):
                other = day + timedelta(days=offset)
                base = datetime.combine(other, time(), tzinfo=member.zone)
                for start, stop in member.periods_on(other):
                    begin = (base + timedelta(minutes=start) - midnight) // timedelta(minutes=1)
                    end = (base + timedelta(minutes=stop) - midnight) // timedelta(minutes=1)
                    begin, end = max(begin, 0), min(end, _DAY_MINUTES)
                    if begin < end:
                        intervals.append((begin, end))
        merged: list[tuple[int, int]] = []
        for start, stop in sorted(intervals):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
            else:
                merged.append((start, stop))
        return tuple(merged)


def resource_capacity_changes(
    axis: ProjectAxis,
    *,
    capacity: float = 1.0,
    vacations: Sequence[tuple[date, date]] = (),
    part_time: float | None = None,
    working_hours: Hours | None = None,
    horizon: int | None = None,
) -> tuple[CapacityChange, ...]:
    """A resource's own calendar as capacity changes on the project axis.

    ``vacations`` are inclusive date ranges with no capacity. ``part_time`` multiplies
    the capacity (0.5 = half time). ``working_hours`` are the resource's own daily
    periods (e.g. mornings only); each project unit then gets the share of its minutes
    that the resource works. Own hours need ``horizon`` (the last axis position to
    describe); past it the resource keeps its final capacity. The result starts with a
    change at position 0 and lists only real changes, sorted by start.
    """
    base = capacity * (part_time if part_time is not None else 1.0)
    if part_time is not None and not 0.0 <= part_time <= 1.0:
        raise PlanError("part_time: must be between 0 and 1")
    if horizon is None:
        ends = [0]
        for _first, last in vacations:
            ends.append(axis.to_axis(_day_end(axis, last), finish=True))
        horizon = max(ends) + 1
    per_unit = np.full(horizon, base, dtype=np.float64)
    if working_hours is not None:
        own = parse_hours(working_hours, where="working_hours")
        starts = axis.to_datetimes(np.arange(horizon, dtype=np.int64))
        calendar = axis.calendar
        for position, moment in enumerate(starts):
            begin = moment.hour * 60 + moment.minute
            project_minutes = _project_minutes_in_unit(calendar, moment.date(), begin, axis.unit)
            shared = sum(_overlap(a, b, s, e) for a, b in project_minutes for s, e in own)
            per_unit[position] = base * shared / axis.unit
    for first, last in vacations:
        if last < first:
            raise PlanError(f"vacations: {last} is before {first}")
        begin = max(axis.to_axis(_day_start(axis, first)), 0)
        end = min(axis.to_axis(_day_end(axis, last), finish=True), horizon)
        per_unit[begin:end] = 0.0
    changes: list[CapacityChange] = []
    previous: float | None = None
    for position, value in enumerate(per_unit.tolist()):
        if value != previous:
            changes.append(CapacityChange(start=position, capacity=value))
            previous = value
    return tuple(changes)


def _day_start(axis: ProjectAxis, day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=axis.calendar.zone)


def _day_end(axis: ProjectAxis, day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=axis.calendar.zone)


def _project_minutes_in_unit(
    calendar: Calendar, day: date, begin: int, unit: int
) -> list[tuple[int, int]]:
    """Clock intervals of the project's working time in one unit starting at ``begin``."""
    intervals: list[tuple[int, int]] = []
    left = unit
    for start, stop in calendar.periods_on(day):
        if stop <= begin or left <= 0:
            continue
        a = max(start, begin)
        b = min(stop, a + left)
        intervals.append((a, b))
        left -= b - a
    return intervals


def _overlap(a: int, b: int, s: int, e: int) -> int:
    return max(0, min(b, e) - max(a, s))
