"""The Resources, Calendar and Baselines pages, the resource pages and the plan's assign form."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from itpm.planning import resource_services as rs
from itpm.planning.models import Assignment, Baseline, LevelingRun, Task
from tests.resources.conftest import fresh

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_resources_page_shows_histogram_and_over_allocation(
    project: Any, people: Any, parallel: Any, dana: Any
) -> None:
    for task in parallel.values():
        rs.assignment_create(actor=people["member"], task=task, resource=dana)
    page = login(people["viewer"]).get("/projects/APL/resources/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "Dana" in html
    assert "over-allocated in 1 week" in html
    assert "Preview leveling" not in html  # viewers cannot level


def test_leveling_from_the_page_preview_apply(
    project: Any, people: Any, parallel: Any, dana: Any
) -> None:
    for task in parallel.values():
        rs.assignment_create(actor=people["member"], task=task, resource=dana)
    client = login(people["manager"])
    response = client.post(
        "/projects/APL/resources/level/", {"solver": "heuristic", "time_limit": "2"}
    )
    assert response.status_code == 302
    page = client.get("/projects/APL/resources/").content.decode()
    assert "2 tasks move" in page and "After leveling" in page
    response = client.post("/projects/APL/resources/level/apply/")
    assert response.status_code == 302
    assert Task.objects.filter(project=project, leveled_start__isnull=False).count() == 2
    assert LevelingRun.objects.get().status == "applied"
    client.post("/projects/APL/resources/level/clear/")
    assert not Task.objects.filter(project=project, leveled_start__isnull=False).exists()


def test_discarding_a_preview_leaves_the_plan_and_refuses_its_apply(
    project: Any, people: Any, parallel: Any, dana: Any
) -> None:
    from itpm.core.models import AuditEvent

    for task in parallel.values():
        rs.assignment_create(actor=people["member"], task=task, resource=dana)
    before = {t.pk: t.planned_start for t in Task.objects.filter(project=project)}
    client = login(people["manager"])
    client.post("/projects/APL/resources/level/", {"solver": "heuristic", "time_limit": "2"})
    assert "2 tasks move" in client.get("/projects/APL/resources/").content.decode()

    # A member may not discard the manager's proposal.
    assert login(people["member"]).post("/projects/APL/resources/level/discard/").status_code in (
        403, 404,
    )  # fmt: skip
    assert LevelingRun.objects.get().status == "done"

    assert client.post("/projects/APL/resources/level/discard/").status_code == 302
    assert LevelingRun.objects.get().status == "discarded"
    page = client.get("/projects/APL/resources/").content.decode()
    assert "2 tasks move" not in page and "After leveling" not in page
    assert AuditEvent.objects.filter(action="project.level_discard", project=project).count() == 1
    # Apply has nothing to apply now; the plan is as it was.
    client.post("/projects/APL/resources/level/apply/")
    assert {t.pk: t.planned_start for t in Task.objects.filter(project=project)} == before
    assert not Task.objects.filter(project=project, leveled_start__isnull=False).exists()


def test_background_preview_runs_as_a_job(
    project: Any,
    people: Any,
    parallel: Any,
    dana: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    for task in parallel.values():
        rs.assignment_create(actor=people["member"], task=task, resource=dana)
    client = login(people["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/projects/APL/resources/level/", {"solver": "exact", "time_limit": "2"})
    run = LevelingRun.objects.get()
    assert run.status == "done", run.error
    status = client.get("/projects/APL/resources/level/status/", headers={"HX-Request": "true"})
    assert status["HX-Refresh"] == "true"


def test_calendar_page_month_view_and_holiday_moves_the_plan(
    project: Any, people: Any, chain: Any
) -> None:
    client = login(people["manager"])
    before = fresh(chain["second"]).planned_finish
    response = client.post(
        "/projects/APL/calendar/",
        {"working_days": ["0", "1", "2", "3", "4"], "working_hours": "09:00-13:00, 14:00-18:00",
         "country": "US", "subdivision": "", "timezone": "UTC"},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get("/projects/APL/calendar/?month=2027-01").content.decode()
    assert "Martin Luther King" in page
    # Tuesday 5 Jan 2027 off: the chain (Mon 8 h, then 16 h) ends a day later.
    client.post("/projects/APL/calendar/exceptions/", {"date": "2027-01-05", "name": "Shutdown"})
    assert fresh(chain["second"]).planned_finish > before
    page = client.get("/projects/APL/calendar/?month=2027-01").content.decode()
    assert "Shutdown" in page


def test_calendar_form_errors_are_shown(project: Any, people: Any) -> None:
    response = login(people["manager"]).post(
        "/projects/APL/calendar/",
        {"working_days": ["0"], "working_hours": "25:00-26:00", "country": "XX", "timezone": "UTC"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "no public holidays known" in html


def test_baselines_page_saves_and_shows_variance(project: Any, people: Any, chain: Any) -> None:
    client = login(people["manager"])
    response = client.post("/projects/APL/baselines/", {"name": "Approved"})
    assert response.status_code == 302
    assert Baseline.objects.get().active
    page = client.get(response["Location"]).content.decode()
    assert "Approved" in page and "Δ finish h" in page
    duplicate = client.post("/projects/APL/baselines/", {"name": "Approved"})
    assert duplicate.status_code == 422 and "exists already" in duplicate.content.decode()


def test_plan_page_shows_resources_and_assigns(
    project: Any, people: Any, chain: Any, dana: Any
) -> None:
    client = login(people["member"])
    response = client.post(
        "/projects/APL/assignments/",
        {"task": chain["first"].pk, "resource": dana.pk, "units": "50"},
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert str(assignment.units) == "0.50"
    page = client.get("/projects/APL/plan/").content.decode()
    assert "Dana 50%" in page and "Assign a resource" in page
    client.post(f"/assignments/{assignment.pk}/delete/")
    assert not Assignment.objects.exists()


def test_resource_pages(people: Any, dana: Any, project: Any) -> None:
    page = login(people["viewer"]).get("/resources/")
    assert page.status_code == 200 and "Dana" in page.content.decode()
    assert "New resource" not in page.content.decode()
    manager = login(people["manager"])
    response = manager.post("/resources/", {"name": "Rack B", "kind": "hardware", "capacity": "2"})
    assert response.status_code == 302
    detail = manager.get(response["Location"])
    assert "Rack B" in detail.content.decode()
    response = manager.post(
        f"/resources/{dana.pk}/absences/", {"start": "2027-01-04", "finish": "2027-01-08"}
    )
    assert fresh(dana).absences.count() == 1
    response = manager.post(
        f"/resources/{dana.pk}/rates/", {"valid_from": "2027-01-01", "rate": "120"}
    )
    # The rate so far is kept from Dana's creation, then 120 from 2027.
    assert fresh(dana).rates.count() == 2
    bad = manager.post("/resources/", {"name": "", "capacity": "-1"})
    assert bad.status_code == 422


def test_the_page_says_why_a_week_stays_over_after_leveling(
    project: Any, people: Any, parallel: Any, dana: Any
) -> None:
    """Alpha and Bravo are in progress side by side: leveling cannot move them apart."""
    from itpm.planning.services import task_update

    for task in parallel.values():
        rs.assignment_create(actor=people["member"], task=task, resource=dana)
    for name in ("Alpha", "Bravo"):
        task_update(
            actor=people["member"], task=fresh(parallel[name]), version=None,
            data={"status": "in_progress"},
        )  # fmt: skip
    client = login(people["manager"])
    client.post("/projects/APL/resources/level/", {"solver": "heuristic", "time_limit": "2"})
    run = LevelingRun.objects.get(status="done")
    assert [m["task"] for m in run.result["moved"]] == [parallel["Charlie"].pk]
    page = client.get("/projects/APL/resources/").content.decode()
    assert "after leveling: 1 over" in page
    assert "Still over after leveling" in page
    assert "Week of 4 Jan 2027 (48 h of 40 h)" in page
    assert "1 Alpha (16 h, started, cannot move)" in page
    assert "2 Bravo (16 h, started, cannot move)" in page
    assert "3 Charlie (16 h, not started: leveling placed it here)" in page
