"""Tasks are scheduled on their resources' calendars, over the real HTTP API.

APL starts Monday 4 January 2027 on the default calendar (09-13, 14-18 UTC). Nina works a
night shift (Monday to Friday, 00:00-06:00 and 22:00-24:00 UTC), Dana the project's hours
(no calendar of her own). "First" (8 h) -> "Second" (16 h) -> "Third" (8 h), under the
phase "Build":

- nobody on Second: First Mon 09-18, Second Tue 09:00 - Wed 18:00, Third Thu;
- Nina on Second: it starts when First ends, at her next working moment (Mon 22:00),
  works Mon 22-24, Tue 00-06, Tue 22-24, Wed 00-06 and finishes Wed 06:00; Third starts
  at the project's next working moment, Wed 09:00;
- Nina and Dana on Second: it goes on while either works (Mon 22:00 - Tue 18:00).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from itpm.core.models import AuditEvent
from itpm.planning import resource_services as rs
from itpm.planning.models import Assignment, Resource, Task, WorkCalendar
from itpm.planning.services import dependency_create, task_create
from itpm.portfolio.models import Project
from tests.web.cells import login

pytestmark = pytest.mark.django_db

JSON = "application/json"


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2027, 1, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def night(people: dict[str, Any]) -> WorkCalendar:
    return rs.calendar_create(
        actor=people["admin"],
        name="Night shift",
        working_days=[0, 1, 2, 3, 4],
        working_hours=[["00:00", "06:00"], ["22:00", "24:00"]],
        use_for_project=False,
    )


@pytest.fixture
def nina(people: dict[str, Any], night: WorkCalendar) -> Resource:
    return rs.resource_create(actor=people["admin"], name="Nina", calendar=night)


@pytest.fixture
def plan(project: Project, people: dict[str, Any]) -> dict[str, Task]:
    owner = people["owner"]
    phase = task_create(actor=owner, project=project, name="Build", duration_hours=8)
    tasks = {"phase": phase}
    for name, hours in (("first", 8), ("second", 16), ("third", 8)):
        tasks[name] = task_create(
            actor=owner, project=project, name=name.title(), duration_hours=hours, parent=phase
        )
    dependency_create(
        actor=owner, project=project, predecessor=tasks["first"], successor=tasks["second"]
    )
    dependency_create(
        actor=owner, project=project, predecessor=tasks["second"], successor=tasks["third"]
    )
    return tasks


def dates(api: Any, task: Task) -> tuple[dt.datetime, dt.datetime]:
    response = api("viewer").get(f"/api/v1/tasks/{task.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    return (
        dt.datetime.fromisoformat(body["planned_start"].replace("Z", "+00:00")),
        dt.datetime.fromisoformat(body["planned_finish"].replace("Z", "+00:00")),
    )


def assign(api: Any, task: Task, resource: Resource) -> dict[str, Any]:
    response = api("member").post(
        "/api/v1/projects/APL/assignments",
        {"task": task.pk, "resource": resource.pk, "units": 1},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def test_without_own_calendars_the_plan_runs_on_the_project_hours(api: Any, plan: Any) -> None:
    assert dates(api, plan["first"]) == (at(4, 9), at(4, 18))
    assert dates(api, plan["second"]) == (at(5, 9), at(6, 18))
    assert dates(api, plan["third"]) == (at(7, 9), at(7, 18))


def test_a_night_shift_resource_works_her_task_at_night(api: Any, plan: Any, nina: Any) -> None:
    assign(api, plan["second"], nina)
    assert dates(api, plan["first"]) == (at(4, 9), at(4, 18))
    # Her next working moment after First ends Monday 18:00; 16 hours of nights.
    assert dates(api, plan["second"]) == (at(4, 22), at(6, 6))
    # The day task after it starts at the project's next working hour.
    assert dates(api, plan["third"]) == (at(6, 9), at(6, 18))
    # The phase spans its tasks as they are shown.
    assert dates(api, plan["phase"]) == (at(4, 9), at(6, 18))


def test_a_night_task_after_a_night_task_follows_without_waiting_for_the_day(
    api: Any, plan: Any, nina: Any
) -> None:
    assign(api, plan["second"], nina)
    assign(api, plan["third"], nina)
    assert dates(api, plan["second"]) == (at(4, 22), at(6, 6))
    # Wednesday 22:00 to Thursday 06:00 (not the Wednesday day hours, not Thursday night).
    assert dates(api, plan["third"]) == (at(6, 22), at(7, 6))


def test_two_resources_on_different_calendars_go_on_while_either_works(
    api: Any, plan: Any, nina: Any, dana: Any
) -> None:
    assign(api, plan["second"], nina)
    assign(api, plan["second"], dana)
    # Mon 22-24 (2 h), Tue 00-06 (8 h), Tue 09-13, 14-18 (16 h).
    assert dates(api, plan["second"]) == (at(4, 22), at(5, 18))
    assert dates(api, plan["third"]) == (at(6, 9), at(6, 18))


def test_changing_the_resources_calendar_reschedules_her_tasks(
    api: Any, plan: Any, nina: Any
) -> None:
    assign(api, plan["second"], nina)
    nina.refresh_from_db()
    response = api("admin").patch(
        f"/api/v1/resources/{nina.pk}",
        {"version": nina.version, "calendar": None},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    assert dates(api, plan["second"]) == (at(5, 9), at(6, 18))
    event = AuditEvent.objects.filter(action="resource.update").latest("id")
    assert "calendar" in event.changes
    # A stale version is refused and changes nothing.
    stale = api("admin").patch(
        f"/api/v1/resources/{nina.pk}",
        {"version": nina.version, "calendar": nina.calendar_id},
        content_type=JSON,
    )
    assert stale.status_code == 409
    assert dates(api, plan["second"]) == (at(5, 9), at(6, 18))


def test_a_day_off_on_the_resources_calendar_moves_her_task(
    api: Any, plan: Any, nina: Any, night: Any
) -> None:
    assign(api, plan["second"], nina)
    response = api("admin").post(
        f"/api/v1/calendars/{night.pk}/exceptions",
        {"date": "2027-01-05", "name": "Training"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    # Mon 22-24, (Tuesday off), Wed 00-06, Wed 22-24, Thu 00-06.
    assert dates(api, plan["second"]) == (at(4, 22), at(7, 6))
    assert dates(api, plan["third"]) == (at(7, 9), at(7, 18))
    removed = api("admin").delete(f"/api/v1/calendars/{night.pk}/exceptions/2027-01-05")
    assert removed.status_code == 204
    assert dates(api, plan["second"]) == (at(4, 22), at(6, 6))


def test_unassigning_puts_the_task_back_on_the_project_hours(
    api: Any, plan: Any, nina: Any
) -> None:
    assignment = assign(api, plan["second"], nina)
    response = api("member").delete(f"/api/v1/assignments/{assignment['id']}")
    assert response.status_code == 204, response.content
    assert not Assignment.objects.filter(pk=assignment["id"]).exists()
    assert dates(api, plan["second"]) == (at(5, 9), at(6, 18))


def test_a_split_task_pauses_in_her_working_time(
    api: Any, plan: Any, nina: Any, people: Any
) -> None:
    assign(api, plan["second"], nina)
    second = Task.objects.get(pk=plan["second"].pk)
    response = api("owner").patch(
        f"/api/v1/tasks/{second.pk}",
        {"version": second.version, "splits": [{"after_hours": 8, "pause_hours": 8}]},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    # 8 h (Mon 22 - Tue 06), one night off (Tue 22 - Wed 06), 8 h (Wed 22 - Thu 06).
    assert dates(api, plan["second"]) == (at(4, 22), at(7, 6))


# ------------------------------------------------------------ leveling, forecast, impact
@pytest.fixture
def desk(people: dict[str, Any]) -> Resource:
    """An operations desk staffed 24 hours a day, 7 days a week."""
    calendar = rs.calendar_create(
        actor=people["admin"],
        name="24/7",
        working_days=[0, 1, 2, 3, 4, 5, 6],
        working_hours=[["00:00", "24:00"]],
        use_for_project=False,
    )
    return rs.resource_create(actor=people["admin"], name="Ops desk", calendar=calendar)


def test_leveling_queues_two_night_tasks_of_one_resource(
    api: Any, parallel: Any, nina: Any
) -> None:
    """Alpha and Bravo (16 h each) both on Nina's nights: leveling runs one after the other.

    Her night shift is in the span of her tasks, so her capacity is her units whenever a
    task of hers is scheduled (not the share of the project's hours she works: none).
    """
    for name in ("Alpha", "Bravo"):
        assign(api, parallel[name], nina)
    assert dates(api, parallel["Alpha"]) == dates(api, parallel["Bravo"]) == (at(4, 22), at(6, 6))
    response = api("manager").post(
        "/api/v1/projects/APL/schedule/level", {"apply": True}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["name"] for row in body["moved"]] in (["Alpha"], ["Bravo"])
    # Held until Alpha's last night ends (Wednesday 06:00), it starts that night.
    assert sorted([dates(api, parallel["Alpha"]), dates(api, parallel["Bravo"])]) == [
        (at(4, 22), at(6, 6)),
        (at(6, 22), at(8, 6)),
    ]
    assert dates(api, parallel["Charlie"]) == (at(4, 9), at(5, 18))


def test_a_24_hour_desk_works_its_task_around_the_clock(api: Any, plan: Any, desk: Any) -> None:
    second = Task.objects.get(pk=plan["second"].pk)
    response = api("owner").patch(
        f"/api/v1/tasks/{second.pk}",
        {"version": second.version, "duration_hours": 48},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    assign(api, plan["second"], desk)
    # From First's end (Monday 18:00), 48 hours of real time.
    assert dates(api, plan["second"]) == (at(4, 18), at(6, 18))
    assert dates(api, plan["third"]) == (at(7, 9), at(7, 18))


def test_change_impact_and_forecast_resize_a_desk_task_on_its_calendar(
    api: Any, project: Any, plan: Any, desk: Any, people: Any
) -> None:
    from itpm.control.changes import change_request_impact
    from itpm.control.forecasting import _engine_inputs, forecast_inputs
    from itpm.control.models import TaskEstimate

    second = Task.objects.get(pk=plan["second"].pk)
    api("owner").patch(
        f"/api/v1/tasks/{second.pk}",
        {"version": second.version, "duration_hours": 48},
        content_type=JSON,
    )
    assign(api, plan["second"], desk)
    project.refresh_from_db()
    # Halving the desk's 48 hours brings the finish a project day (8 h) earlier: its 24
    # hours end Tuesday 18:00, Third runs on Wednesday.
    impact = change_request_impact(
        project, [{"op": "change_duration", "task": second.pk, "hours": 24}], []
    )
    assert impact["error"] == ""
    assert impact["finish_delta_hours"] == -8
    assert impact["durations_changed"] == ["Second: 48 h → 24 h"]
    assert dt.datetime.fromisoformat(impact["finish_after"]) == at(6, 18)
    # The forecast sees the desk task's span (16 project hours for 48 hours of work) and
    # scales its three-point estimate by the same ratio.
    TaskEstimate.objects.create(
        task=second, optimistic_hours=36, most_likely_hours=48, pessimistic_hours=72
    )
    inputs = forecast_inputs(project)
    row = next(row for row in inputs["tasks"] if row["id"] == str(second.pk))
    assert row["duration"] == 16 and row["stretch"] == pytest.approx(1 / 3)
    tasks, _, _, _ = _engine_inputs(inputs)
    engine = next(task for task in tasks if task.id == str(second.pk))
    assert engine.duration == 16
    assert engine.estimate is not None
    assert (engine.estimate.optimistic, engine.estimate.pessimistic) == pytest.approx((12, 24))


def test_the_task_page_says_whose_calendar_the_task_runs_on(
    api: Any, plan: Any, nina: Any, dana: Any, people: Any
) -> None:
    nina.name = "Nina <b>"
    nina.save(update_fields=["name"])
    viewer = login(people["viewer"])
    page = viewer.get(f"/tasks/{plan['second'].pk}/discussion/").content.decode()
    assert "task-calendars" not in page
    assign(api, plan["second"], nina)
    page = viewer.get(f"/tasks/{plan['second'].pk}/discussion/").content.decode()
    assert (
        "Scheduled on its resources' working time: Nina &lt;b&gt; on Night shift, "
        "not the project calendar." in page
    )
    assign(api, plan["second"], dana)
    page = viewer.get(f"/tasks/{plan['second'].pk}/discussion/").content.decode()
    assert (
        "Scheduled on its resources' working time: Dana on the project calendar, "
        "Nina &lt;b&gt; on Night shift; it goes on while any of them works." in page
    )
    # The phase above it is not scheduled on a calendar of its own.
    phase = viewer.get(f"/tasks/{plan['phase'].pk}/discussion/").content.decode()
    assert "task-calendars" not in phase


def test_her_load_counts_her_own_hours(api: Any, plan: Any, nina: Any) -> None:
    """16 hours of nights are 16 hours of her 40-hour week, not the project's 8 day hours
    between Monday 22:00 and Wednesday 06:00."""
    assign(api, plan["second"], nina)
    response = api("viewer").get(f"/api/v1/resources/{nina.pk}/load?from=2027-01-04&to=2027-01-10")
    assert response.status_code == 200, response.content
    week = response.json()["weeks"][0]
    assert (week["capacity_hours"], week["demand_hours"]) == (40, 16)
    assert [(task["name"], task["hours"]) for task in week["tasks"]] == [("Second", 16)]


def test_the_resource_page_sets_her_calendar_and_her_tasks_follow(
    api: Any, plan: Any, dana: Any, night: Any, people: Any, foreign_project: Any
) -> None:
    assign(api, plan["second"], dana)
    admin = login(people["admin"])
    page = admin.get(f"/resources/{dana.pk}/").content.decode()
    assert f'<option value="{night.pk}">Night shift</option>' in page

    def save(calendar: str) -> Any:
        dana.refresh_from_db()
        return admin.post(
            f"/resources/{dana.pk}/",
            {"version": dana.version, "name": "Dana", "kind": "person", "capacity": "1",
             "cost_rate": "100", "currency": "USD", "active": "on", "calendar": calendar},
        )  # fmt: skip

    assert save(str(night.pk)).status_code == 302
    assert dates(api, plan["second"]) == (at(4, 22), at(6, 6))
    page = admin.get(f"/resources/{dana.pk}/").content.decode()
    assert f'<option value="{night.pk}" selected>Night shift</option>' in page
    # A calendar that does not exist, or that the manager cannot see, is a form error.
    hidden = rs.calendar_create(
        actor=people["outsider"], project=foreign_project, name="Zed week", use_for_project=False
    )
    manager = login(people["manager"])
    for wanted in ("99999", str(hidden.pk), "night"):
        dana.refresh_from_db()
        response = manager.post(
            f"/resources/{dana.pk}/",
            {"version": dana.version, "name": "Dana", "kind": "person", "capacity": "1",
             "cost_rate": "100", "currency": "USD", "active": "on", "calendar": wanted},
        )  # fmt: skip
        assert response.status_code == 422
        assert f"no calendar &#x27;{wanted}&#x27;" in response.content.decode()
    assert Resource.objects.get(pk=dana.pk).calendar_id == night.pk
    # Back to each project's calendar.
    assert save("").status_code == 302
    assert dates(api, plan["second"]) == (at(5, 9), at(6, 18))


def test_a_night_task_in_a_phase_held_by_a_link_into_the_phase(
    api: Any, project: Any, people: Any, nina: Any
) -> None:
    """The link goes to the phase: its night task still starts the evening the day task
    before the phase ends (Monday 22:00), not after the next working hour."""
    owner = people["owner"]
    design = task_create(actor=owner, project=project, name="Design", duration_hours=8)
    phase = task_create(actor=owner, project=project, name="Cut-over", duration_hours=8)
    swap = task_create(actor=owner, project=project, name="Swap", duration_hours=8, parent=phase)
    dependency_create(actor=owner, project=project, predecessor=design, successor=phase)
    assign(api, swap, nina)
    assert dates(api, design) == (at(4, 9), at(4, 18))
    assert dates(api, swap) == (at(4, 22), at(5, 6))
    assert dates(api, phase) == (at(4, 22), at(5, 6))


def test_a_night_task_held_by_its_finish_ends_at_its_last_night_by_then(
    api: Any, project: Any, people: Any, nina: Any
) -> None:
    """Finish-to-finish after a day task that ends Tuesday 18:00: the night work ends at
    Nina's last working moment by then (Tuesday 06:00) and starts 8 hours of nights
    earlier (Monday 22:00). It settles: the same dates on every reschedule."""
    from itpm.planning.models import Dependency
    from itpm.planning.scheduling import project_reschedule

    owner = people["owner"]
    build = task_create(actor=owner, project=project, name="Build", duration_hours=16)
    night_test = task_create(actor=owner, project=project, name="Night test", duration_hours=8)
    dependency_create(
        actor=owner, project=project, predecessor=build, successor=night_test, type="FF"
    )
    assert Dependency.objects.get(successor=night_test).type == "FF"
    assign(api, night_test, nina)
    assert dates(api, build) == (at(4, 9), at(5, 18))
    assert dates(api, night_test) == (at(4, 22), at(5, 6))
    project_reschedule(Project.objects.get(pk=project.pk))
    assert dates(api, night_test) == (at(4, 22), at(5, 6))
