"""How pages write a task's duration: exact, to the minute (see itpm.planning.durations)."""

from __future__ import annotations

from typing import Any

from django import template

from itpm.planning.durations import duration_text, exact_minutes

register = template.Library()


@register.filter
def task_duration(task: Any) -> str:
    """``"8h"``, ``"7h30"`` (a 7.5-hour day), ``"0h01"``: ``duration_hours`` is only the
    rounded hours when the task keeps exact minutes."""
    return duration_text(exact_minutes(task))
