"""Dates the schedule shows as given rather than as the print of an axis position.

MS Project (and so every MSPDI file of ../shared/data/mspdi) keeps an actual date as
entered, puts the finish of a start-to-finish successor at its predecessor's start
moment, and a milestone held by a start constraint at the constraint's start moment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from itpm.planning.models import Task, WorkCalendar
from itpm.planning.scheduling import deferred_rescheduling
from itpm.planning.services import dependency_create, task_create, task_update
from itpm.portfolio.models import Project

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def office(project: Project) -> Project:
    calendar = WorkCalendar.objects.create(
        name="Office",
        project=project,
        working_days=[0, 1, 2, 3, 4],
        working_hours=[["08:00", "12:00"], ["13:00", "17:00"]],
        timezone="UTC",
    )
    Project.objects.filter(pk=project.pk).update(calendar=calendar, time_zone="UTC")
    project.refresh_from_db()
    return project


def dates(task: Task) -> tuple[dt.datetime | None, dt.datetime | None]:
    task.refresh_from_db()
    return task.planned_start, task.planned_finish


def test_actual_dates_outside_working_time_are_kept(
    office: Project, people: dict[str, Any]
) -> None:
    owner = people["owner"]
    task = task_create(actor=owner, project=office, name="Weekend cut-over", duration_hours=16)
    # Work started on Saturday 2027-01-09 and finished on Tuesday evening.
    task_update(
        actor=owner,
        task=task,
        version=None,
        data={"actual_start": at("2027-01-09T08:00"), "actual_finish": at("2027-01-12T17:00")},
    )
    assert dates(task) == (at("2027-01-09T08:00"), at("2027-01-12T17:00"))
    assert (task.early_start, task.early_finish) == (
        at("2027-01-09T08:00"),
        at("2027-01-12T17:00"),
    )


def test_an_in_progress_task_shows_its_actual_start(
    office: Project, people: dict[str, Any]
) -> None:
    owner = people["owner"]
    task = task_create(actor=owner, project=office, name="Migration", duration_hours=16)
    task_update(
        actor=owner,
        task=task,
        version=None,
        data={"actual_start": at("2027-01-09T10:00"), "percent_complete": 50},
    )
    start, finish = dates(task)
    assert start == at("2027-01-09T10:00")
    # The work itself is scheduled in working time, from Monday on.
    assert finish is not None and finish > at("2027-01-11T08:00")


def test_a_start_to_finish_successor_finishes_at_its_predecessors_start(
    office: Project, people: dict[str, Any]
) -> None:
    owner = people["owner"]
    with transaction.atomic(), deferred_rescheduling():
        go_live = task_create(
            actor=owner,
            project=office,
            name="Go-live",
            duration_hours=8,
            constraint_type="SNET",
            constraint_date=at("2027-01-11T08:00"),
        )
        old_system = task_create(actor=owner, project=office, name="Old system", duration_hours=8)
        lagged = task_create(actor=owner, project=office, name="Lagged", duration_hours=8)
        dependency_create(
            actor=owner, project=office, predecessor=go_live, successor=old_system, type="SF"
        )
        dependency_create(
            actor=owner,
            project=office,
            predecessor=go_live,
            successor=lagged,
            type="SF",
            lag_hours=8,
        )
    assert dates(go_live) == (at("2027-01-11T08:00"), at("2027-01-11T17:00"))
    # Runs until the go-live starts on Monday morning, not "Friday 17:00".
    assert dates(old_system) == (at("2027-01-08T08:00"), at("2027-01-11T08:00"))
    # With a lag the finish is a working-time sum and prints as the end of a day.
    assert dates(lagged) == (at("2027-01-11T08:00"), at("2027-01-11T17:00"))


def test_a_milestone_held_by_a_start_constraint_sits_at_its_start_moment(
    office: Project, people: dict[str, Any]
) -> None:
    owner = people["owner"]
    with transaction.atomic(), deferred_rescheduling():
        kickoff = task_create(
            actor=owner,
            project=office,
            name="Kick-off",
            milestone=True,
            duration_hours=0,
            constraint_type="SNET",
            constraint_date=at("2027-01-05T08:00"),
        )
        work = task_create(actor=owner, project=office, name="Work", duration_hours=8)
        done = task_create(
            actor=owner, project=office, name="Done", milestone=True, duration_hours=0
        )
        dependency_create(actor=owner, project=office, predecessor=work, successor=done)
    assert dates(kickoff) == (at("2027-01-05T08:00"), at("2027-01-05T08:00"))
    # A milestone after a task stays at the end of that task's day, as before.
    assert dates(done) == (at("2027-01-04T17:00"), at("2027-01-04T17:00"))
