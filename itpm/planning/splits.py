"""Split tasks: work that stops for a while and resumes (MS Project's "Split Task").

A task's ``splits`` are its pauses, ``[[after_hours, pause_hours], ...]``: the work stops
once ``after_hours`` of its ``duration_hours`` are done and resumes ``pause_hours``
working hours later (a change freeze, a vendor's lead time, the team pulled onto an
incident). The duration stays the hours of work; the task's span on the calendar is the
duration plus its pauses, and that span is what the schedule, leveling, forecasts and
what-if analyses place, as MS Project does.

Pure functions on plain lists; the services store the normalized list on the task.
"""

from __future__ import annotations

import json
from typing import Any

from itpm.core.errors import Invalid

MAX_SPLITS = 50
MAX_PAUSE_HOURS = 100_000

Splits = list[list[int]]


def normalize_splits(value: Any, duration_hours: int) -> Splits:
    """The pauses sorted by where they fall; a clear 422 naming ``splits`` otherwise.

    Each pause must fall strictly inside the work (after 1 to duration - 1 hours) and
    last at least one working hour; two pauses at the same point are one longer pause.
    """
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise Invalid.field("splits", "expected a list of [after_hours, pause_hours] pairs")
    if len(value) > MAX_SPLITS:
        raise Invalid.field("splits", f"at most {MAX_SPLITS} pauses")
    merged: dict[int, int] = {}
    for i, item in enumerate(value):
        pair = _pair(item)
        if pair is None:
            raise Invalid.field(
                "splits", f"item {i + 1}: expected [after_hours, pause_hours] as whole numbers"
            )
        after, pause = pair
        if not 0 < after < duration_hours:
            raise Invalid.field(
                "splits",
                f"item {i + 1}: a pause after {after} h must fall inside the work "
                f"(1 to {max(duration_hours - 1, 0)} h of {duration_hours} h)",
            )
        if not 0 < pause <= MAX_PAUSE_HOURS:
            raise Invalid.field(
                "splits", f"item {i + 1}: a pause lasts 1 to {MAX_PAUSE_HOURS} working hours"
            )
        merged[after] = merged.get(after, 0) + pause
    if sum(merged.values()) > MAX_PAUSE_HOURS:
        raise Invalid.field("splits", f"the pauses add up to more than {MAX_PAUSE_HOURS} h")
    return [[after, merged[after]] for after in sorted(merged)]


def _pair(item: Any) -> tuple[int, int] | None:
    if isinstance(item, dict):
        item = (item.get("after_hours"), item.get("pause_hours"))
    if not isinstance(item, list | tuple) or len(item) != 2:
        return None
    after, pause = item
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (after, pause)):
        return None
    return after, pause


def splits_from_text(text: str | None) -> Splits:
    """The pauses from their JSON text (read as text: decoding 5,000 empty lists as JSON
    costs more than the rest of a plan's read)."""
    if not text or text == "[]":
        return []
    value = json.loads(text)
    return value if isinstance(value, list) else []


def within(splits: Splits | None, duration_hours: int) -> Splits:
    """The pauses that still fall inside a (new) duration; the others are dropped."""
    return [[after, pause] for after, pause in splits or [] if 0 < after < duration_hours]


def pause_hours(splits: Splits | None) -> int:
    return sum(pause for _, pause in splits or [])


def span_hours(duration_hours: int, splits: Splits | None) -> int:
    """Working hours from the task's start to its finish: the work and its pauses."""
    return duration_hours + pause_hours(splits)


def remaining_span(remaining_hours: int, duration_hours: int, splits: Splits | None) -> int:
    """The span still ahead of an in-progress task: its remaining work and the pauses that
    fall after the work already done."""
    done = duration_hours - remaining_hours
    return remaining_hours + sum(pause for after, pause in splits or [] if after >= done)


def pauses_on_span(splits: Splits | None) -> list[tuple[int, int]]:
    """Each pause as (from, to) working hours after the task's start, for drawing."""
    result = []
    before = 0
    for after, pause in splits or []:
        result.append((after + before, after + before + pause))
        before += pause
    return result


def splits_text(splits: Splits | None) -> str:
    """``"16:24, 40:8"`` (after:pause hours), how the task form shows and reads them."""
    return ", ".join(f"{after}:{pause}" for after, pause in splits or [])


def parse_splits_text(text: str) -> Splits:
    """Read ``"16:24, 40:8"``; raises Invalid naming ``splits`` on anything else."""
    result: Splits = []
    for written in (text or "").replace(";", ",").split(","):
        part = written.strip().replace(" ", "").lower().replace("h", "")
        if not part:
            continue
        after, sep, pause = part.partition(":")
        if not sep or not after.isdigit() or not pause.isdigit():
            raise Invalid.field(
                "splits", f"{written.strip()!r}: write each pause as after:pause hours, e.g. 16:24"
            )
        result.append([int(after), int(pause)])
    return result
