"""Durations to the minute: a 7.5-hour working day, a 1-minute task, MS Project's 71 h 1 min.

APL starts on Monday 4 January 2027. The "London office" calendar works Monday to Friday
09:00-12:30 and 13:30-17:30 (7.5 hours, a 37.5-hour week), in UTC.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itpm.core.errors import Invalid
from itpm.core.models import AuditEvent
from itpm.planning.durations import axis_minutes, duration_text, hours_of, stored
from itpm.planning.models import Task
from itpm.planning.resource_services import assignment_create, leveling_compute, resource_create
from itpm.planning.services import dependency_create, task_create, task_update
from itpm.portfolio.models import Project
from tests.schedule_dates import dates


@pytest.fixture
def days(london: Project, people: dict[str, Any]) -> dict[str, Task]:
    owner = people["owner"]
    phase = task_create(actor=owner, project=london, name="Cut-over", duration_hours=0)
    one = task_create(actor=owner, project=london, name="Freeze", parent=phase,
                      duration_minutes=450)  # fmt: skip
    two = task_create(actor=owner, project=london, name="Migrate", parent=phase,
                      duration_minutes=900)  # fmt: skip
    hours = task_create(actor=owner, project=london, name="Verify", duration_hours=8)
    side = task_create(actor=owner, project=london, name="Notify users", duration_minutes=90)
    dependency_create(actor=owner, project=london, predecessor=one, successor=two)
    dependency_create(actor=owner, project=london, predecessor=two, successor=hours, lag_hours=1)
    dependency_create(actor=owner, project=london, predecessor=side, successor=hours)
    return {"phase": phase, "one": one, "two": two, "hours": hours, "side": side}


def test_working_days_of_seven_and_a_half_hours(days: dict[str, Task]) -> None:
    # One day of 450 minutes is exactly Monday; 900 minutes Tuesday and Wednesday.
    assert dates(days["one"]) == ("Mon 04 09:00", "Mon 04 17:30")
    assert dates(days["two"]) == ("Tue 05 09:00", "Wed 06 17:30")
    # A 1-hour lag, then 8 whole hours: Thursday 10:00 (6 h 30) to Friday 10:30 (1 h 30).
    assert dates(days["hours"]) == ("Thu 07 10:00", "Fri 08 10:30")
    assert dates(days["side"]) == ("Mon 04 09:00", "Mon 04 10:30")
    # The summary rolls up to the minute: 22 h 30 of working time, stored as such.
    phase = days["phase"]
    assert dates(phase) == ("Mon 04 09:00", "Wed 06 17:30")
    assert (phase.duration_minutes, phase.duration_hours) == (1350, 23)
    # Floats stay in (rounded) working hours: Notify users may slip to Thursday 10:00.
    side = Task.objects.get(pk=days["side"].pk)
    assert side.total_float_hours == 22  # Monday 10:30 to Thursday 10:00: 6 + 7.5 + 7.5 + 1
    assert (days["one"].duration_hours, days["one"].duration_minutes) == (8, 450)


def test_api_reads_and_writes_minutes(api: Any, days: dict[str, Task]) -> None:
    one = days["one"]
    read = api("member").get(f"/api/v1/tasks/{one.pk}").json()
    assert (read["duration_hours"], read["duration_minutes"]) == (8, 450)
    whole = api("member").get(f"/api/v1/tasks/{days['hours'].pk}").json()
    assert (whole["duration_hours"], whole["duration_minutes"]) == (8, 480)
    # Whole hours again: the exact minutes go, the task takes 8 working hours.
    response = api("member").patch(
        f"/api/v1/tasks/{one.pk}",
        {"version": read["version"], "duration_hours": 8},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["duration_minutes"] == 480
    assert response.json()["planned_finish"].startswith("2027-01-05T09:30")
    event = AuditEvent.objects.filter(action="task.update", object_id=str(one.pk)).latest("id")
    assert event.changes["duration_minutes"] == [450, None]
    # Minutes and hours that disagree are refused, naming the field; nothing changes.
    version = response.json()["version"]
    clash = api("member").patch(
        f"/api/v1/tasks/{one.pk}",
        {"version": version, "duration_hours": 3, "duration_minutes": 450},
        content_type="application/json",
    )
    assert clash.status_code == 422
    assert "duration_minutes" in json.dumps(clash.json())
    for bad in (-1, 6_000_001, 7.5, "seven"):
        refused = api("member").patch(
            f"/api/v1/tasks/{one.pk}",
            {"version": version, "duration_minutes": bad},
            content_type="application/json",
        )
        assert refused.status_code == 422, bad
    assert Task.objects.get(pk=one.pk).duration_minutes is None
    # Created with minutes only: the hours follow.
    created = api("member").post(
        f"/api/v1/projects/{one.project.key}/tasks",
        {"name": "Smoke test", "duration_minutes": 1},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["duration_hours"], body["duration_minutes"]) == (0, 1)
    assert body["planned_start"].startswith("2027-01-04T09:00")
    assert body["planned_finish"].startswith("2027-01-04T09:01")
    clash = api("member").post(
        f"/api/v1/projects/{one.project.key}/tasks",
        {"name": "Clash", "duration_minutes": 450, "duration_hours": 2},
        content_type="application/json",
    )
    assert clash.status_code == 422
    assert not Task.objects.filter(name="Clash").exists()


def test_a_milestone_and_whole_minutes_of_hours_store_no_minutes(
    people: dict[str, Any], days: dict[str, Task]
) -> None:
    owner = people["owner"]
    one = days["one"]
    task_update(actor=owner, task=one, version=one.version, data={"duration_minutes": 120})
    one.refresh_from_db()
    assert (one.duration_hours, one.duration_minutes) == (2, None)
    task_update(actor=owner, task=one, version=one.version, data={"duration_minutes": 45})
    one.refresh_from_db()
    assert (one.duration_hours, one.duration_minutes) == (1, 45)
    task_update(actor=owner, task=one, version=one.version, data={"milestone": True})
    one.refresh_from_db()
    assert (one.duration_hours, one.duration_minutes) == (0, None)
    with pytest.raises(Invalid) as error:
        task_create(actor=owner, project=one.project, name="x", duration_minutes=-5)
    assert error.value.errors[0].field == "duration_minutes"


def test_helpers() -> None:
    assert [hours_of(m) for m in (0, 29, 30, 89, 90, 450)] == [0, 0, 1, 1, 2, 8]
    assert stored(450) == (8, 450) and stored(480) == (8, None) and stored(1) == (0, 1)
    assert axis_minutes([]) == 60 and axis_minutes([450, 900]) == 30
    assert axis_minutes([450, 4261]) == 1 and axis_minutes([90]) == 30
    assert duration_text(450) == "7h30" and duration_text(480) == "8h"
    assert duration_text(1) == "0h01"


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 100_000), max_size=6))
def test_the_axis_unit_divides_every_duration_and_an_hour(durations: list[int]) -> None:
    unit = axis_minutes(durations)
    assert 60 % unit == 0
    assert all(minutes % unit == 0 for minutes in durations)


def test_leveling_works_to_the_minute(people: dict[str, Any], london: Project) -> None:
    """Two 7.5-hour tasks on one person: leveling puts the second on Tuesday 09:00 sharp."""
    owner = people["owner"]
    first = task_create(actor=owner, project=london, name="Patch A", duration_minutes=450)
    second = task_create(actor=owner, project=london, name="Patch B", duration_minutes=450)
    admin = people["admin"]
    engineer = resource_create(actor=admin, name="Network engineer")
    assignment_create(actor=owner, task=first, resource=engineer)
    assignment_create(actor=owner, task=second, resource=engineer)
    proposal = leveling_compute(project=london)
    assert len(proposal["moved"]) == 1
    moved = proposal["moved"][0]
    assert moved["new_start"] == "2027-01-05T09:00:00+00:00"
    assert moved["new_finish"] == "2027-01-05T17:30:00+00:00"
    assert moved["delta_hours"] == 8  # 7 h 30 of working time, rounded
    assert proposal["finish_after"] == "2027-01-05T17:30:00+00:00"
    assert proposal["makespan_hours"] == 15
