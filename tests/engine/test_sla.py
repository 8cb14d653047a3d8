"""The SLA clock on hand-computed cases: weekends, holidays, lunch breaks and pauses.

The calendar is a service desk's: Monday to Friday, 09:00-13:00 and 14:00-18:00 (a lunch
hour), UTC unless a case says otherwise. 2027-01-04 is a Monday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from itpm.engine.calendar import Calendar
from itpm.engine.errors import EngineError
from itpm.engine.sla import (
    ClockStatus,
    Pause,
    clock,
    due_at,
    elapsed_minutes,
    reopen_resumes,
    warning_at,
)

UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
HOURS = [("09:00", "13:00"), ("14:00", "18:00")]
DESK = Calendar(working_hours=HOURS)
# Tuesday 2027-01-05 is a company holiday.
DESK_WITH_HOLIDAY = Calendar(working_hours=HOURS, exceptions={date(2027, 1, 5): []})
# Martin Luther King Jr. Day, Monday 2027-01-18, from the holidays package.
US_DESK = Calendar(working_hours=HOURS, country="US")
BERLIN_DESK = Calendar(working_hours=HOURS, timezone="Europe/Berlin")
# A 24x7 desk for P1 incidents.
ROUND_THE_CLOCK = Calendar(working_days=range(7), working_hours=[("00:00", "24:00")])


def at(day: int, hour: int, minute: int = 0, *, month: int = 1, zone: ZoneInfo = UTC) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=zone)


H = 60  # minutes in an hour


DUE_CASES = [
    # (why, calendar, start, target minutes, pauses, due)
    ("inside the morning", DESK, at(4, 10), 2 * H, [], at(4, 12)),
    ("across the lunch hour", DESK, at(4, 12), 2 * H, [], at(4, 15)),
    ("used up at closing time is due at closing, not next morning", DESK, at(4, 16), 2 * H, [],
     at(4, 18)),
    ("over the weekend", DESK, at(8, 16), 4 * H, [], at(11, 11)),
    ("raised on Saturday starts Monday morning", DESK, at(9, 10), 1 * H, [], at(11, 10)),
    ("raised before opening", DESK, at(4, 7), 1 * H, [], at(4, 10)),
    ("raised during lunch starts at 14:00", DESK, at(4, 13, 30), 30, [], at(4, 14, 30)),
    ("raised after closing", DESK, at(4, 20), 1 * H, [], at(5, 10)),
    ("a company holiday is skipped", DESK_WITH_HOLIDAY, at(4, 17), 2 * H, [], at(6, 10)),
    ("a public holiday (MLK day) is skipped", US_DESK, at(15, 17), 2 * H, [], at(19, 10)),
    ("a full business day", DESK, at(4, 9), 8 * H, [], at(4, 18)),
    ("five business days span a weekend", DESK, at(6, 9), 40 * H, [], at(12, 18)),
    ("zero target is due at the start", DESK, at(4, 10), 0, [], at(4, 10)),
    ("24x7 calendar counts nights", ROUND_THE_CLOCK, at(9, 23), 2 * H, [], at(10, 1)),
    ("a pause inside the target moves it by the paused time", DESK, at(4, 9), 4 * H,
     [Pause(at(4, 10), at(4, 11, 30))], at(4, 15, 30)),
    ("a pause over the weekend counts only its business time", DESK, at(8, 15), 4 * H,
     [Pause(at(8, 16), at(11, 10))], at(11, 13)),
    ("a pause after the due time changes nothing", DESK, at(4, 9), 2 * H,
     [Pause(at(4, 12), at(4, 16))], at(4, 11)),
    ("a pause during lunch costs nothing", DESK, at(4, 12), 2 * H,
     [Pause(at(4, 13), at(4, 14))], at(4, 15)),
    ("overlapping pauses count once", DESK, at(4, 9), 2 * H,
     [Pause(at(4, 10), at(4, 11)), Pause(at(4, 10, 30), at(4, 11, 30))], at(4, 12, 30)),
    ("two pauses add up", DESK, at(4, 9), 2 * H,
     [Pause(at(4, 9, 30), at(4, 10)), Pause(at(4, 10, 30), at(4, 11))], at(4, 12)),
    ("a pause that began before the ticket counts from the start", DESK, at(4, 10), 1 * H,
     [Pause(at(4, 9), at(4, 11))], at(4, 12)),
    # Resolved Mon 11:00 after 2h of an 8h target, reopened Tue 10:00: 6h remain.
    ("reopening resumes the clock where it stopped", DESK, at(4, 9), 8 * H,
     [Pause(at(4, 11), at(5, 10))], at(5, 17)),
    ("hours are read in the calendar's zone", BERLIN_DESK, at(4, 8, 30), 1 * H, [],
     at(4, 10, 30, zone=BERLIN)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("calendar", "start", "target", "pauses", "due"),
    [pytest.param(*case[1:], id=case[0]) for case in DUE_CASES],
)
def test_due_time(
    calendar: Calendar, start: datetime, target: int, pauses: list[Pause], due: datetime
) -> None:
    assert due_at(calendar, start, target, pauses) == due


def test_an_open_pause_that_holds_the_clock_has_no_due_time() -> None:
    assert due_at(DESK, at(4, 9), 4 * H, [Pause(at(4, 10))]) is None


def test_an_open_pause_after_the_due_time_keeps_the_due_time() -> None:
    assert due_at(DESK, at(4, 9), 1 * H, [Pause(at(4, 12))]) == at(4, 10)


ELAPSED_CASES = [
    ("the lunch hour does not count", DESK, at(4, 9), at(4, 15), [], 5 * H),
    ("a pause does not count", DESK, at(4, 9), at(4, 15), [Pause(at(4, 10), at(4, 11))], 4 * H),
    ("the weekend does not count", DESK, at(8, 17), at(11, 10), [], 2 * H),
    ("an open pause stops the count", DESK, at(4, 9), at(4, 17), [Pause(at(4, 11))], 2 * H),
    ("nothing before the start", DESK, at(4, 12), at(4, 10), [], 0),
    ("a holiday does not count", DESK_WITH_HOLIDAY, at(4, 17), at(6, 10), [], 2 * H),
]  # fmt: skip


@pytest.mark.parametrize(
    ("calendar", "start", "until", "pauses", "minutes"),
    [pytest.param(*case[1:], id=case[0]) for case in ELAPSED_CASES],
)
def test_elapsed_business_minutes(
    calendar: Calendar, start: datetime, until: datetime, pauses: list[Pause], minutes: int
) -> None:
    assert elapsed_minutes(calendar, start, until, pauses) == minutes


CLOCK_CASES = [
    # (why, now, pauses, stopped_at, status, elapsed, remaining)  start Mon 09:00, 4h target
    ("early on", at(4, 10), [], None, ClockStatus.RUNNING, 1 * H, 3 * H),
    ("three quarters used is a warning", at(4, 12), [], None, ClockStatus.WARNING, 3 * H, 1 * H),
    ("due exactly now is not yet breached", at(4, 13), [], None, ClockStatus.WARNING, 4 * H, 0),
    ("past due is breached", at(4, 15), [], None, ClockStatus.BREACHED, 5 * H, -1 * H),
    ("waiting on the requester is paused", at(4, 15), [Pause(at(4, 10))], None,
     ClockStatus.PAUSED, 1 * H, 3 * H),
    ("answered in time is met", at(4, 17), [], at(4, 11), ClockStatus.MET, 2 * H, 2 * H),
    ("answered late is breached", at(4, 17), [], at(4, 16), ClockStatus.BREACHED, 6 * H, -2 * H),
]  # fmt: skip


@pytest.mark.parametrize(
    ("now", "pauses", "stopped_at", "status", "elapsed", "remaining"),
    [pytest.param(*case[1:], id=case[0]) for case in CLOCK_CASES],
)
def test_clock_state(
    now: datetime,
    pauses: list[Pause],
    stopped_at: datetime | None,
    status: ClockStatus,
    elapsed: int,
    remaining: int,
) -> None:
    state = clock(
        DESK, start=at(4, 9), target_minutes=4 * H, now=now, pauses=pauses, stopped_at=stopped_at
    )
    assert (state.status, state.elapsed_minutes, state.remaining_minutes) == (
        status,
        elapsed,
        remaining,
    )


def test_a_paused_clock_has_no_due_time_and_is_not_breached_while_paused() -> None:
    state = clock(
        DESK, start=at(4, 9), target_minutes=1 * H, now=at(6, 12), pauses=[Pause(at(4, 9, 30))]
    )
    assert state.due is None and state.paused and not state.breached
    assert state.fraction == 0.5


def test_warning_time_is_three_quarters_of_the_target() -> None:
    # 8h target from Mon 09:00: 6h in is Mon 16:00 (lunch skipped).
    assert warning_at(DESK, at(4, 9), 8 * H) == at(4, 16)


@pytest.mark.parametrize(
    ("resolved", "reopened", "days", "resumes"),
    [
        (at(4, 9), at(8, 9), 5, True),
        (at(4, 9), at(9, 9), 5, True),  # exactly the window
        (at(4, 9), at(9, 9, 1), 5, False),
        (at(4, 9), at(4, 8), 5, False),  # before the resolution: nonsense, no resume
    ],
)
def test_reopen_window(resolved: datetime, reopened: datetime, days: int, resumes: bool) -> None:
    assert reopen_resumes(resolved, reopened, days) is resumes


@pytest.mark.parametrize(
    "call",
    [
        lambda: due_at(DESK, datetime(2027, 1, 4, 9), 60),  # noqa: DTZ001 - the point
        lambda: due_at(DESK, at(4, 9), -1),
        lambda: due_at(DESK, at(4, 9), 60, [Pause(at(4, 12), at(4, 10))]),
        lambda: clock(DESK, start=at(4, 9), target_minutes=60, now=at(4, 9), warning_fraction=0),
    ],
    ids=["naive datetime", "negative target", "pause ends before it starts", "bad fraction"],
)
def test_bad_input_is_an_engine_error(call: object) -> None:
    with pytest.raises(EngineError):
        call()  # type: ignore[operator]


def test_due_is_monotonic_in_the_target() -> None:
    start = at(8, 16, 45)
    dues = [due_at(DESK, start, minutes) for minutes in range(0, 3 * 8 * H, 37)]
    assert all(
        a is not None and b is not None and a <= b for a, b in zip(dues, dues[1:], strict=False)
    )
    assert dues[-1] is not None and dues[-1] - start < timedelta(days=7)
