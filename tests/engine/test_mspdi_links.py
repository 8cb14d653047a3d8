"""CPM against the dates MS Project saved in the task-links MSPDI files.

Each file has eight pairs of one-day tasks linked FS (lags 0, 1d, 2d, 1w, 2w), SF, SS
and FF (lag 2d). Start and Finish must match in every file. The late dates and total
slack match in the files saved by Project 2003-2013; Project 2016 and 2019 write the late
finish of a task with a successor as the next working morning (start semantics) and give the predecessors of the
SF and SS links (UIDs 11 and 13) the project finish as their late finish, ignoring the
link in the backward pass. We follow the older, textbook behaviour and pin those
differences here so that any other change shows up.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from itpm.engine.calendar import Calendar
from itpm.engine.cpm import schedule
from itpm.engine.model import Task

from .mspdi_min import read_mspdi

DATA = Path(__file__).resolve().parents[2] / "../shared/data/mspdi/generated/task-links"
FILES = sorted(DATA.glob("*.xml"))
NEWER = ("project2016", "project2019")


def _run(path: Path) -> tuple[object, object, object]:
    project = read_mspdi(path)
    working = {day: hours for day, hours in project.weekday_hours.items() if hours}
    calendar = Calendar(working_days=list(working), weekday_hours=working)
    axis = calendar.axis(project.start.replace(tzinfo=UTC))
    tasks = [Task(task.uid, task.minutes // 60) for task in project.tasks]
    return project, axis, schedule(tasks, project.dependencies())


def test_the_files_are_there() -> None:
    assert len(FILES) == 6


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_start_and_finish_match_ms_project(path: Path) -> None:
    project, axis, result = _run(path)
    assert len(project.tasks) == 16
    for task in project.tasks:
        dates = result[task.uid]
        start = axis.to_datetime(dates.early_start).replace(tzinfo=None)
        finish = axis.to_datetime(dates.early_finish, finish=True).replace(tzinfo=None)
        assert (task.uid, start, finish) == (task.uid, task.start, task.finish)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_late_dates_and_total_slack(path: Path) -> None:
    project, axis, result = _run(path)
    newer = any(tag in path.stem for tag in NEWER)
    differing = []
    for task in project.tasks:
        dates = result[task.uid]
        late_start = axis.to_datetime(dates.late_start).replace(tzinfo=None)
        late_finish = axis.to_datetime(dates.late_finish, finish=True).replace(tzinfo=None)
        if newer and task.late_finish == axis.to_datetime(dates.late_finish).replace(tzinfo=None):
            late_finish = task.late_finish  # the same moment, written as the next morning
        ours = (late_start, late_finish, dates.total_float * 60)
        if ours != (task.late_start, task.late_finish, task.total_slack_minutes):
            differing.append(task.uid)
    assert differing == (["11", "13"] if newer else [])
