"""Round trips: itpm → MSPDI → MPXJ (an independent reader) and itpm → MSPDI → itpm.

MPXJ (LGPL, joniles/mpxj) is the reader most project tools use for MS Project files; the
``mpxj`` package runs it on Java through JPype. Without Java these tests skip and say so.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from itpm.interop.mspdi_export import mspdi_export
from itpm.interop.mspdi_import import mspdi_import
from itpm.planning.models import (
    Assignment,
    BaselineTask,
    CalendarException,
    Dependency,
    Task,
)
from itpm.planning.services import dependency_create, task_create, task_update
from itpm.portfolio.models import Project
from itpm.portfolio.services import project_create

from .mspdi_plan import build_rich_plan

CONSTRAINT_NAMES = {
    "ASAP": "AS_SOON_AS_POSSIBLE", "ALAP": "AS_LATE_AS_POSSIBLE",
    "SNET": "START_NO_EARLIER_THAN", "SNLT": "START_NO_LATER_THAN",
    "FNET": "FINISH_NO_EARLIER_THAN", "FNLT": "FINISH_NO_LATER_THAN",
    "MSO": "MUST_START_ON", "MFO": "MUST_FINISH_ON",
}  # fmt: skip


@pytest.fixture(scope="module")
def mpxj_reader() -> Any:
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the MPXJ round trip needs a `java` on PATH")
    try:
        import jpype
        import mpxj  # noqa: F401 - puts MPXJ's jars on the class path
    except ImportError as exc:
        pytest.skip(f"the mpxj dev dependency is missing ({exc}): run `uv sync`")
    if not jpype.isJVMStarted():
        jpype.startJVM()
    from org.mpxj.reader import UniversalProjectReader

    return UniversalProjectReader()


def _wall(value: dt.datetime | None) -> str | None:
    # The project calendar is in UTC: the file's wall clock is the UTC time.
    return None if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


def _java_text(value: Any) -> str | None:
    return None if value is None else str(value)


def test_mpxj_reads_the_export_field_by_field(
    mpxj_reader: Any, people: dict[str, Any], tmp_path: Path
) -> None:
    from org.mpxj import TimeUnit

    project = build_rich_plan(people["admin"])
    path = tmp_path / "plan.xml"
    path.write_bytes(mspdi_export(project=project))
    read = mpxj_reader.read(str(path))
    properties = read.getProjectProperties()
    tasks = list(Task.objects.filter(project=project).order_by("wbs_sort"))
    theirs = [task for task in read.getTasks() if int(task.getUniqueID()) != 0]
    assert len(theirs) == len(tasks) == 8
    uid_of = {task.pk: index for index, task in enumerate(tasks, start=1)}
    summaries = {task.parent_id for task in tasks}
    for ours, their in zip(tasks, theirs, strict=True):
        hours = their.getDuration().convertUnits(TimeUnit.HOURS, properties).getDuration()
        assert {
            "uid": int(their.getUniqueID()),
            "name": str(their.getName()),
            "outline": int(their.getOutlineLevel()),
            "start": _java_text(their.getStart()),
            "finish": _java_text(their.getFinish()),
            "hours": float(hours),
            "milestone": bool(their.getMilestone()),
            "summary": bool(their.getSummary()),
            "percent": int(their.getPercentageComplete()),
            "constraint": str(their.getConstraintType()),
            "constraint_date": _java_text(their.getConstraintDate()),
            "deadline": _java_text(their.getDeadline()),
            "actual_start": _java_text(their.getActualStart()),
            "actual_finish": _java_text(their.getActualFinish()),
            "priority": int(their.getPriority().getValue()),
            "notes": str(their.getNotes() or ""),
            "baseline": (
                _java_text(their.getBaselineStart()),
                _java_text(their.getBaselineFinish()),
            ),
        } == {
            "uid": uid_of[ours.pk],
            "name": ours.name,
            "outline": ours.wbs_code.count(".") + 1,
            "start": _wall(ours.planned_start),
            "finish": _wall(ours.planned_finish),
            "hours": float(ours.duration_hours),
            "milestone": ours.milestone,
            "summary": ours.pk in summaries,
            "percent": ours.percent_complete,
            "constraint": CONSTRAINT_NAMES[ours.constraint_type],
            "constraint_date": _wall(ours.constraint_date),
            "deadline": _wall(ours.deadline),
            "actual_start": _wall(ours.actual_start),
            "actual_finish": _wall(ours.actual_finish),
            "priority": ours.priority,
            "notes": ours.description,
            "baseline": (_wall(ours.planned_start), _wall(ours.planned_finish)),
        }
    their_links = {
        (
            int(relation.getPredecessorTask().getUniqueID()),
            int(task.getUniqueID()),
            str(relation.getType()),
            float(relation.getLag().convertUnits(TimeUnit.HOURS, properties).getDuration()),
        )
        for task in theirs
        for relation in task.getPredecessors()
    }
    assert their_links == {
        (uid_of[link.predecessor_id], uid_of[link.successor_id], link.type, float(link.lag_hours))
        for link in Dependency.objects.filter(project=project)
    }
    assert len(their_links) == 6
    # Resources with their rate history; assignments with units.
    their_resources = {
        str(resource.getName()): (
            float(resource.getMaxUnits()),
            float(resource.getStandardRate().getAmount()),
            [
                (str(entry.getStartDate())[:10], float(entry.getStandardRate().getAmount()))
                for entry in resource.getCostRateTable(0)
            ],
        )
        for resource in read.getResources()
        if resource.getName() is not None
    }
    assert their_resources["Alice Network"][:2] == (100.0, 80.0)
    assert their_resources["Alice Network"][2][-1] == ("2027-04-01", 95.5)
    assert their_resources["Moving crew"][:2] == (300.0, 40.0)
    their_assignments = {
        (
            int(assignment.getTask().getUniqueID()),
            str(assignment.getResource().getName()),
            float(assignment.getUnits()),
        )
        for assignment in read.getResourceAssignments()
        # The "no resource" placeholder carries the split of a task without resources.
        if assignment.getResource() is not None
    }
    assert their_assignments == {
        (uid_of[a.task_id], a.resource.name, float(a.units * 100))
        for a in Assignment.objects.filter(project=project).select_related("resource")
    }
    # Split tasks: MPXJ sees the stretches of work from the timephased data, around the
    # pause (Order cabling: 8 h, Fri 5 and Mon 8 March off, 16 h over the audit day;
    # Carry servers: 16 h, Thu 18 March off, 16 h).
    their_splits = {
        str(task.getName()): [
            (str(work.getStart()), str(work.getEnd())) for work in task.getWorkSplits()
        ]
        for task in theirs
        if task.getWorkSplits()
    }
    assert their_splits == {
        "Order cabling": [
            ("2027-03-04T08:00", "2027-03-04T17:00"),
            ("2027-03-09T08:00", "2027-03-11T17:00"),
        ],
        "Carry servers": [
            ("2027-03-16T08:00", "2027-03-17T17:00"),
            ("2027-03-19T08:00", "2027-03-22T17:00"),
        ],
    }
    placeholder = [a for a in read.getResourceAssignments() if a.getResource() is None]
    assert [str(a.getTask().getName()) for a in placeholder] == ["Order cabling"]
    # The calendar and its exceptions.
    calendar = read.getDefaultCalendar()
    assert str(calendar.getName()) == "Move calendar"
    exceptions = {
        (
            str(e.getFromDate()),
            str(e.getName()),
            bool(e.getWorking()),
            [(str(r.getStart()), str(r.getEnd())) for r in e].__repr__(),
        )
        for e in calendar.getCalendarExceptions()
    }
    assert exceptions == {
        ("2027-03-10", "Audit day", False, "[]"),
        ("2027-03-13", "Working Saturday", True, "[('09:00', '13:00')]"),
    }


def _plan(project: Project) -> dict[str, Any]:
    """Everything the MSPDI round trip must keep, keyed by WBS code (not database ids)."""
    tasks = list(Task.objects.filter(project=project).order_by("wbs_sort"))
    code = {task.pk: task.wbs_code for task in tasks}
    calendar = project.calendar
    assert calendar is not None
    return {
        "tasks": [
            (
                task.wbs_code,
                task.name,
                task.description,
                task.milestone,
                task.duration_hours,
                task.splits,
                task.planned_start,
                task.planned_finish,
                task.status,
                task.percent_complete,
                task.constraint_type,
                task.constraint_date,
                task.deadline,
                task.priority,
                task.actual_start,
                task.actual_finish,
                task.early_start,
                task.late_finish,
                task.total_float_hours,
                task.critical,
            )
            for task in tasks
        ],  # fmt: skip
        "links": sorted(
            (code[d.predecessor_id], code[d.successor_id], d.type, d.lag_hours)
            for d in Dependency.objects.filter(project=project)
        ),
        "assignments": sorted(
            (code[a.task_id], a.resource_id, a.units)
            for a in Assignment.objects.filter(project=project)
        ),
        "baseline": sorted(
            (e.wbs_code, e.name, e.start, e.finish, e.duration_hours)
            for e in BaselineTask.objects.filter(baseline__project=project, baseline__active=True)
        ),
        "calendar": (calendar.working_days, calendar.working_hours, calendar.timezone),
        "exceptions": sorted(
            (e.date, e.name, e.working, e.working_hours)
            for e in CalendarException.objects.filter(calendar=calendar)
        ),
        "start": project.start_date,
        "finish": project.scheduled_finish,
    }


def test_itpm_to_mspdi_to_itpm_keeps_every_field(people: dict[str, Any]) -> None:
    original = build_rich_plan(people["admin"])
    copy = mspdi_import(
        data=mspdi_export(project=original), actor=people["owner"], project_key="COPY"
    )
    assert copy.key == "COPY" and copy.name == "Data centre move"
    assert _plan(copy) == _plan(original)
    # The split tasks come back split (read from the timephased work), and the placeholder
    # assignment of the one without resources adds no assignment.
    assert {
        task.name: task.splits for task in Task.objects.filter(project=copy).exclude(splits=[])
    } == {"Order cabling": [[8, 16]], "Carry servers": [[16, 8]]}
    # Resources are shared: the copy's assignments use the same two resources.
    assert Assignment.objects.filter(project=copy).values("resource").distinct().count() == 2
    assert {rate.rate for rate in original.assignments.first().resource.rates.all()} >= {
        Decimal("95.50")
    }


def test_split_tasks_in_progress_and_not_started_round_trip(people: dict[str, Any]) -> None:
    """Two pauses each; one task started at 08:00, before the default calendar's 09:00."""
    admin = people["admin"]
    project = project_create(actor=admin, key="SPL", name="Splits", start_date=dt.date(2027, 3, 1))
    started = task_create(actor=admin, project=project, name="Started", duration_hours=40,
                          splits=[[16, 8], [32, 16]])  # fmt: skip
    task_create(actor=admin, project=project, name="Waiting", duration_hours=40,
                splits=[[16, 8], [32, 16]])  # fmt: skip
    started.refresh_from_db()
    task_update(actor=admin, task=started, version=started.version, data={
        "percent_complete": 50, "status": "in_progress",
        "actual_start": dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC),
    })  # fmt: skip
    data = mspdi_export(project=project)
    copy = mspdi_import(data=data, actor=people["owner"], project_key="SPLC")

    def plan(of: Project) -> list[tuple[Any, ...]]:
        return [
            (t.name, t.duration_hours, t.splits, t.planned_start, t.planned_finish)
            for t in Task.objects.filter(project=of).order_by("wbs_sort")
        ]

    assert plan(copy) == plan(project)
    # 16 h on 1-2 March, 8 h off (3 March), 16 h on 4-5 March, 16 h off, 8 h on 10 March.
    assert plan(project)[1][3:] == (
        dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 10, 18, 0, tzinfo=dt.UTC),
    )
    # The file carries the stretches: the started one from its actual start.
    text = data.decode()
    started_block = text[text.index("<TaskUID>1</TaskUID>") :].split("</Assignment>")[0]
    assert started_block.count("<TimephasedData>") == 5
    assert "<Start>2027-03-01T08:00:00</Start>\n        <Finish>2027-03-02T18:00:00</Finish>" in (
        started_block
    )
    assert started_block.count("<Value>PT0H0M0S</Value>") == 2


def test_elapsed_tasks_round_trip(people: dict[str, Any]) -> None:
    """A 72-hour burn-in is written as elapsed hours (DurationFormat 6) and read back so."""
    admin = people["admin"]
    project = project_create(actor=admin, key="BRN", name="Cluster", start_date=dt.date(2027, 3, 1))
    rack = task_create(actor=admin, project=project, name="Rack", duration_hours=32)
    soak = task_create(actor=admin, project=project, name="Burn-in", duration_hours=72,
                       elapsed=True)  # fmt: skip
    dependency_create(actor=admin, project=project, predecessor=rack, successor=soak)
    data = mspdi_export(project=project)
    block = data.decode().split("<Name>Burn-in</Name>")[1].split("</Task>")[0]
    assert "<DurationFormat>6</DurationFormat>" in block and "PT72H0M0S" in block
    copy = mspdi_import(data=data, actor=people["owner"], project_key="BRNC")

    def plan(of: Project) -> list[tuple[Any, ...]]:
        return [
            (t.name, t.duration_hours, t.elapsed, t.planned_start, t.planned_finish)
            for t in Task.objects.filter(project=of).order_by("wbs_sort")
        ]

    assert plan(copy) == plan(project)
    # Friday 5 March 09:00 plus 72 real hours: Monday 8 March 09:00.
    assert plan(project)[1][3:] == (
        dt.datetime(2027, 3, 5, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 8, 9, 0, tzinfo=dt.UTC),
    )


def test_durations_to_the_minute_round_trip(
    mpxj_reader: Any, people: dict[str, Any], tmp_path: Path
) -> None:
    """7 h 30, one minute, 16 h 30 split and 90 elapsed minutes: written to the minute
    (PT7H30M0S), read so by MPXJ (7.5 h) and by itpm (``duration_minutes``), same dates."""
    from org.mpxj import TimeUnit

    admin = people["admin"]
    project = project_create(actor=admin, key="MIN", name="Minutes", start_date=dt.date(2027, 3, 1))
    configure = task_create(actor=admin, project=project, name="Configure", duration_minutes=450)
    check = task_create(actor=admin, project=project, name="Check", duration_minutes=1)
    cable = task_create(actor=admin, project=project, name="Cable", duration_minutes=990,
                        splits=[[8, 16]])  # fmt: skip
    settle = task_create(actor=admin, project=project, name="Settle", duration_minutes=90,
                         elapsed=True)  # fmt: skip
    dependency_create(actor=admin, project=project, predecessor=configure, successor=check)
    dependency_create(actor=admin, project=project, predecessor=check, successor=settle)
    dependency_create(actor=admin, project=project, predecessor=check, successor=cable)
    data = mspdi_export(project=project)
    text = data.decode()

    def block(name: str) -> str:
        return text.split(f"<Name>{name}</Name>")[1].split("</Task>")[0]

    assert "<Duration>PT7H30M0S</Duration>" in block("Configure")
    assert "<Duration>PT0H1M0S</Duration>" in block("Check")
    assert "<Duration>PT1H30M0S</Duration>" in block("Settle")
    assert "<DurationFormat>6</DurationFormat>" in block("Settle")

    def plan(of: Project) -> list[tuple[Any, ...]]:
        return [
            (t.name, t.duration_hours, t.duration_minutes, t.elapsed, t.splits,
             t.planned_start, t.planned_finish)
            for t in Task.objects.filter(project=of).order_by("wbs_sort")
        ]  # fmt: skip

    ours = plan(project)
    assert [row[1:5] for row in ours] == [
        (8, 450, False, []), (0, 1, False, []), (17, 990, False, [[8, 16]]), (2, 90, True, []),
    ]  # fmt: skip
    # 09:00 plus 7 h 30 of working time (the default calendar's lunch hour between).
    assert ours[0][6] == dt.datetime(2027, 3, 1, 17, 30, tzinfo=dt.UTC)
    # MPXJ reads the same durations and dates.
    path = tmp_path / "minutes.xml"
    path.write_bytes(data)
    read = mpxj_reader.read(str(path))
    properties = read.getProjectProperties()
    theirs = [task for task in read.getTasks() if int(task.getUniqueID()) != 0]
    assert [
        (
            str(task.getName()),
            round(
                float(task.getDuration().convertUnits(TimeUnit.HOURS, properties).getDuration()),
                4,
            ),
            _java_text(task.getStart()),
            _java_text(task.getFinish()),
        )
        for task in theirs
    ] == [
        (name, round(minutes / 60, 4), _wall(start), _wall(finish))
        for name, _, minutes, _, _, start, finish in ours
    ]
    # itpm reads its own file back to the minute.
    copy = mspdi_import(data=data, actor=people["owner"], project_key="MINC")
    assert plan(copy) == ours
