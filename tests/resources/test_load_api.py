"""Resource load over HTTP across two projects, and what each viewer may see of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from itpm.planning import resource_services as rs
from itpm.planning.services import task_create
from itpm.portfolio.models import Project

pytestmark = pytest.mark.django_db

WEEK = "from=2027-01-04&to=2027-01-10"


@pytest.fixture
def shared(project: Any, foreign_project: Any, people: Any, dana: Any) -> dict[str, Any]:
    """Dana: 16 h on APL's "Apollo cut-over" and 24 h on ZED's "Zed secret migration", week 1."""
    Project.objects.filter(pk=foreign_project.pk).update(start_date=dt.date(2027, 1, 4))
    foreign_project.refresh_from_db()
    apl = task_create(actor=people["owner"], project=project, name="Apollo cut-over",
                      duration_hours=16)  # fmt: skip
    zed = task_create(actor=people["outsider"], project=foreign_project,
                      name="Zed secret migration", duration_hours=24)  # fmt: skip
    rs.assignment_create(actor=people["member"], task=apl, resource=dana)
    rs.assignment_create(actor=people["outsider"], task=zed, resource=dana)
    return {"apl": apl, "zed": zed}


def _week(api: Any, who: str, dana: Any) -> tuple[dict[str, Any], str]:
    response = api(who).get(f"/api/v1/resources/{dana.pk}/load?{WEEK}")
    assert response.status_code == 200, response.content
    return response.json()["weeks"][0], response.content.decode()


def test_load_counts_both_projects(api: Any, shared: Any, dana: Any) -> None:
    week, _ = _week(api, "admin", dana)
    assert week["week_start"] == "2027-01-04"
    assert week["demand_hours"] == 40
    assert week["capacity_hours"] == 40
    assert week["over"] is False
    names = sorted(t["name"] for t in week["tasks"])
    assert names == ["Apollo cut-over", "Zed secret migration"]  # admins see everything


def test_apl_viewer_sees_zed_only_as_other_projects(api: Any, shared: Any, dana: Any) -> None:
    week, text = _week(api, "viewer", dana)
    assert week["demand_hours"] == 40
    assert week["other_projects_hours"] == 24
    assert [(t["project"], t["name"], t["hours"]) for t in week["tasks"]] == [
        ("APL", "Apollo cut-over", 16)
    ]
    assert "Zed" not in text and "ZED" not in text
    assert str(shared["zed"].pk) not in {str(t["task_id"]) for t in week["tasks"]}


def test_zed_owner_sees_apl_only_as_other_projects(api: Any, shared: Any, dana: Any) -> None:
    week, text = _week(api, "outsider", dana)
    assert week["demand_hours"] == 40 and week["other_projects_hours"] == 16
    assert "Apollo" not in text and "APL" not in text


def test_over_allocation_across_projects(api: Any, shared: Any, people: Any, dana: Any,
                                         project: Any) -> None:  # fmt: skip
    extra = task_create(actor=people["owner"], project=project, name="Apollo data load",
                        duration_hours=8)  # fmt: skip
    rs.assignment_create(actor=people["member"], task=extra, resource=dana)
    week, _ = _week(api, "viewer", dana)
    assert week["demand_hours"] == 48 and week["over"] is True
    body = api("viewer").get(f"/api/v1/resources/{dana.pk}/load?{WEEK}").json()
    assert body["over_weeks"] == 1


def test_an_absence_reduces_capacity(api: Any, shared: Any, people: Any, dana: Any) -> None:
    rs.absence_add(actor=people["admin"], resource=dana, start=dt.date(2027, 1, 7),
                   finish=dt.date(2027, 1, 8), reason="Training")  # fmt: skip
    week, _ = _week(api, "viewer", dana)
    assert week["capacity_hours"] == 24 and week["over"] is True


def test_outsider_gets_404_for_apl_data(api: Any, shared: Any, dana: Any) -> None:
    outsider = api("outsider")
    for url in (
        "/api/v1/projects/APL/assignments",
        "/api/v1/projects/APL/baselines",
        "/api/v1/projects/APL/schedule",
    ):
        assert outsider.get(url).status_code == 404, url
    level = outsider.post(
        "/api/v1/projects/APL/schedule/level", {}, content_type="application/json"
    )
    assert level.status_code == 404


def test_bad_load_window_is_a_422(api: Any, shared: Any, dana: Any) -> None:
    response = api("viewer").get(f"/api/v1/resources/{dana.pk}/load?from=2027-02-01&to=2027-01-01")
    assert response.status_code == 422
    assert api("viewer").get("/api/v1/resources/99999/load").status_code == 404


def test_a_part_time_calendar_and_units_shape_capacity(
    api: Any, shared: Any, people: Any, dana: Any
) -> None:
    """A resource on a shared mornings-only calendar (4 h a day) with 2 units: 5 x 4 x 2."""
    mornings = rs.calendar_create(
        actor=people["admin"], name="Mornings", working_hours=[["09:00", "13:00"]]
    )
    rack = rs.resource_create(
        actor=people["admin"], name="Half-day rack", kind="hardware", capacity=2,
        calendar=mornings,
    )  # fmt: skip
    response = api("viewer").get(f"/api/v1/resources/{rack.pk}/load?{WEEK}")
    assert response.status_code == 200, response.content
    week = response.json()["weeks"][0]
    assert (week["capacity_hours"], week["demand_hours"], week["over"]) == (40, 0, False)
    # Dana keeps the full-time week for comparison.
    assert _week(api, "viewer", dana)[0]["capacity_hours"] == 40
    rs.resource_update(actor=people["admin"], resource=rack, version=rack.version,
                       data={"capacity": 1})  # fmt: skip
    week = api("viewer").get(f"/api/v1/resources/{rack.pk}/load?{WEEK}").json()["weeks"][0]
    assert week["capacity_hours"] == 20
