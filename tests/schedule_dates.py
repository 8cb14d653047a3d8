"""A task's stored start and finish as a person reads them off the plan ("Mon 04 09:00")."""

from __future__ import annotations

import datetime as dt

from itpm.planning.models import Task


def dates(task: Task) -> tuple[str, str]:
    """Start and finish (UTC wall clock, weekday and day of the month), freshly read."""
    task.refresh_from_db()
    assert task.planned_start is not None and task.planned_finish is not None
    return (
        task.planned_start.astimezone(dt.UTC).strftime("%a %d %H:%M"),
        task.planned_finish.astimezone(dt.UTC).strftime("%a %d %H:%M"),
    )
