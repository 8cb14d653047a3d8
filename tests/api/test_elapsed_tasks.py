"""Elapsed durations: real hours, day and night, weekends too (MS Project's "eh"/"ed").

The project starts Monday 4 January 2027 on the default calendar (Mon-Fri 09-13, 14-18,
UTC), so the expected dates are counted by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from itpm.core.errors import Invalid
from itpm.core.models import AuditEvent
from itpm.planning.models import Task
from itpm.planning.scheduling import elapsed_span, project_axis
from itpm.planning.services import dependency_create, task_create, task_update
from itpm.portfolio.models import Project
from tests.schedule_dates import dates


@pytest.fixture
def burn_in(project: Project, people: dict[str, Any]) -> dict[str, Task]:
    owner = people["owner"]
    rack = task_create(actor=owner, project=project, name="Rack servers", duration_hours=32)
    soak = task_create(
        actor=owner, project=project, name="Burn-in", duration_hours=72, elapsed=True
    )
    handover = task_create(actor=owner, project=project, name="Hand over", duration_hours=8)
    dependency_create(actor=owner, project=project, predecessor=rack, successor=soak)
    dependency_create(actor=owner, project=project, predecessor=soak, successor=handover)
    return {"rack": rack, "soak": soak, "handover": handover}


def test_an_elapsed_task_runs_through_the_weekend(burn_in: dict[str, Task]) -> None:
    assert dates(burn_in["rack"]) == ("Mon 04 09:00", "Thu 07 18:00")
    # 72 real hours from Friday 09:00: Monday 09:00; the hand-over starts right then.
    assert dates(burn_in["soak"]) == ("Fri 08 09:00", "Mon 11 09:00")
    assert dates(burn_in["handover"]) == ("Mon 11 09:00", "Mon 11 18:00")


def test_the_span_follows_the_start_when_the_plan_moves(
    people: dict[str, Any], burn_in: dict[str, Task]
) -> None:
    rack = burn_in["rack"]
    # Racking takes one day more: the burn-in starts Monday 11th 09:00, ends Thursday
    # 09:00 (72 h, no weekend inside), the hand-over runs Thursday.
    task_update(actor=people["owner"], task=rack, version=rack.version,
                data={"duration_hours": 40})  # fmt: skip
    assert dates(burn_in["soak"]) == ("Mon 11 09:00", "Thu 14 09:00")
    assert dates(burn_in["handover"]) == ("Thu 14 09:00", "Thu 14 18:00")
    # Without the weekend inside, the 72 h cover 3 working days.
    axis = project_axis(rack.project)
    assert elapsed_span(axis, 40, 72) == 24
    # From Friday 09:00 (position 32) they cover Friday only... and Monday up to 09:00.
    assert elapsed_span(axis, 32, 72) == 8
    # From Friday 17:00 (position 39), 24 h end Saturday 17:00: one working hour.
    assert elapsed_span(axis, 39, 24) == 1


def test_api_sets_and_clears_elapsed_with_audit(api: Any, burn_in: dict[str, Task]) -> None:
    soak = burn_in["soak"]
    read = api("member").get(f"/api/v1/tasks/{soak.pk}").json()
    assert read["elapsed"] is True and read["duration_hours"] == 72
    response = api("member").patch(
        f"/api/v1/tasks/{soak.pk}",
        {"version": read["version"], "elapsed": False},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["elapsed"] is False
    # 72 working hours: nine working days from Friday 8th, Wednesday 20th.
    assert body["planned_finish"].startswith("2027-01-20T18:00")
    event = AuditEvent.objects.filter(action="task.update", object_id=str(soak.pk)).latest("id")
    assert event.changes["elapsed"] == [True, False]
    for bad, field in (({"elapsed": None}, "elapsed"), ({"elapsed": "sometimes"}, "elapsed")):
        response = api("member").patch(
            f"/api/v1/tasks/{soak.pk}", {"version": body["version"], **bad},
            content_type="application/json",
        )  # fmt: skip
        assert response.status_code == 422, response.content
        assert field in response.content.decode()


def test_elapsed_tasks_take_no_pauses_and_summaries_are_not_elapsed(
    people: dict[str, Any], project: Project, burn_in: dict[str, Task]
) -> None:
    owner = people["owner"]
    soak = burn_in["soak"]
    with pytest.raises(Invalid) as error:
        task_update(actor=owner, task=soak, version=soak.version, data={"splits": [[8, 8]]})
    assert error.value.errors[0].field == "elapsed"
    assert Task.objects.get(pk=soak.pk).splits == []
    with pytest.raises(Invalid) as error:
        task_create(actor=owner, project=project, name="x", duration_hours=16,
                    splits=[[8, 8]], elapsed=True)  # fmt: skip
    assert error.value.errors[0].field == "elapsed"
    phase = task_create(actor=owner, project=project, name="Phase", duration_hours=0)
    task_create(actor=owner, project=project, name="Child", parent=phase, duration_hours=8)
    phase.refresh_from_db()
    with pytest.raises(Invalid) as error:
        task_update(actor=owner, task=phase, version=phase.version, data={"elapsed": True})
    assert error.value.errors[0].field == "elapsed"
    # A milestone has no duration, elapsed or not.
    task_update(actor=owner, task=soak, version=soak.version, data={"milestone": True})
    soak.refresh_from_db()
    assert soak.elapsed is False and soak.duration_hours == 0


def test_a_done_elapsed_task_keeps_its_real_length(
    people: dict[str, Any], burn_in: dict[str, Task]
) -> None:
    soak = burn_in["soak"]
    started = dt.datetime(2027, 1, 8, 9, 0, tzinfo=dt.UTC)
    task_update(actor=people["owner"], task=soak, version=soak.version,
                data={"status": "done", "actual_start": started})  # fmt: skip
    # Done without an actual finish: it took its 72 real hours, the hand-over follows.
    assert dates(burn_in["handover"]) == ("Mon 11 09:00", "Mon 11 18:00")
