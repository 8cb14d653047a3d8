"""The SLA clock: business-hours targets for help-desk tickets.

A target ("first response within 4 business hours") is counted in working minutes of a
queue's ``Calendar``: nights, weekends, holidays and the lunch break do not count. While a
ticket waits on its requester the clock is *paused*: working time inside a pause does not
count either, so the due time moves later by exactly the working time the pause covered.
A ticket that is reopened within the reopen window resumes its resolution clock where it
stopped; the caller expresses that as a pause from the resolution to the reopening.

Everything here is pure: plain datetimes (aware), a calendar and numbers in, a frozen
dataclass out. ``now`` is always an argument.

Semantics, fixed once:

- Due times use *finish* semantics: a target that is used up at the end of a working day
  is due at that day's closing time (Mon 18:00), not at the next opening (Tue 09:00).
- A pause that starts at or after the moment the target is used up does not move the due
  time (the target was already missed or met by then).
- An open pause (``end is None``) freezes the clock: there is no due time until it ends.
- A clock is *stopped* when the target's event happened (the first response was sent, the
  ticket was resolved); it is *met* when that happened no later than the due time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from itpm.engine.calendar import Calendar
from itpm.engine.errors import EngineError

#: A clock this far through its target (by working time) is "approaching".
DEFAULT_WARNING_FRACTION = 0.75


@dataclass(frozen=True)
class Pause:
    """Real time during which the clock did not run (``end`` None: still paused)."""

    start: datetime
    end: datetime | None = None


class ClockStatus(StrEnum):
    RUNNING = "running"  # within target, not yet near it
    WARNING = "warning"  # past the warning fraction, not yet due
    BREACHED = "breached"  # past due and not stopped, or stopped after the due time
    PAUSED = "paused"  # an open pause holds the clock
    MET = "met"  # stopped no later than the due time


@dataclass(frozen=True)
class Clock:
    """Where one SLA target stands at ``now``."""

    target_minutes: int
    elapsed_minutes: int
    remaining_minutes: int  # negative once breached
    due: datetime | None  # None while an open pause holds the clock
    status: ClockStatus
    paused: bool
    stopped: bool

    @property
    def fraction(self) -> float:
        """Share of the target used (1.0 = due now; above 1 = breached)."""
        if self.target_minutes <= 0:
            return 1.0
        return self.elapsed_minutes / self.target_minutes

    @property
    def breached(self) -> bool:
        return self.status is ClockStatus.BREACHED


def _check_aware(moment: datetime, where: str) -> None:
    if moment.tzinfo is None:
        raise EngineError(f"{where}: datetime {moment.isoformat()} has no time zone")


def _pause_spans(
    calendar: Calendar, start: datetime, pauses: Iterable[Pause]
) -> tuple[list[tuple[int, int]], int | None]:
    """Pauses as merged working-minute spans after ``start``, and an open pause's start.

    An open pause ends every span list: anything after it is irrelevant while it holds.
    """
    origin = calendar.working_minute(start)
    spans: list[tuple[int, int]] = []
    open_from: int | None = None
    for pause in sorted(pauses, key=lambda p: p.start):
        _check_aware(pause.start, "pause.start")
        begin = max(calendar.working_minute(pause.start), origin)
        if pause.end is None:
            open_from = begin if open_from is None else min(open_from, begin)
            continue
        _check_aware(pause.end, "pause.end")
        if pause.end < pause.start:
            raise EngineError(
                f"pause: ends {pause.end.isoformat()} before it starts {pause.start.isoformat()}"
            )
        end = max(calendar.working_minute(pause.end), origin)
        if end <= begin:
            continue
        if spans and begin <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((begin, end))
    if open_from is not None:
        # Closed pauses that begin after the open one do not matter while it holds;
        # one that overlaps it is cut at its start (the open pause covers the rest).
        spans = [(b, min(e, open_from)) for b, e in spans if b < open_from]
    return spans, open_from


def _due_minute(origin: int, target_minutes: int, spans: Sequence[tuple[int, int]]) -> int:
    """The working minute at which the target is used up, pauses added."""
    due = origin + target_minutes
    for begin, end in spans:
        if begin < due:
            due += end - begin
        else:
            break
    return due


def due_at(
    calendar: Calendar,
    start: datetime,
    target_minutes: int,
    pauses: Iterable[Pause] = (),
) -> datetime | None:
    """When ``target_minutes`` of business time after ``start`` are used up.

    Working time inside ``pauses`` does not count. None while an open pause that begins
    before the due time holds the clock.
    """
    _check_aware(start, "start")
    if target_minutes < 0:
        raise EngineError(f"target_minutes: must be 0 or more, got {target_minutes}")
    spans, open_from = _pause_spans(calendar, start, pauses)
    origin = calendar.working_minute(start)
    due = _due_minute(origin, target_minutes, spans)
    if open_from is not None and open_from < due:
        return None
    return calendar.moment(due, finish=target_minutes > 0)


def elapsed_minutes(
    calendar: Calendar, start: datetime, until: datetime, pauses: Iterable[Pause] = ()
) -> int:
    """Business minutes the clock ran from ``start`` to ``until`` (pauses left out)."""
    _check_aware(start, "start")
    _check_aware(until, "until")
    origin = calendar.working_minute(start)
    stop = calendar.working_minute(until)
    if stop <= origin:
        return 0
    spans, open_from = _pause_spans(calendar, start, pauses)
    if open_from is not None:
        spans = [*spans, (open_from, max(open_from, stop))]
    paused = sum(max(0, min(end, stop) - begin) for begin, end in spans if begin < stop)
    return stop - origin - paused


def clock(
    calendar: Calendar,
    *,
    start: datetime,
    target_minutes: int,
    now: datetime,
    pauses: Iterable[Pause] = (),
    stopped_at: datetime | None = None,
    warning_fraction: float = DEFAULT_WARNING_FRACTION,
) -> Clock:
    """The state of one SLA target at ``now``.

    ``stopped_at`` is when the target's event happened (first response, resolution);
    after it the clock no longer runs.
    """
    if not 0 < warning_fraction <= 1:
        raise EngineError(f"warning_fraction: must be in (0, 1], got {warning_fraction}")
    pauses = list(pauses)
    due = due_at(calendar, start, target_minutes, pauses)
    until = min(now, stopped_at) if stopped_at is not None else now
    elapsed = elapsed_minutes(calendar, start, until, pauses)
    remaining = target_minutes - elapsed
    paused = stopped_at is None and any(
        p.start <= now and (p.end is None or now < p.end) for p in pauses
    )
    if stopped_at is not None:
        late = due is None or stopped_at > due
        status = ClockStatus.BREACHED if late else ClockStatus.MET
    elif due is not None and now > due:
        status = ClockStatus.BREACHED
    elif paused:
        status = ClockStatus.PAUSED
    elif target_minutes > 0 and elapsed >= warning_fraction * target_minutes:
        status = ClockStatus.WARNING
    else:
        status = ClockStatus.RUNNING
    return Clock(
        target_minutes=target_minutes,
        elapsed_minutes=elapsed,
        remaining_minutes=remaining,
        due=due,
        status=status,
        paused=paused,
        stopped=stopped_at is not None,
    )


def warning_at(
    calendar: Calendar,
    start: datetime,
    target_minutes: int,
    pauses: Iterable[Pause] = (),
    *,
    fraction: float = DEFAULT_WARNING_FRACTION,
) -> datetime | None:
    """When the clock reaches ``fraction`` of its target (the "approaching" notice)."""
    if not 0 < fraction <= 1:
        raise EngineError(f"fraction: must be in (0, 1], got {fraction}")
    return due_at(calendar, start, int(target_minutes * fraction), pauses)


def reopen_resumes(resolved_at: datetime, reopened_at: datetime, window_days: int) -> bool:
    """True when a reopening within ``window_days`` calendar days resumes the old clock.

    Otherwise the reopened ticket starts a fresh resolution clock.
    """
    _check_aware(resolved_at, "resolved_at")
    _check_aware(reopened_at, "reopened_at")
    return timedelta(0) <= reopened_at - resolved_at <= timedelta(days=window_days)
