"""Every MSPDI file in ../shared/data/mspdi imports; tasks, links and dates match the file.

The files are MPXJ's test data saved by MS Project 98-2019 (see ../shared/data/README.md).
They are read a second time by the small independent reader of the engine tests
(``tests/engine/mspdi_min.py``, stdlib ElementTree), and compared with what the import
stored after the project was rescheduled by itpm's own engine.

Start and finish of every task match MS Project in all 143 files, to the minute. Durations
are kept to the minute (``Task.duration_minutes``): ``baselines`` (7.5 h),
``mspdiassignmentfields`` (71 h 1 min), ``mspdiduration`` 1 and 6 (one minute, one
elapsed minute), ``mspditimephasedsegments`` 10 and 11 (133 h 20 min) and
``mspditimephased`` 35 (138 h 53 min) match to the second. Three durations that MS
Project computed from the work, the units and a contour carry seconds, which itpm rounds
to the minute (its calendars count minutes), so their finish is within a minute of MS
Project's (11:53:00 for 11:53:18), pinned per file below: ``mspditimephased`` 34 (138 h
53 min 18 s), ``mspditimephasedsegments`` 16 (114 h 17 min 6 s) and ``mspdiresource`` 3
(57 h 8 min 24 s).

Tasks whose resources work on their own calendar are scheduled on it, as MS Project
schedules them: a night shift (``mspditimephased`` 9-14, ``sample1`` 24: from 23:00 to
08:00), 24 hours (``mspditimephased`` 17-22), a resource calendar with its own day off
(``mspditimephasedsegments`` 18), and resources on different calendars together (the
union of their working time: ``sample`` 2, 800 hours of a day and a night shift finish
after 50 days; ``mspdiresource`` 2). The pauses of a split task on such a calendar are
counted in its working time (``mspditimephased`` 13, 14, 21, 22).

Elapsed durations (``DurationFormat`` eh, ed, ew, emo: real hours, day and night) are
read as ``Task.elapsed`` and match: ``mspdiduration`` 6 to 10 (one elapsed minute, hour,
day, week and month from Wednesday 08:00 finish at 08:01, 09:00, Thursday, the next
Wednesday and 24 April at 08:00).

Split tasks (zero-work stretches between work in the assignments' timephased data) are
read as ``Task.splits`` and placed with their pauses, as MS Project places them:
``mspdisplittask`` 1 and 2 and ``mspditimephased`` 5, 6, 29, 30, 37, 38 (planned and in
progress, at 100 %, 50 % and 150 % units) match; the pauses are checked by value below.

Actual dates are kept as the file gives them (work done on a Saturday), the finish of a
start-to-finish successor without lag is its predecessor's start moment, and a milestone
held at the project start prints at that start, as MS Project prints them (see
``itpm.planning.scheduling._Given``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from itpm.interop.mspdi_import import mspdi_import
from itpm.planning.models import Dependency, Task
from tests.engine.mspdi_min import read_mspdi

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mspdi"
FILES = sorted(DATA.rglob("*.xml"))

# File -> task UIDs whose finish MS Project gives to the second (within a minute here).
ROUNDED_TO_THE_MINUTE: dict[str, list[str]] = {
    "mspdiresource.xml": ["3"],
    "mspditimephased.xml": ["34"],
    "mspditimephasedsegments.xml": ["16"],
}


def test_all_the_files_are_there() -> None:
    assert len(FILES) == 143


def _stored(project: Any) -> list[Task]:
    return list(Task.objects.filter(project=project).order_by("wbs_sort"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(DATA)))
def test_file_imports_with_its_tasks_links_and_dates(path: Path, people: dict[str, Any]) -> None:
    project = mspdi_import(data=path.read_bytes(), actor=people["owner"])
    reference = read_mspdi(path)
    rows = _stored(project)
    assert len(rows) == len(reference.tasks)
    uid_of = {row.pk: task.uid for row, task in zip(rows, reference.tasks, strict=True)}
    for row, task in zip(rows, reference.tasks, strict=True):
        assert row.name == (task.name.strip() or f"Task {task.uid}")[:300]
    # Links: same pairs, types and lags (whole hours) as the file.
    expected_links = {
        (predecessor, task.uid, kind.value, round(lag_minutes / 60))
        for task in reference.tasks
        for predecessor, kind, lag_minutes, elapsed in task.links
        if not elapsed
    }
    stored_links = {
        (uid_of[link.predecessor_id], uid_of[link.successor_id], link.type, link.lag_hours)
        for link in Dependency.objects.filter(project=project)
    }
    assert {link for link in stored_links if link[:2] in {e[:2] for e in expected_links}} == (
        expected_links
    )
    assert len(stored_links) == sum(len(task.links) for task in reference.tasks)
    # Dates after itpm rescheduled the plan: the leaf tasks' start and finish.
    differing = []
    rounded = []
    for row, task in zip(rows, reference.tasks, strict=True):
        if task.summary:
            continue
        assert row.planned_start is not None and row.planned_finish is not None
        ours = (row.planned_start.replace(tzinfo=None), row.planned_finish.replace(tzinfo=None))
        if ours == (task.start, task.finish):
            continue
        if ours[0] == task.start and abs((ours[1] - task.finish).total_seconds()) < 60:
            rounded.append(task.uid)
        else:
            differing.append((task.uid, ours, (task.start, task.finish)))
    assert differing == []
    assert rounded == ROUNDED_TO_THE_MINUTE.get(path.name, [])


def test_split_tasks_are_read_from_the_timephased_work(people: dict[str, Any]) -> None:
    """The pauses are the zero-work stretches between work, in working hours."""
    project = mspdi_import(data=(DATA / "mspdisplittask.xml").read_bytes(), actor=people["owner"])
    assert [(row.name, row.duration_hours, row.splits) for row in _stored(project)] == [
        # 32 h of work, 3 days without (26 Sep 17:00 to 29 Sep 17:00), 48 h of work.
        ("Split Task 1", 80, [[32, 24]]),
        # 24 h, 2 days off, 40 h, 3 days off (5, 6 and 9 Oct), 56 h.
        ("Split Task 2", 120, [[24, 16], [64, 24]]),
    ]
    timephased = mspdi_import(
        data=(DATA / "mspditimephased.xml").read_bytes(), actor=people["owner"]
    )
    splits = {row.name: row.splits for row in _stored(timephased)}
    names = ("Task 5", "Task 6 - 50%", "Task 5 - 150%", "Task 5 - Night Shift", "Task 5 - 24 Hour")
    assert {name: splits[name] for name in names} == {
        "Task 5": [[32, 24]],
        # In progress: the pause is in the actual work (Type 2), 2 Dec 09:00 to 4 Dec 17:00.
        "Task 6 - 50%": [[64, 23]],
        # 150 % units: 32 h of work take 21 h 20 min of the task's duration.
        "Task 5 - 150%": [[21, 24]],
        # On the resource's calendar: four nights of work (32 h), three nights off.
        "Task 5 - Night Shift": [[32, 24]],
        # 24 hours a day: after 24 hours of work, four days (96 hours) off.
        "Task 5 - 24 Hour": [[24, 96]],
    }
    # Tasks without a zero-work stretch are not split: an empty list (on PostgreSQL too,
    # where the bulk insert must not send a list as an array).
    assert splits["Task 1"] == [] and splits["Task 7"] == [] and splits["Task 1 - 50%"] == []
    # Tasks 5, 6 and 8 (done) of each of the five groups (day, night shift, 24 hours,
    # 50 % and 150 % units) are split.
    assert sum(1 for value in splits.values() if value) == 15


def test_elapsed_durations_are_real_hours(people: dict[str, Any]) -> None:
    project = mspdi_import(data=(DATA / "mspdiduration.xml").read_bytes(), actor=people["owner"])
    rows = {row.name: row for row in _stored(project)}
    assert {name: (row.elapsed, row.duration_hours) for name, row in rows.items()} == {
        "Task 1": (False, 0), "Task 2": (False, 1), "Task 3": (False, 8),
        "Task 4": (False, 40), "Task 5": (False, 160),
        # em, eh, ed, ew, emo: one of each, in real hours.
        "Task 6": (True, 0), "Task 7": (True, 1), "Task 8": (True, 24),
        "Task 9": (True, 168), "Task 10": (True, 720),
    }  # fmt: skip
    assert rows["Task 9"].planned_finish is not None
    assert rows["Task 9"].planned_finish.replace(tzinfo=None).isoformat() == "2009-04-01T08:00:00"


def test_durations_are_kept_to_the_minute(people: dict[str, Any]) -> None:
    """``duration_minutes`` holds a duration that is not whole hours; seconds are rounded."""

    def durations(name: str) -> dict[str, tuple[int, int | None, bool]]:
        project = mspdi_import(data=(DATA / name).read_bytes(), actor=people["owner"])
        return {
            row.name: (row.duration_hours, row.duration_minutes, row.elapsed)
            for row in _stored(project)
        }

    # PT7H30M0S: 450 minutes, 8 h rounded half up.
    assert durations("baselines.xml")["Task One"] == (8, 450, False)
    # PT71H1M0S.
    assert durations("mspdiassignmentfields.xml")["Task One"] == (71, 4261, False)
    minutes = durations("mspdiduration.xml")
    # One working minute, one elapsed minute; whole hours keep duration_minutes empty.
    assert minutes["Task 1"] == (0, 1, False)
    assert minutes["Task 6"] == (0, 1, True)
    assert minutes["Task 3"] == (8, None, False) and minutes["Task 8"] == (24, None, True)
    segments = durations("mspditimephasedsegments.xml")
    # PT133H20M0S; PT114H17M6S loses its 6 seconds.
    assert segments["Task Nine"] == (133, 8000, False)
    assert segments["Task Fifteen"] == (114, 6857, False)
    # PT138H53M18S: 138 h 53 min; its finish is 18 seconds before MS Project's.
    timephased = mspdi_import(
        data=(DATA / "mspditimephased.xml").read_bytes(), actor=people["owner"]
    )
    row = next(row for row in _stored(timephased) if row.name == "Task 2 - 150%")
    assert (row.duration_hours, row.duration_minutes) == (139, 8333)
    assert row.planned_finish is not None
    assert row.planned_finish.replace(tzinfo=None).isoformat() == "2008-12-15T11:53:00"
