"""Assignments over HTTP: create, patch units, delete, validation, and the reschedule they cause."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from itpm.core.models import AuditEvent
from itpm.planning.models import Assignment
from itpm.portfolio.models import Project
from tests.resources.conftest import fresh

pytestmark = pytest.mark.django_db


def _create(api: Any, who: str, task: Any, resource: Any, units: Any = 1, key: str = "APL") -> Any:
    return api(who).post(
        f"/api/v1/projects/{key}/assignments",
        {"task": task.pk, "resource": resource.pk, "units": units},
        content_type="application/json",
    )


def test_member_assigns_and_the_project_reschedules(
    api: Any, project: Any, chain: Any, dana: Any
) -> None:
    stamp = fresh(project).scheduled_at
    response = _create(api, "member", chain["second"], dana, "0.5")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["project"] == "APL" and body["task_name"] == "Second"
    assert Decimal(body["units"]) == Decimal("0.5")
    assert Decimal(body["work_hours"]) == Decimal("8")  # 16 h x 50 %
    assert fresh(project).scheduled_at != stamp  # rescheduled in the same request
    assert AuditEvent.objects.filter(action="assignment.create", project=project).count() == 1
    listed = api("viewer").get("/api/v1/projects/APL/assignments").json()
    assert [a["resource_name"] for a in listed["items"]] == ["Dana"]


@pytest.mark.parametrize(("who", "status"), [("viewer", 403), ("outsider", 404), ("owner", 201)])
def test_who_may_assign(
    api: Any, project: Any, chain: Any, dana: Any, who: str, status: int
) -> None:
    assert _create(api, who, chain["first"], dana).status_code == status
    assert Assignment.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    ("units", "status"),
    [(0, 422), ("-0.5", 422), ("101", 422), ("abc", 422), ("1.5", 422), ("0.25", 201), (1, 201)],
)
def test_units_validation(
    api: Any, project: Any, chain: Any, dana: Any, units: Any, status: int
) -> None:
    # Dana has capacity 1: 150 % is more than she has.
    response = _create(api, "member", chain["first"], dana, units)
    assert response.status_code == status, response.content
    if status == 422:
        assert "units" in response.content.decode()


def test_no_double_assignment_no_summary_no_foreign_task(
    api: Any, project: Any, foreign_project: Any, people: Any, tasks: Any, dana: Any
) -> None:
    from itpm.planning.services import task_create

    assert _create(api, "member", tasks["design"], dana).status_code == 201
    assert _create(api, "member", tasks["design"], dana).status_code == 409
    summary = _create(api, "member", tasks["phase"], dana)
    assert summary.status_code == 422 and "task" in summary.content.decode()
    milestone = _create(api, "member", tasks["launch"], dana)
    assert milestone.status_code == 422
    zed = task_create(
        actor=people["outsider"], project=foreign_project, name="Zed", duration_hours=8
    )
    foreign = _create(api, "member", zed, dana)  # a ZED task through APL's URL
    assert foreign.status_code == 422 and "task" in foreign.content.decode()
    missing = api("member").post(
        "/api/v1/projects/APL/assignments",
        {"task": tasks["code"].pk, "resource": 99999},
        content_type="application/json",
    )
    assert missing.status_code == 422 and "resource" in missing.content.decode()


def test_patch_units_with_version_and_delete(api: Any, project: Any, chain: Any, dana: Any) -> None:
    created = _create(api, "member", chain["first"], dana).json()
    url = f"/api/v1/assignments/{created['id']}"
    stamp = fresh(project).scheduled_at
    ok = api("member").patch(
        url, {"version": created["version"], "units": "0.5"}, content_type="application/json"
    )
    assert ok.status_code == 200, ok.content
    assert Decimal(ok.json()["units"]) == Decimal("0.5") and ok.json()["version"] == 2
    assert fresh(project).scheduled_at != stamp
    stale = api("member").patch(
        url, {"version": created["version"], "units": "0.75"}, content_type="application/json"
    )
    assert stale.status_code == 409
    bad = api("member").patch(url, {"version": 2, "units": 0}, content_type="application/json")
    assert bad.status_code == 422
    assert api("viewer").delete(url).status_code == 403
    assert api("outsider").delete(url).status_code == 404
    assert api("member").delete(url, headers={"If-Match": '"1"'}).status_code == 409
    assert api("member").delete(url).status_code == 204
    assert not Assignment.objects.exists()
    assert AuditEvent.objects.filter(action="assignment.delete").count() == 1


def test_outsider_gets_404_for_the_assignments_of_apl(
    api: Any, project: Any, chain: Any, dana: Any
) -> None:
    created = _create(api, "member", chain["first"], dana).json()
    assert api("outsider").get("/api/v1/projects/APL/assignments").status_code == 404
    assert api("outsider").get(f"/api/v1/assignments/{created['id']}").status_code == 404
    assert Project.objects.filter(key="APL").exists()
