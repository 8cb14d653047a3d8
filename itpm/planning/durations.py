"""Durations to the minute: ``Task.duration_minutes`` beside ``Task.duration_hours``.

Most plans count whole working hours, and ``duration_hours`` is all they store. A task
whose duration is not whole hours (a 7.5-hour day of a 37.5-hour week, the 71 h 1 min MS
Project computed) keeps the exact minutes in ``duration_minutes``, and ``duration_hours``
holds them rounded to the hour (half up) for sums and short displays. The scheduler
reads the exact value: it schedules such a project on an axis fine enough for every
duration (``axis_minutes``), so whole-hour plans are scheduled exactly as before.

Pure functions; the services keep the two fields consistent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from itpm.core.errors import Invalid

MAX_DURATION_HOURS = 100_000


def hours_of(minutes: int) -> int:
    """Minutes rounded to the hour, half up (7 h 30 -> 8 h)."""
    return (minutes + 30) // 60


def exact_minutes(task: Any) -> int:
    """A task's (or row's) duration in minutes."""
    minutes = getattr(task, "duration_minutes", None)
    return int(minutes) if minutes is not None else int(task.duration_hours) * 60


def stored(minutes: int) -> tuple[int, int | None]:
    """``(duration_hours, duration_minutes)`` to store for a duration in minutes."""
    return hours_of(minutes), (None if minutes % 60 == 0 else minutes)


def clean_minutes(value: Any, field: str = "duration_minutes") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid.field(field, "must be a whole number of minutes")
    if not 0 <= value <= MAX_DURATION_HOURS * 60:
        raise Invalid.field(field, f"must be from 0 to {MAX_DURATION_HOURS * 60} minutes")
    return value


def axis_minutes(durations: Iterable[int]) -> int:
    """The coarsest axis unit (minutes, dividing 60) on which every duration is exact."""
    unit = 60
    for minutes in durations:
        unit = math.gcd(unit, minutes)
        if unit == 1:
            break
    return unit


def duration_text(minutes: int) -> str:
    """``"8h"``, ``"7h30"``, ``"0h01"``: how the plan shows a duration."""
    hours, rest = divmod(minutes, 60)
    return f"{hours}h" if not rest else f"{hours}h{rest:02d}"
