"""Split tasks: pauses in the work move the finish, everywhere the plan is computed.

The project starts Monday 4 January 2027 on the default calendar (Mon-Fri 09-13, 14-18,
8 working hours a day), so one day is 8 axis hours and the expected dates are easy to
count by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itpm.control.changes import change_request_impact
from itpm.control.forecasting import _engine_inputs, forecast_inputs
from itpm.core.errors import Invalid
from itpm.core.models import AuditEvent
from itpm.planning.models import Task
from itpm.planning.resource_services import assignment_create, leveling_compute, resource_create
from itpm.planning.services import dependency_create, task_create, task_update
from itpm.planning.splits import (
    normalize_splits,
    parse_splits_text,
    pauses_on_span,
    remaining_span,
    span_hours,
    splits_text,
)
from itpm.portfolio.models import Project
from tests.schedule_dates import dates


@pytest.fixture
def split_plan(project: Project, people: dict[str, Any]) -> dict[str, Task]:
    owner = people["owner"]
    install = task_create(
        actor=owner, project=project, name="Install racks", duration_hours=40, splits=[[16, 24]]
    )
    cutover = task_create(actor=owner, project=project, name="Cut over", duration_hours=8)
    dependency_create(actor=owner, project=project, predecessor=install, successor=cutover)
    install.refresh_from_db()
    cutover.refresh_from_db()
    return {"install": install, "cutover": cutover}


def test_the_span_is_the_work_plus_the_pauses(split_plan: dict[str, Task]) -> None:
    # 16 h Mon-Tue, paused Wed-Fri (24 h), 24 h Mon-Wed: 64 working hours, 8 days.
    assert dates(split_plan["install"]) == ("Mon 04 09:00", "Wed 13 18:00")
    assert dates(split_plan["cutover"]) == ("Thu 14 09:00", "Thu 14 18:00")
    assert split_plan["install"].duration_hours == 40
    assert split_plan["install"].splits == [[16, 24]]


def test_api_reads_and_writes_splits_with_audit_and_versions(
    api: Any, split_plan: dict[str, Task]
) -> None:
    install = split_plan["install"]
    read = api("member").get(f"/api/v1/tasks/{install.pk}").json()
    assert read["splits"] == [{"after_hours": 16, "pause_hours": 24}]
    assert read["duration_hours"] == 40
    joined = api("member").patch(
        f"/api/v1/tasks/{install.pk}",
        {"version": read["version"], "splits": []},
        content_type="application/json",
    )
    assert joined.status_code == 200, joined.content
    assert joined.json()["splits"] == []
    assert joined.json()["planned_finish"].startswith("2027-01-08T18:00")  # 40 h: Fri
    event = AuditEvent.objects.filter(action="task.update", object_id=str(install.pk)).latest("id")
    assert event.changes["splits"] == [[[16, 24]], []]
    # The old version is stale now.
    stale = api("member").patch(
        f"/api/v1/tasks/{install.pk}",
        {"version": read["version"], "splits": [{"after_hours": 8, "pause_hours": 8}]},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert Task.objects.get(pk=install.pk).splits == []
    # Created through the API with two pauses, given out of order: stored sorted.
    created = api("member").post(
        f"/api/v1/projects/{install.project.key}/tasks",
        {
            "name": "Migrate mailboxes",
            "duration_hours": 24,
            "splits": [
                {"after_hours": 16, "pause_hours": 8},
                {"after_hours": 8, "pause_hours": 16},
            ],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["splits"] == [
        {"after_hours": 8, "pause_hours": 16},
        {"after_hours": 16, "pause_hours": 8},
    ]
    # 24 h of work + 24 h of pauses = 6 days from Monday 4th: Monday 11th 18:00.
    assert body["planned_finish"].startswith("2027-01-11T18:00")


@pytest.mark.parametrize(
    ("splits", "message"),
    [
        ([{"after_hours": 40, "pause_hours": 8}], "must fall inside the work"),
        ([{"after_hours": 60, "pause_hours": 8}], "must fall inside the work"),
        ([{"after_hours": 8, "pause_hours": 0}], "splits"),
        ([{"after_hours": "x", "pause_hours": 8}], "splits"),
        ([{"after_hours": 8}], "splits"),
        ("16:24", "splits"),
    ],
)
def test_bad_splits_are_a_422_naming_the_field(
    api: Any, split_plan: dict[str, Task], splits: Any, message: str
) -> None:
    install = split_plan["install"]
    response = api("member").patch(
        f"/api/v1/tasks/{install.pk}",
        {"version": install.version, "splits": splits},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert "splits" in json.dumps(response.json())
    assert message in json.dumps(response.json())
    assert Task.objects.get(pk=install.pk).splits == [[16, 24]]


def test_viewer_and_outsider_cannot_split(api: Any, split_plan: dict[str, Task]) -> None:
    install = split_plan["install"]
    body = {"version": install.version, "splits": []}
    assert (
        api("viewer")
        .patch(f"/api/v1/tasks/{install.pk}", body, content_type="application/json")
        .status_code
        == 403
    )
    assert (
        api("outsider")
        .patch(f"/api/v1/tasks/{install.pk}", body, content_type="application/json")
        .status_code
        == 404
    )
    assert Task.objects.get(pk=install.pk).splits == [[16, 24]]


def test_a_shorter_duration_drops_the_pauses_beyond_it(
    people: dict[str, Any], split_plan: dict[str, Task]
) -> None:
    install = split_plan["install"]
    task_update(actor=people["owner"], task=install, version=install.version,
                data={"splits": [[16, 24], [32, 8]]})  # fmt: skip
    install.refresh_from_db()
    task_update(
        actor=people["owner"],
        task=install,
        version=install.version,
        data={"duration_hours": 24},
    )
    install.refresh_from_db()
    assert install.splits == [[16, 24]]
    event = AuditEvent.objects.filter(action="task.update", object_id=str(install.pk)).latest("id")
    assert event.changes["splits"] == [[[16, 24], [32, 8]], [[16, 24]]]
    # 24 h of work and 24 h paused: 6 days, Monday 11th.
    assert dates(install) == ("Mon 04 09:00", "Mon 11 18:00")


def test_milestones_and_summaries_carry_no_pauses(
    people: dict[str, Any], project: Project, split_plan: dict[str, Task]
) -> None:
    owner = people["owner"]
    install = split_plan["install"]
    task_update(actor=owner, task=install, version=install.version, data={"milestone": True})
    install.refresh_from_db()
    assert install.splits == [] and install.duration_hours == 0
    phase = task_create(actor=owner, project=project, name="Phase", duration_hours=0)
    task_create(actor=owner, project=project, name="Child", parent=phase, duration_hours=16)
    phase.refresh_from_db()
    with pytest.raises(Invalid) as error:
        task_update(actor=owner, task=phase, version=phase.version, data={"splits": [[4, 4]]})
    assert error.value.errors[0].field == "splits"


def test_an_in_progress_task_keeps_only_the_pauses_still_ahead(
    people: dict[str, Any], split_plan: dict[str, Task]
) -> None:
    install = split_plan["install"]
    started = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)
    # Half of the 40 h done: the pause after 16 h is behind; 20 h remain from the status.
    task_update(actor=people["owner"], task=install, version=install.version,
                data={"status": "in_progress", "percent_complete": 50,
                      "actual_start": started})  # fmt: skip
    install.refresh_from_db()
    assert remaining_span(20, 40, install.splits) == 20
    # A quarter done: the pause is still ahead and counts.
    assert remaining_span(30, 40, install.splits) == 54


def test_leveling_forecast_and_change_impact_place_the_span(
    people: dict[str, Any], project: Project, split_plan: dict[str, Task]
) -> None:
    owner = people["admin"]
    install, cutover = split_plan["install"], split_plan["cutover"]
    crew = resource_create(actor=owner, name="Rack crew")
    assignment_create(actor=people["owner"], task=install, resource=crew)
    assignment_create(actor=people["owner"], task=cutover, resource=crew)
    proposal = leveling_compute(project=project)
    # Nothing overlaps: leveling keeps the plan, and its finish is the split plan's finish.
    assert proposal["moved"] == []
    assert proposal["finish_after"] == proposal["finish_before"]
    assert proposal["finish_after"].startswith("2027-01-14T18:00")

    inputs = forecast_inputs(project)
    row = next(r for r in inputs["tasks"] if r["id"] == str(install.pk))
    assert row["duration"] == 64 and row["pauses"] == 24
    row["estimate"] = [32, 40, 60]
    tasks, *_ = _engine_inputs(inputs)
    engine = next(t for t in tasks if t.id == str(install.pk))
    assert engine.estimate is not None
    assert (engine.estimate.optimistic, engine.estimate.most_likely) == (56.0, 64.0)
    assert engine.estimate.pessimistic == 84.0

    impact = change_request_impact(
        project, [{"op": "change_duration", "task": install.pk, "hours": 48}], []
    )
    assert impact["durations_changed"] == ["Install racks: 40 h → 48 h"]
    assert impact["duration_delta_hours"] == 8
    # The pause stays: the whole plan finishes one day later.
    assert impact["finish_delta_hours"] == 8


def test_splits_text_round_trip_and_errors() -> None:
    assert parse_splits_text("16:24, 40h:8h; ") == [[16, 24], [40, 8]]
    assert splits_text([[16, 24], [40, 8]]) == "16:24, 40:8"
    assert parse_splits_text("") == []
    with pytest.raises(Invalid) as error:
        parse_splits_text("16-24")
    assert error.value.errors[0].field == "splits"
    assert normalize_splits([[8, 4], [8, 4], [2, 1]], 10) == [[2, 1], [8, 8]]
    assert pauses_on_span([[16, 24], [32, 8]]) == [(16, 40), (56, 64)]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    duration=st.integers(min_value=2, max_value=400),
    data=st.lists(st.tuples(st.integers(1, 399), st.integers(1, 100)), max_size=6),
)
def test_pauses_on_the_span_add_up(duration: int, data: list[tuple[int, int]]) -> None:
    splits = normalize_splits([list(p) for p in data if p[0] < duration], duration)
    spans = pauses_on_span(splits)
    assert span_hours(duration, splits) == duration + sum(b - a for a, b in spans)
    # Work between the pauses adds back up to the duration.
    work = 0
    at = 0
    for start, finish in spans:
        work += start - at
        at = finish
    assert work + (span_hours(duration, splits) - at) == duration
    assert remaining_span(duration, duration, splits) == span_hours(duration, splits)
    assert remaining_span(0, duration, splits) == 0
