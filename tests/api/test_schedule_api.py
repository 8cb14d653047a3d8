"""GET /api/v1/projects/{key}/schedule: the engine's results, exactly, in one request."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from itpm.engine import cpm
from itpm.engine.model import Dependency as EngineDependency
from itpm.engine.model import DependencyType as EngineDependencyType
from itpm.planning.gantt_api import ScheduleOut
from itpm.planning.models import (
    Baseline,
    BaselineTask,
    CalendarException,
    Task,
    WorkCalendar,
)
from itpm.planning.scheduling import (
    _engine_task,
    deferred_rescheduling,
    project_axis,
    project_reschedule,
)
from itpm.planning.services import dependency_create, task_create, task_update
from itpm.portfolio.models import Project

UTC = dt.UTC


def when(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


@pytest.fixture
def rich_plan(project: Project, people: dict[str, Any]) -> dict[str, Task]:
    """Summaries, a milestone, every link type, lags and leads, constraints, a deadline."""
    owner = people["owner"]
    calendar = WorkCalendar.objects.create(
        name="Berlin office",
        project=project,
        working_days=[0, 1, 2, 3, 4],
        working_hours=[["08:00", "12:00"], ["13:00", "17:00"]],
        timezone="Europe/Berlin",
    )
    CalendarException.objects.create(calendar=calendar, date=dt.date(2027, 1, 6), name="Epiphany")
    Project.objects.filter(pk=project.pk).update(calendar=calendar, time_zone="Europe/Berlin")
    project.refresh_from_db()

    def make(name: str, **kw: Any) -> Task:
        return task_create(actor=owner, project=project, name=name, **kw)

    with transaction.atomic(), deferred_rescheduling():
        design = make("Design", duration_hours=0)
        spec = make("Specification", parent=design, duration_hours=16)
        review = make("Review", parent=design, duration_hours=4)
        build = make("Build", duration_hours=0)
        code = make("Code", parent=build, duration_hours=40)
        test = make("Test", parent=build, duration_hours=24)
        docs = make(
            "Documentation",
            parent=build,
            duration_hours=12,
            constraint_type="SNET",
            constraint_date=dt.datetime(2027, 1, 20, 8, tzinfo=UTC),
        )
        launch = make("Launch", milestone=True, deadline=dt.datetime(2027, 1, 8, 16, tzinfo=UTC))
        link = dict(actor=owner, project=project)
        dependency_create(**link, predecessor=spec, successor=review)
        dependency_create(**link, predecessor=design, successor=code, lag_hours=-4)
        dependency_create(**link, predecessor=code, successor=test, type="SS", lag_hours=16)
        dependency_create(**link, predecessor=code, successor=docs, type="FF")
        dependency_create(**link, predecessor=review, successor=test, type="SF", lag_hours=8)
        dependency_create(**link, predecessor=test, successor=launch)
    return {t.name: t for t in Task.objects.filter(project=project)}


def test_schedule_round_trips_the_engine_exactly(
    api: Any, project: Project, rich_plan: Any
) -> None:
    response = api("viewer").get("/api/v1/projects/APL/schedule")
    assert response.status_code == 200, response.content
    data = response.json()
    ScheduleOut.model_validate(data)  # the documented shape

    # The same tasks through the engine directly, converted on the same calendar.
    project.refresh_from_db()
    rows = list(Task.objects.filter(project=project).order_by("wbs_sort"))
    axis = project_axis(project)
    links = [
        EngineDependency(str(p), str(s), EngineDependencyType(kind), lag)
        for p, s, kind, lag in project.dependencies.values_list(
            "predecessor_id", "successor_id", "type", "lag_hours"
        )
    ]
    result = cpm.schedule([_engine_task(t, axis) for t in rows], links)

    assert [t["id"] for t in data["tasks"]] == [t.pk for t in rows]
    for task in data["tasks"]:
        engine = result[str(task["id"])]
        early_start = axis.to_datetime(engine.early_start)
        early_finish = axis.to_datetime(engine.early_finish, finish=True)
        late_start = axis.to_datetime(engine.late_start)
        late_finish = axis.to_datetime(engine.late_finish, finish=True)
        if task["milestone"]:
            early_start, late_start = early_finish, late_finish
        assert when(task["early_start"]) == early_start, task["name"]
        assert when(task["early_finish"]) == early_finish, task["name"]
        assert when(task["late_start"]) == late_start, task["name"]
        assert when(task["late_finish"]) == late_finish, task["name"]
        assert when(task["planned_start"]) == early_start, task["name"]
        assert when(task["planned_finish"]) == early_finish, task["name"]
        assert task["total_float_hours"] == engine.total_float, task["name"]
        assert task["free_float_hours"] == engine.free_float, task["name"]
        assert task["critical"] == engine.critical, task["name"]
        assert task["summary"] == engine.summary, task["name"]
    assert when(data["project"]["finish"]) == axis.to_datetime(result.project_finish, finish=True)
    assert set(int(i) for i in result.critical_path) <= set(data["critical_path"])
    critical_leaves = {int(t) for t, s in result.tasks.items() if s.critical and not s.summary}
    assert set(data["critical_path"]) == critical_leaves

    by_id = {t["id"]: t for t in data["tasks"]}
    links_out = {(d["predecessor"], d["successor"]): d for d in data["dependencies"]}
    test, code = rich_plan["Test"], rich_plan["Code"]
    assert links_out[(code.pk, test.pk)]["type"] == "SS"
    assert links_out[(code.pk, test.pk)]["lag_hours"] == 16
    assert by_id[rich_plan["Design"].pk]["summary"] is True
    assert by_id[rich_plan["Launch"].pk]["milestone"] is True
    docs = by_id[rich_plan["Documentation"].pk]
    assert docs["constraint_type"] == "SNET"
    assert when(docs["constraint_date"]) == dt.datetime(2027, 1, 20, 8, tzinfo=UTC)


def test_dates_are_on_the_project_calendar_wall_clock(api: Any, rich_plan: Any) -> None:
    data = api("viewer").get("/api/v1/projects/APL/schedule").json()
    spec = next(t for t in data["tasks"] if t["name"] == "Specification")
    # Monday 4 January 2027, 08:00 in Berlin (UTC+1), written with its offset.
    assert spec["planned_start"] == "2027-01-04T08:00:00+01:00"
    calendar = data["calendar"]
    assert calendar["time_zone"] == "Europe/Berlin"
    assert calendar["hours_per_day"] == 8
    assert calendar["working_days"] == [0, 1, 2, 3, 4]
    # Weekends and the calendar's exception are shaded; working days are not.
    assert "2027-01-06" in calendar["non_working_days"]
    assert "2027-01-09" in calendar["non_working_days"]
    assert "2027-01-05" not in calendar["non_working_days"]
    assert calendar["range_start"] <= "2027-01-04" <= calendar["range_end"]


def test_a_missed_deadline_is_flagged_late(api: Any, rich_plan: Any) -> None:
    data = api("viewer").get("/api/v1/projects/APL/schedule").json()
    launch = next(t for t in data["tasks"] if t["name"] == "Launch")
    assert when(launch["early_finish"]) > when(launch["deadline"])
    assert launch["late"] is True
    assert launch["total_float_hours"] < 0


def test_summary_progress_is_weighted_by_hours(
    api: Any, project: Project, tasks: dict[str, Task], people: Any
) -> None:
    design, code = tasks["design"], tasks["code"]
    task_update(
        actor=people["owner"], task=design, version=design.version, data={"percent_complete": 100}
    )
    data = api("member").get("/api/v1/projects/APL/schedule").json()
    phase = next(t for t in data["tasks"] if t["id"] == tasks["phase"].pk)
    # 16 of 56 hours done.
    assert phase["percent_complete"] == round(100 * 16 / 56)
    assert next(t for t in data["tasks"] if t["id"] == code.pk)["percent_complete"] == 0


@pytest.mark.parametrize(
    ("who", "status", "can_edit"),
    [
        ("viewer", 200, False),
        ("member", 200, True),
        ("manager", 200, True),
        ("owner", 200, True),
        ("admin", 200, True),
        ("outsider", 404, None),
        (None, 401, None),
    ],
)
def test_who_may_read_the_schedule(
    api: Any, tasks: Any, who: str | None, status: int, can_edit: bool | None
) -> None:
    response = api(who).get("/api/v1/projects/APL/schedule")
    assert response.status_code == status
    if can_edit is not None:
        assert response.json()["can_edit"] is can_edit


def test_archived_project_schedule_is_read_only(api: Any, tasks: Any, project: Project) -> None:
    Project.objects.filter(pk=project.pk).update(archived=True)
    assert api("owner").get("/api/v1/projects/APL/schedule").json()["can_edit"] is False


def _baseline(project: Project, name: str, shift: dt.timedelta) -> Baseline:
    baseline = Baseline.objects.create(project=project, name=name)
    BaselineTask.objects.bulk_create(
        BaselineTask(
            baseline=baseline,
            task=task,
            wbs_code=task.wbs_code,
            name=task.name,
            start=task.planned_start - shift if task.planned_start else None,
            finish=task.planned_finish - shift if task.planned_finish else None,
            duration_hours=task.duration_hours,
        )
        for task in Task.objects.filter(project=project)
    )
    return baseline


def test_baseline_overlay_dates_per_task(api: Any, project: Project, tasks: Any) -> None:
    baseline = _baseline(project, "Approved plan", dt.timedelta(days=7))
    plain = api("viewer").get("/api/v1/projects/APL/schedule").json()
    assert plain["baselines"][0]["name"] == "Approved plan"
    assert plain["baseline"] is None
    data = api("viewer").get(f"/api/v1/projects/APL/schedule?baseline={baseline.pk}").json()
    assert data["baseline"]["name"] == "Approved plan"
    entries = {e["task"]: e for e in data["baseline"]["tasks"]}
    code = next(t for t in data["tasks"] if t["id"] == tasks["code"].pk)
    assert when(entries[code["id"]]["start"]) == when(code["planned_start"]) - dt.timedelta(days=7)
    # The chart's range reaches back to the earlier baseline dates.
    assert data["calendar"]["range_start"] <= entries[code["id"]]["start"][:10]


def test_a_baseline_of_another_project_is_refused(
    api: Any, tasks: Any, foreign_project: Project
) -> None:
    foreign = Baseline.objects.create(project=foreign_project, name="Secret")
    response = api("viewer").get(f"/api/v1/projects/APL/schedule?baseline={foreign.pk}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "baseline"


def test_schedule_of_an_empty_project(api: Any, project: Project) -> None:
    data = api("viewer").get("/api/v1/projects/APL/schedule").json()
    assert data["tasks"] == [] and data["dependencies"] == [] and data["critical_path"] == []
    assert data["calendar"]["range_start"] < data["calendar"]["range_end"]


def test_schedule_reads_in_a_fixed_number_of_queries(
    api: Any, project: Project, people: Any, django_assert_max_num_queries: Any
) -> None:
    """200 tasks in 20 phases with 200 links and a baseline: no query per task."""
    owner = people["owner"]
    with transaction.atomic(), deferred_rescheduling():
        previous = None
        for phase_number in range(20):
            phase = task_create(actor=owner, project=project, name=f"Phase {phase_number}")
            for i in range(9):
                task = task_create(
                    actor=owner, project=project, name=f"Task {phase_number}.{i}",
                    parent=phase, duration_hours=4 + i,
                )  # fmt: skip
                if previous is not None:
                    dependency_create(
                        actor=owner, project=project, predecessor=previous, successor=task
                    )
                previous = task
    project_reschedule(project)
    assert Task.objects.filter(project=project).count() == 200
    baseline = _baseline(project, "B1", dt.timedelta(0))
    client = api("viewer")
    client.get("/api/v1/projects/APL/schedule")  # warm the token and session lookups
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/v1/projects/APL/schedule?baseline={baseline.pk}")
    assert response.status_code == 200
    data = response.json()
    assert len(data["tasks"]) == 200
    assert len(data["dependencies"]) == 179
    assert len(data["baseline"]["tasks"]) == 200
