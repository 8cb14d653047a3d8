"""Cycles through the API: create, change, commit over capacity, start, close, packages."""

from __future__ import annotations

import json
from typing import Any

from itpm.core.models import AuditEvent
from itpm.planning.models import Cycle, Task


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, json.dumps(body), content_type="application/json")


def test_manager_plans_a_sprint_and_members_cannot(api: Any, project: Any) -> None:
    body = {"name": "Sprint 1", "start": "2027-01-04", "finish": "2027-01-15", "capacity_hours": 60}
    assert post(api("member"), "/api/v1/projects/APL/cycles", body).status_code == 403
    created = post(api("manager"), "/api/v1/projects/APL/cycles", body)
    assert created.status_code == 201, created.content
    assert created.json() | {"id": 0} == {
        "id": 0, "version": 1, "project": "APL", "name": "Sprint 1", "kind": "sprint",
        "start": "2027-01-04", "finish": "2027-01-15", "capacity_hours": 60, "goal": "",
        "state": "planned", "committed_hours": 0, "done_hours": 0, "task_count": 0,
        "overload_hours": 0,
    }  # fmt: skip
    assert AuditEvent.objects.filter(action="cycle.create").count() == 1
    listed = api("viewer").get("/api/v1/projects/APL/cycles")
    assert listed.json()["count"] == 1


def test_bad_cycle_dates_name_the_field(api: Any, project: Any) -> None:
    body = {"name": "Backwards", "start": "2027-01-15", "finish": "2027-01-04"}
    response = post(api("manager"), "/api/v1/projects/APL/cycles", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "finish"


def test_commit_over_capacity_warns_and_shows_the_overload(
    api: Any, leaves: Any, sprint: Cycle
) -> None:
    ids = [leaves["a"].pk, leaves["b"].pk, leaves["c"].pk, leaves["d"].pk]  # 60 h
    response = post(api("member"), f"/api/v1/cycles/{sprint.pk}/commit", {"tasks": ids})
    assert response.status_code == 200
    assert response.json()["over_capacity"] is False
    patched = patch(
        api("manager"), f"/api/v1/cycles/{sprint.pk}", {"version": 1, "capacity_hours": 50}
    )
    assert patched.json()["overload_hours"] == 10
    more = post(api("member"), f"/api/v1/cycles/{sprint.pk}/commit", {"tasks": ids})
    body = more.json()
    assert (body["committed_hours"], body["capacity_hours"], body["overload_hours"]) == (60, 50, 10)
    assert body["over_capacity"] is True
    assert "over capacity" in body["warnings"][0]
    assert body["changed"] == []


def test_summary_tasks_and_foreign_tasks_cannot_be_committed(
    api: Any, leaves: Any, sprint: Cycle, tasks: Any
) -> None:
    summary = post(
        api("member"), f"/api/v1/cycles/{sprint.pk}/commit", {"tasks": [leaves["phase"].pk]}
    )
    assert summary.status_code == 422
    assert summary.json()["errors"][0]["field"] == "tasks"
    missing = post(api("member"), f"/api/v1/cycles/{sprint.pk}/commit", {"tasks": [999999]})
    assert missing.status_code == 422
    assert (
        post(
            api("viewer"), f"/api/v1/cycles/{sprint.pk}/commit", {"tasks": [leaves["a"].pk]}
        ).status_code
        == 403
    )
    assert (
        post(
            api("outsider"), f"/api/v1/cycles/{sprint.pk}/commit", {"tasks": [leaves["a"].pk]}
        ).status_code
        == 404
    )


def test_stale_cycle_patch_gets_409(api: Any, sprint: Cycle) -> None:
    response = patch(api("manager"), f"/api/v1/cycles/{sprint.pk}", {"version": 7, "name": "X"})
    assert response.status_code == 409
    assert Cycle.objects.get(pk=sprint.pk).name == "Sprint 1"


def test_one_active_cycle_and_closing_asks_where_work_goes(
    api: Any, people: Any, leaves: Any, sprint: Cycle
) -> None:
    manager = api("manager")
    second = post(manager, "/api/v1/projects/APL/cycles",
                  {"name": "Sprint 2", "start": "2027-01-18", "finish": "2027-01-29"}).json()  # fmt: skip
    post(
        api("member"),
        f"/api/v1/cycles/{sprint.pk}/commit",
        {"tasks": [leaves["a"].pk, leaves["b"].pk]},
    )
    assert post(manager, f"/api/v1/cycles/{sprint.pk}/start", {"version": 1}).status_code == 200
    refused = post(manager, f"/api/v1/cycles/{second['id']}/start", {"version": 1})
    assert refused.status_code == 409
    assert "one active cycle" in refused.json()["detail"]
    closed = post(manager, f"/api/v1/cycles/{sprint.pk}/close", {"version": 2, "move_to": None})
    assert closed.json()["state"] == "closed"
    assert (
        Task.objects.filter(cycle__isnull=True, pk__in=[leaves["a"].pk, leaves["b"].pk]).count()
        == 2
    )
    assert AuditEvent.objects.filter(action="task.carry_over").count() == 2
    again = post(api("member"), f"/api/v1/cycles/{sprint.pk}/commit", {"tasks": [leaves["c"].pk]})
    assert again.status_code == 409


def test_break_down_a_planning_package(api: Any, people: Any, leaves: Any, sprint: Cycle) -> None:
    package = leaves["c"]
    marked = post(api("member"), f"/api/v1/tasks/{package.pk}/planning-package",
                  {"version": package.version, "planning_package": True})  # fmt: skip
    assert marked.status_code == 200 and marked.json()["planning_package"] is True
    post(api("member"), f"/api/v1/cycles/{sprint.pk}/commit", {"tasks": [package.pk]})
    version = Task.objects.get(pk=package.pk).version
    response = post(api("member"), f"/api/v1/tasks/{package.pk}/break-down", {
        "version": version,
        "tasks": [{"name": "Order API", "hours": 16}, {"name": "Order screens", "hours": 12}],
    })  # fmt: skip
    assert response.status_code == 201, response.content
    package.refresh_from_db()
    children = list(package.children.order_by("order"))
    assert [(c.name, c.duration_hours, c.cycle_id) for c in children] == [
        ("Order API", 16, sprint.pk),
        ("Order screens", 12, sprint.pk),
    ]
    assert package.planning_package is False and package.cycle_id is None
    assert AuditEvent.objects.filter(action="task.break_down", object_id=str(package.pk)).exists()
    again = post(api("member"), f"/api/v1/tasks/{package.pk}/break-down",
                 {"version": package.version, "tasks": [{"name": "More", "hours": 1}]})  # fmt: skip
    assert again.status_code == 422


def test_ids_beyond_the_database_range_are_a_422_not_a_crash(
    api: Any, leaves: Any, sprint: Cycle
) -> None:
    for body in ({"tasks": [2**70]}, {"tasks": [-1]}):
        response = post(api("member"), f"/api/v1/cycles/{sprint.pk}/commit", body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "tasks"
    task = leaves["a"]
    labels = post(
        api("member"),
        f"/api/v1/tasks/{task.pk}/labels",
        {"version": task.version, "labels": [2**70]},
    )
    assert labels.status_code == 422
