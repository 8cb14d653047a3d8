"""Calendars over HTTP: create, patch, exceptions; a holiday moves the stored plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from itpm.core.models import AuditEvent
from itpm.planning.models import WorkCalendar
from tests.resources.conftest import fresh

pytestmark = pytest.mark.django_db

URL = "/api/v1/calendars"


def _create(api: Any, who: str = "manager", **extra: Any) -> Any:
    body = {"name": "Apollo week", "project": "APL", "timezone": "UTC", **extra}
    return api(who).post(URL, body, content_type="application/json")


def test_manager_creates_the_project_calendar(api: Any, project: Any) -> None:
    response = _create(api, country="DE", subdivision="BY")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["project"] == "APL" and body["working_days"] == [0, 1, 2, 3, 4]
    assert body["working_hours"] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert fresh(project).calendar_id == body["id"]
    assert AuditEvent.objects.filter(action="calendar.create").count() == 1


@pytest.mark.parametrize(
    ("who", "status"), [("member", 403), ("viewer", 403), ("outsider", 404), ("owner", 201)]
)
def test_who_may_create_a_project_calendar(api: Any, project: Any, who: str, status: int) -> None:
    assert _create(api, who).status_code == status
    assert WorkCalendar.objects.count() == (1 if status == 201 else 0)


def test_only_site_admins_create_shared_calendars(api: Any, project: Any) -> None:
    body = {"name": "Part time", "working_hours": [["09:00", "13:00"]]}
    assert api("manager").post(URL, body, content_type="application/json").status_code == 403
    response = api("admin").post(URL, body, content_type="application/json")
    assert response.status_code == 201 and response.json()["project"] is None


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"working_days": [0, 7]}, "working_days"),
        ({"working_hours": [["18:00", "09:00"]]}, "working_hours"),
        ({"working_hours": [["9 am", "5 pm"]]}, "working_hours"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"country": "ZZ"}, "country"),
        ({"working_days": []}, "working_days"),
    ],
)
def test_bad_calendar_input_is_a_422_naming_the_field(
    api: Any, project: Any, extra: dict[str, Any], field: str
) -> None:
    response = _create(api, **extra)
    assert response.status_code == 422, response.content
    assert field in response.content.decode()
    assert not WorkCalendar.objects.exists()


def test_patch_needs_the_current_version(api: Any, project: Any) -> None:
    calendar = _create(api).json()
    url = f"{URL}/{calendar['id']}"
    ok = api("manager").patch(
        url,
        {"version": calendar["version"], "name": "Apollo 4x10"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["version"] == calendar["version"] + 1
    stale = api("manager").patch(
        url, {"version": calendar["version"], "name": "Late"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert fresh(WorkCalendar.objects.get()).name == "Apollo 4x10"
    viewer = api("viewer").patch(
        url, {"version": calendar["version"] + 1, "name": "x"}, content_type="application/json"
    )
    assert viewer.status_code == 403
    assert api("outsider").get(url).status_code == 404


def test_a_holiday_on_a_working_day_pushes_the_plan_by_one_working_day(
    api: Any, project: Any, chain: Any
) -> None:
    calendar = _create(api).json()
    first, second = fresh(chain["first"]), fresh(chain["second"])
    # First: Mon 4 Jan 2027 09:00-18:00; Second (after it): Tue 5 09:00 - Wed 6 18:00 (UTC).
    assert first.planned_start == dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)
    assert second.planned_start == dt.datetime(2027, 1, 5, 9, tzinfo=dt.UTC)
    assert second.planned_finish == dt.datetime(2027, 1, 6, 18, tzinfo=dt.UTC)
    response = api("manager").post(
        f"{URL}/{calendar['id']}/exceptions",
        {"date": "2027-01-05", "name": "Company day"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["exceptions"][0]["date"] == "2027-01-05"
    moved = fresh(chain["second"])
    assert moved.planned_start - second.planned_start == dt.timedelta(days=1)
    assert moved.planned_finish - second.planned_finish == dt.timedelta(days=1)
    assert fresh(chain["first"]).planned_start == first.planned_start  # Monday is untouched
    # Removing the exception brings the plan back.
    removed = api("manager").delete(f"{URL}/{calendar['id']}/exceptions/2027-01-05")
    assert removed.status_code == 204
    assert fresh(chain["second"]).planned_start == second.planned_start


def test_a_holiday_on_friday_skips_the_weekend(api: Any, project: Any, people: Any) -> None:
    from itpm.planning.services import task_create

    calendar = _create(api).json()
    task = task_create(actor=people["owner"], project=project, name="Week", duration_hours=40)
    before = fresh(task).planned_finish
    assert before == dt.datetime(2027, 1, 8, 18, tzinfo=dt.UTC)  # Friday
    api("manager").post(
        f"{URL}/{calendar['id']}/exceptions",
        {"date": "2027-01-06"},
        content_type="application/json",
    )
    # One working day lost mid-week: the finish moves from Friday to the next Monday.
    assert fresh(task).planned_finish == dt.datetime(2027, 1, 11, 18, tzinfo=dt.UTC)


def test_an_extra_working_saturday_pulls_the_plan_in(api: Any, project: Any, people: Any) -> None:
    from itpm.planning.services import task_create

    calendar = _create(api).json()
    task = task_create(actor=people["owner"], project=project, name="Ten days", duration_hours=48)
    assert fresh(task).planned_finish == dt.datetime(2027, 1, 11, 18, tzinfo=dt.UTC)
    response = api("manager").post(
        f"{URL}/{calendar['id']}/exceptions",
        {"date": "2027-01-09", "name": "Go-live Saturday", "working": True},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert fresh(task).planned_finish == dt.datetime(2027, 1, 9, 18, tzinfo=dt.UTC)


def test_members_cannot_add_exceptions(api: Any, project: Any) -> None:
    calendar = _create(api).json()
    response = api("member").post(
        f"{URL}/{calendar['id']}/exceptions",
        {"date": "2027-01-05"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not WorkCalendar.objects.get().exceptions.exists()
