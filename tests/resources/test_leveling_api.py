"""Leveling over HTTP: preview changes nothing, apply is audited and idempotent, stale is 409."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from itpm.core.models import AuditEvent
from itpm.planning import resource_services as rs
from itpm.planning.models import Assignment, Dependency, Task
from itpm.portfolio.models import Project

pytestmark = pytest.mark.django_db

URL = "/api/v1/projects/APL/schedule/level"


def checksum() -> str:
    """A digest of every row of the plan: tasks, dependencies, assignments, projects."""
    digest = hashlib.sha256()
    for model in (Task, Dependency, Assignment, Project):
        for row in model.objects.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.fixture
def overloaded(people: Any, parallel: Any, dana: Any) -> dict[str, Task]:
    """Alpha, Bravo and Charlie (16 h each) all on Monday-Tuesday, all worked by Dana."""
    for task in parallel.values():
        rs.assignment_create(actor=people["member"], task=task, resource=dana)
    return parallel


def _level(api: Any, who: str = "manager", **body: Any) -> Any:
    return api(who).post(URL, body, content_type="application/json")


def test_preview_changes_nothing(api: Any, project: Any, overloaded: Any) -> None:
    api("manager")  # its token is created (and audited) first
    before = checksum()
    audits = AuditEvent.objects.count()
    response = _level(api)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applied"] is False and body["run"]
    assert len(body["moved"]) == 2
    assert sorted(m["delta_hours"] for m in body["moved"]) == [16, 32]
    assert body["makespan_hours"] == 48
    assert checksum() == before
    new = AuditEvent.objects.order_by("pk")[audits:]
    assert [e.action for e in new] == []


def test_apply_a_preview_moves_tasks_audited_and_idempotent(
    api: Any, project: Any, overloaded: Any
) -> None:
    preview = _level(api).json()
    before = checksum()
    applied = _level(api, apply=True, run=preview["run"])
    assert applied.status_code == 200, applied.content
    assert applied.json()["applied"] is True
    moved = {m["task"]: m for m in preview["moved"]}
    for task_id, m in moved.items():
        task = Task.objects.get(pk=task_id)
        assert task.planned_start.isoformat() == m["new_start"].replace("Z", "+00:00")
    starts = {Task.objects.get(pk=t.pk).planned_start for t in overloaded.values()}
    assert len(starts) == 3  # one after another now
    assert checksum() != before
    events = AuditEvent.objects.filter(action="project.level", project=project)
    assert events.count() == 1
    assert events.get().actor.username == "manny"
    after = checksum()
    # The same request again, and a fresh level-and-apply: nothing changes, nothing audited.
    again = _level(api, apply=True, run=preview["run"])
    assert again.status_code == 200 and again.json()["tasks_changed"] == 0
    fresh_apply = _level(api, apply=True)
    assert fresh_apply.status_code == 200 and fresh_apply.json()["tasks_changed"] == 0
    assert checksum() == after
    assert AuditEvent.objects.filter(action="project.level").count() == 1


def test_a_stale_preview_is_a_409(api: Any, project: Any, overloaded: Any, dana: Any) -> None:
    preview = _level(api).json()
    assignment = Assignment.objects.filter(task=overloaded["Alpha"]).get()
    assert api("member").delete(f"/api/v1/assignments/{assignment.pk}").status_code == 204
    before = checksum()
    response = _level(api, apply=True, run=preview["run"])
    assert response.status_code == 409
    assert "changed since this preview" in response.json()["detail"]
    assert checksum() == before
    assert not AuditEvent.objects.filter(action="project.level").exists()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"solver": "magic"}, 422, "solver"),
        ({"time_limit": 0}, 422, "time_limit"),
        ({"run": 1}, 422, "run"),
        ({"apply": True, "run": 99999}, 404, ""),
        ({"bogus": 1}, 422, "bogus"),
    ],
)
def test_bad_leveling_input(
    api: Any, project: Any, overloaded: Any, body: dict[str, Any], status: int, field: str
) -> None:
    before = checksum()
    response = _level(api, **body)
    assert response.status_code == status, response.content
    assert field in response.content.decode()
    assert checksum() == before


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("viewer", 403), ("outsider", 404)])
def test_who_may_level(api: Any, project: Any, overloaded: Any, who: str, status: int) -> None:
    before = checksum()
    assert _level(api, who).status_code == status
    assert _level(api, who, apply=True).status_code == status
    assert api(who).delete(URL).status_code == status
    assert checksum() == before


def test_clear_removes_the_delays(api: Any, project: Any, overloaded: Any) -> None:
    before = checksum()
    _level(api, apply=True)
    assert api("manager").delete(URL).status_code == 204
    starts = {Task.objects.get(pk=t.pk).planned_start for t in overloaded.values()}
    assert len(starts) == 1
    assert not Task.objects.filter(leveled_start__isnull=False).exists()
    assert checksum() != before  # versions moved on; the dates are back
