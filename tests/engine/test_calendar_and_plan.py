"""Calendars (holidays, lunch breaks, start/finish semantics) and PLAN.json I/O."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from itpm.engine.calendar import Calendar, UnionCalendar, resource_capacity_changes
from itpm.engine.errors import CycleError, PlanError
from itpm.engine.plan_json import load_plan, schedule_document

NY = ZoneInfo("America/New_York")
CAL = Calendar(
    working_hours=[("09:00", "13:00"), ("14:00", "18:00")],
    country="US",
    timezone="America/New_York",
    holidays=[date(2027, 1, 19)],
    exceptions={date(2027, 1, 23): [("09:00", "13:00")], date(2027, 1, 22): []},
)
AXIS = CAL.axis(datetime(2027, 1, 4, 9, tzinfo=NY))


def _ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NY)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("position", "start", "finish"),
    [
        (0, _ny(2027, 1, 4, 9), _ny(2026, 12, 31, 18)),  # Jan 1 is a holiday
        (4, _ny(2027, 1, 4, 14), _ny(2027, 1, 4, 13)),  # lunch break
        (8, _ny(2027, 1, 5, 9), _ny(2027, 1, 4, 18)),
        (40, _ny(2027, 1, 11, 9), _ny(2027, 1, 8, 18)),
        (80, _ny(2027, 1, 20, 9), _ny(2027, 1, 15, 18)),  # MLK day + Jan 19
        (96, _ny(2027, 1, 23, 9), _ny(2027, 1, 21, 18)),  # Fri 22 off, Sat 23 on
        (100, _ny(2027, 1, 25, 9), _ny(2027, 1, 23, 13)),
    ],
)
def test_positions_and_semantics(position: int, start: datetime, finish: datetime) -> None:
    assert AXIS.to_datetime(position) == start
    assert AXIS.to_datetime(position, finish=True) == finish
    assert AXIS.to_axis(start) == position
    assert AXIS.to_axis(finish, finish=True) == position
    assert AXIS.to_datetimes([position])[0] == start
    assert AXIS.to_datetimes([position], finish=True)[0] == finish


def test_add_and_between() -> None:
    monday = datetime(2027, 1, 4, 9, tzinfo=NY)
    assert CAL.add(monday, 8 * 60) == datetime(2027, 1, 4, 18, tzinfo=NY)
    assert CAL.add(datetime(2027, 1, 5, 9, tzinfo=NY), -8 * 60) == monday
    assert CAL.working_minutes_between(monday, datetime(2027, 1, 11, 9, tzinfo=NY)) == 40 * 60
    assert AXIS.units_between(monday, datetime(2027, 1, 4, 13, 30, tzinfo=NY)) == 4


def test_resource_vacation_and_part_time() -> None:
    changes = resource_capacity_changes(
        AXIS, vacations=[(date(2027, 1, 6), date(2027, 1, 7))], part_time=0.5
    )
    assert [(c.start, c.capacity) for c in changes] == [(0, 0.5), (16, 0.0), (32, 0.5)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"working_days": ["mnday"]}, "unknown weekday"),
        ({"working_hours": [("13:00", "09:00")]}, "is not after"),
        ({"timezone": "Mars/Base"}, "unknown time zone"),
        ({"country": "XX"}, "no public holidays"),
    ],
)
def test_bad_calendars(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        Calendar(**kwargs)


EXAMPLE: dict[str, Any] = {
    "start": "2027-01-04T09:00:00",
    "calendar": {
        "working_days": ["mon", "tue", "wed", "thu", "fri"],
        "working_hours": [["09:00", "13:00"], ["14:00", "18:00"]],
        "holidays": ["2027-01-19"],
        "country": "US",
        "timezone": "America/New_York",
    },
    "tasks": [
        {"id": "P", "duration_hours": 0},
        {"id": "A", "duration_hours": 16, "parent": "P", "resources": [{"id": "R1", "units": 1}]},
        {"id": "B", "duration_hours": 24, "parent": "P", "resources": [{"id": "R1"}]},
        {"id": "C", "duration_hours": 8, "constraint": {"type": "SNET", "date": "2027-01-06"}},
        {"id": "M", "duration_hours": 0, "milestone": True},
    ],
    "dependencies": [
        {"predecessor": "A", "successor": "C", "type": "FS", "lag_hours": 0},
        {"predecessor": "P", "successor": "M"},
        {"predecessor": "C", "successor": "M"},
    ],
    "resources": [{"id": "R1", "capacity": 1}],
    "risks": [{"id": "K1", "probability": 0.3, "task": "B", "delay_hours": 16}],
}


def test_example_schedule() -> None:
    output = schedule_document(copy.deepcopy(EXAMPLE))
    assert output["finish"] == "2027-01-06T18:00:00-05:00"
    assert output["duration_hours"] == 24
    assert output["critical_path"] == ["B", "M"]
    c = output["tasks"]["C"]
    assert (c["early_start"], c["early_finish"]) == (
        "2027-01-06T09:00:00-05:00",
        "2027-01-06T18:00:00-05:00",
    )
    assert output["tasks"]["M"]["early_start"] == "2027-01-06T18:00:00-05:00"
    assert output["tasks"]["P"]["summary"]


def test_example_leveled() -> None:
    output = schedule_document(copy.deepcopy(EXAMPLE), level=True)
    a, b = output["tasks"]["A"], output["tasks"]["B"]
    assert (
        a["early_finish_hours"] <= b["early_start_hours"]
        or b["early_finish_hours"] <= a["early_start_hours"]
    )
    assert output["duration_hours"] == 40


def test_status_date_and_progress() -> None:
    plan = copy.deepcopy(EXAMPLE)
    plan["tasks"][1].update({"actual_start": "2027-01-04T09:00:00", "percent_complete": 50})
    output = schedule_document(plan, status_date="2027-01-05T09:00:00")
    assert output["tasks"]["A"]["early_finish_hours"] == 16
    assert output["tasks"]["B"]["early_start_hours"] == 8  # not started: from the status date
    assert output["status_date"] == "2027-01-05T09:00:00-05:00"


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    plan = copy.deepcopy(EXAMPLE)
    target: Any = plan
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return plan


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (_broken(["tasks", 3, "duration_hours"], -1), r"tasks\[3\].duration_hours: must be >= 0"),
        (
            _broken(["tasks", 3, "duration_hours"], "8"),
            r"tasks\[3\].duration_hours: expected a number",
        ),
        (
            _broken(["dependencies", 0, "successor"], "Z"),
            r"dependencies\[0\].successor: unknown task id 'Z'",
        ),
        (_broken(["dependencies", 0, "type"], "XX"), r"dependencies\[0\].type"),
        (_broken(["start"], "2027-13-01"), r"^start: expected an ISO date-time"),
        (
            _broken(["calendar", "working_days"], ["mon", "fry"]),
            r"calendar.working_days\[1\]: unknown weekday",
        ),
        (_broken(["calendar", "holidays"], ["soon"]), r"calendar.holidays\[0\]"),
        (
            _broken(["tasks", 3, "constraint"], {"type": "SNET"}),
            r"tasks\[3\].constraint.date: required",
        ),
        (
            _broken(["tasks", 1, "resources"], [{"id": "R9"}]),
            r"tasks\[1\].resources\[0\].id: unknown resource",
        ),
        (_broken(["risks", 0, "probability"], 2), r"risks\[0\].probability"),
        (_broken(["tasks"], "none"), r"^tasks: expected a list"),
    ],
)
def test_bad_plans_name_the_field(plan: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        schedule_document(plan)


def test_cycle_in_plan() -> None:
    plan = copy.deepcopy(EXAMPLE)
    plan["dependencies"].append({"predecessor": "C", "successor": "A"})
    with pytest.raises(CycleError, match="A -> C -> A"):
        schedule_document(plan)


def test_defaults() -> None:
    loaded = load_plan(
        {"start": "2027-01-04T08:00:00", "tasks": [{"id": "A", "duration_hours": 8}]}
    )
    assert loaded.calendar.timezone == "UTC"
    assert loaded.axis.to_datetime(8, finish=True).isoformat() == "2027-01-04T17:00:00+00:00"


def test_a_union_calendar_works_while_any_member_works() -> None:
    """A day shift and a night shift together; a Kolkata shift seen from London."""
    day = Calendar(working_hours=[("08:00", "12:00"), ("13:00", "17:00")], timezone="UTC")
    night = Calendar(working_hours=[("00:00", "06:00"), ("22:00", "24:00")], timezone="UTC")
    both = UnionCalendar([day, night])
    monday = date(2027, 1, 4)
    assert both.periods_on(monday) == ((0, 360), (480, 720), (780, 1020), (1320, 1440))
    assert both.periods_on(date(2027, 1, 9)) == ()  # Saturday: neither works
    start = datetime(2027, 1, 4, 8, 0, tzinfo=ZoneInfo("UTC"))
    # 16 working hours from Monday 08:00: 8 of the day, 2 of the night, 6 after midnight.
    assert both.add(start, 16 * 60) == datetime(2027, 1, 5, 6, 0, tzinfo=ZoneInfo("UTC"))
    # Overlapping members count once.
    assert UnionCalendar([day, day]).periods_on(monday) == day.periods_on(monday)
    london = Calendar(working_hours=[("09:00", "17:00")], timezone="Europe/London")
    kolkata = Calendar(working_hours=[("09:00", "17:00")], timezone="Asia/Kolkata")
    # Kolkata 09:00-17:00 is London 03:30-11:30 in January (UTC+5:30 against UTC+0).
    assert UnionCalendar([london, kolkata]).periods_on(monday) == ((210, 1020),)
    # In July London is UTC+1: Kolkata's day is 04:30-12:30 there.
    july = date(2027, 7, 5)
    assert UnionCalendar([london, kolkata]).periods_on(july) == ((270, 1020),)
    with pytest.raises(PlanError):
        UnionCalendar([])
