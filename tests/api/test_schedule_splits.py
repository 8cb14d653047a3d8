"""GET /api/v1/projects/{key}/schedule for split tasks: each pause as dated interval.

APL starts on Monday 4 January 2027 on the default calendar (Monday–Friday 09:00–13:00
and 14:00–18:00, UTC, 8 working hours a day). In the ``tasks`` fixture Design (16 h)
precedes Code (40 h), so Code starts on Wednesday 6 January at 09:00.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from itpm.planning.gantt_api import ScheduleOut
from itpm.planning.models import CalendarException, Task, WorkCalendar
from itpm.planning.scheduling import deferred_rescheduling, project_reschedule
from itpm.planning.services import task_create, task_update
from itpm.portfolio.models import Project

pytestmark = pytest.mark.django_db


def schedule(api: Any) -> dict[int, dict[str, Any]]:
    response = api("viewer").get("/api/v1/projects/APL/schedule")
    assert response.status_code == 200, response.content
    data = response.json()
    ScheduleOut.model_validate(data)
    return {task["id"]: task for task in data["tasks"]}


def split(task: Task, splits: list[list[int]], actor: Any) -> Task:
    fresh = Task.objects.get(pk=task.pk)
    return task_update(actor=actor, task=fresh, version=fresh.version, data={"splits": splits})


def test_a_task_that_is_not_split_has_no_pauses(api: Any, tasks: dict[str, Task]) -> None:
    by_id = schedule(api)
    assert all(task["pauses"] == [] for task in by_id.values())


def test_a_split_on_monday_pauses_from_tuesday_evening_to_the_next_monday(
    api: Any, project: Project, people: Any
) -> None:
    # 40 h of work from Monday 09:00, paused after 16 h (two days) for 24 working hours
    # (three days): the work stops on Tuesday at 18:00 and resumes on Monday 11 January
    # at 09:00; the last 24 h run Monday to Wednesday 13 January, 18:00.
    task = task_create(actor=people["owner"], project=project, name="Migrate", duration_hours=40)
    split(task, [[16, 24]], people["owner"])

    data = schedule(api)[task.pk]

    assert data["duration_hours"] == 40
    assert data["planned_start"] == "2027-01-04T09:00:00+00:00"
    assert data["pauses"] == [["2027-01-05T18:00:00+00:00", "2027-01-11T09:00:00+00:00"]]
    assert data["planned_finish"] == "2027-01-13T18:00:00+00:00"


def test_two_pauses_follow_each_other_on_the_span(
    api: Any, tasks: dict[str, Task], people: Any
) -> None:
    # Code: Wednesday 6 January 09:00. After 4 h (13:00) it pauses 4 h (resumes Thursday
    # 09:00: the afternoon is the pause); 16 h of work later (20 in all, Friday 18:00) it
    # pauses 2 h and resumes on Monday at 11:00.
    split(tasks["code"], [[4, 4], [20, 2]], people["owner"])
    code = schedule(api)[tasks["code"].pk]
    assert code["pauses"] == [
        ["2027-01-06T13:00:00+00:00", "2027-01-07T09:00:00+00:00"],
        ["2027-01-08T18:00:00+00:00", "2027-01-11T11:00:00+00:00"],
    ]
    # 40 h of work and 6 h of pauses: 46 working hours from Wednesday 09:00.
    assert code["planned_finish"] == "2027-01-13T16:00:00+00:00"


def test_pauses_follow_the_project_calendar_zone_and_days_off(
    api: Any, project: Project, tasks: dict[str, Task], people: Any
) -> None:
    calendar = WorkCalendar.objects.create(
        name="Berlin office",
        project=project,
        working_days=[0, 1, 2, 3, 4],
        working_hours=[["08:00", "12:00"], ["13:00", "17:00"]],
        timezone="Europe/Berlin",
    )
    # A day off inside the pause: it is not a working hour, so the pause runs a day longer.
    CalendarException.objects.create(calendar=calendar, date=dt.date(2027, 1, 7), name="Off")
    Project.objects.filter(pk=project.pk).update(calendar=calendar, time_zone="Europe/Berlin")
    project.refresh_from_db()
    project_reschedule(project)
    split(tasks["code"], [[8, 16]], people["owner"])

    code = schedule(api)[tasks["code"].pk]
    # Design: Monday and Tuesday; Code starts Wednesday 08:00 Berlin time, works the day,
    # and pauses for Friday and Monday (Thursday is off).
    assert code["planned_start"] == "2027-01-06T08:00:00+01:00"
    assert code["pauses"] == [["2027-01-06T17:00:00+01:00", "2027-01-12T08:00:00+01:00"]]


def test_shortening_the_work_drops_a_pause_from_the_chart(
    api: Any, tasks: dict[str, Task], people: Any
) -> None:
    code = split(tasks["code"], [[8, 8], [32, 8]], people["owner"])
    assert len(schedule(api)[code.pk]["pauses"]) == 2
    task_update(actor=people["owner"], task=code, version=code.version,
                data={"duration_hours": 16})  # fmt: skip
    data = schedule(api)[code.pk]
    assert data["pauses"] == [["2027-01-06T18:00:00+00:00", "2027-01-08T09:00:00+00:00"]]
    assert data["planned_finish"] == "2027-01-08T18:00:00+00:00"


def test_split_tasks_keep_the_read_in_a_fixed_number_of_queries(
    api: Any, project: Project, people: Any, django_assert_max_num_queries: Any
) -> None:
    owner = people["owner"]
    with transaction.atomic(), deferred_rescheduling():
        for i in range(60):
            task_create(actor=owner, project=project, name=f"Task {i}", duration_hours=24,
                        splits=[[8, 4 + i % 5], [16, 8]] if i % 2 else None)  # fmt: skip
    client = api("viewer")
    client.get("/api/v1/projects/APL/schedule")  # warm the token and session lookups
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/projects/APL/schedule")
    tasks = response.json()["tasks"]
    assert sum(1 for task in tasks if task["pauses"]) == 30
