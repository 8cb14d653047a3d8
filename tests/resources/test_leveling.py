"""Leveling a project: preview changes nothing, apply moves tasks (audited), idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from itpm.core.errors import Conflict, Forbidden
from itpm.core.models import AuditEvent
from itpm.planning import resource_services as rs
from itpm.planning.models import LevelingRun, Task
from itpm.planning.scheduling import project_axis
from tests.resources.conftest import fresh

pytestmark = pytest.mark.django_db


def _state(project: Any) -> list[tuple[Any, ...]]:
    return list(
        Task.objects.filter(project=project)
        .order_by("id")
        .values_list("id", "version", "planned_start", "planned_finish", "leveled_start")
    )


def _assign_all(people: Any, tasks: dict[str, Task], resource: Any) -> None:
    for task in tasks.values():
        rs.assignment_create(actor=people["member"], task=task, resource=resource)


def test_preview_changes_no_task(project: Any, people: Any, parallel: Any, dana: Any) -> None:
    _assign_all(people, parallel, dana)
    before = _state(project)
    run = rs.leveling_preview(actor=people["manager"], project=project)
    assert run.status == "done"
    assert _state(project) == before
    moved = run.result["moved"]
    assert len(moved) == 2  # one of three overlapping tasks keeps its start
    assert sorted(m["delta_hours"] for m in moved) == [16, 32]
    axis = project_axis(project)
    assert axis.to_axis(dt.datetime.fromisoformat(run.result["finish_after"]), finish=True) == 48


def test_apply_moves_tasks_and_is_audited_and_idempotent(
    project: Any, people: Any, parallel: Any, dana: Any
) -> None:
    _assign_all(people, parallel, dana)
    run = rs.leveling_preview(actor=people["manager"], project=project)
    rs.leveling_apply(actor=people["manager"], project=project, run=run)
    starts = sorted(fresh(t).planned_start for t in parallel.values())
    assert len(set(starts)) == 3
    assert AuditEvent.objects.filter(action="project.level", project=project).count() == 1
    assert fresh(run).status == "applied"
    after = _state(project)
    # A second preview proposes nothing new; applying it changes nothing.
    again = rs.leveling_preview(actor=people["manager"], project=project)
    assert again.result["moved"] == []
    result = rs.leveling_apply(actor=people["manager"], project=project, run=again)
    assert result["tasks_changed"] == 0
    assert _state(project) == after
    assert AuditEvent.objects.filter(action="project.level", project=project).count() == 1


def test_engine_starts_round_trip_through_the_database(
    project: Any, people: Any, parallel: Any, dana: Any
) -> None:
    _assign_all(people, parallel, dana)
    run = rs.leveling_preview(actor=people["manager"], project=project)
    rs.leveling_apply(actor=people["manager"], project=project, run=run)
    for task_id, at in run.result["starts"].items():
        task = Task.objects.get(pk=int(task_id))
        assert task.leveled_start == dt.datetime.fromisoformat(at)
        assert task.planned_start == dt.datetime.fromisoformat(at)
    for moved in run.result["moved"]:
        task = Task.objects.get(pk=moved["task"])
        assert task.planned_start == dt.datetime.fromisoformat(moved["new_start"])
        assert task.planned_finish == dt.datetime.fromisoformat(moved["new_finish"])


def test_clear_removes_the_delays(project: Any, people: Any, parallel: Any, dana: Any) -> None:
    _assign_all(people, parallel, dana)
    before = {t.pk: fresh(t).planned_start for t in parallel.values()}
    rs.leveling_apply(actor=people["manager"], project=project)
    assert rs.leveling_clear(actor=people["manager"], project=project) == 2
    assert {t.pk: fresh(t).planned_start for t in parallel.values()} == before
    assert AuditEvent.objects.filter(action="project.level_clear").count() == 1


def test_a_stale_preview_is_refused(project: Any, people: Any, parallel: Any, dana: Any) -> None:
    _assign_all(people, parallel, dana)
    run = rs.leveling_preview(actor=people["manager"], project=project)
    rs.assignment_delete(actor=people["member"], assignment=dana.assignments.first())
    with pytest.raises(Conflict, match="changed since this preview"):
        rs.leveling_apply(actor=people["manager"], project=project, run=run)


def test_members_cannot_level(project: Any, people: Any, parallel: Any) -> None:
    with pytest.raises(Forbidden):
        rs.leveling_preview(actor=people["member"], project=project)
    assert not LevelingRun.objects.exists()


def test_load_in_another_project_reduces_capacity(
    project: Any, foreign_project: Any, people: Any, dana: Any
) -> None:
    from itpm.planning.services import task_create

    # Dana works full time on ZED in APL's first week; APL's task waits for her.
    type(foreign_project).objects.filter(pk=foreign_project.pk).update(
        start_date=dt.date(2027, 1, 4)
    )
    foreign_project.refresh_from_db()
    zed_task = task_create(
        actor=people["outsider"], project=foreign_project, name="Zed work", duration_hours=40
    )
    rs.assignment_create(actor=people["outsider"], task=zed_task, resource=dana)
    zed_task = fresh(zed_task)
    apl_task = task_create(
        actor=people["owner"], project=project, name="Apl work", duration_hours=8
    )
    rs.assignment_create(actor=people["member"], task=apl_task, resource=dana)
    run = rs.leveling_preview(actor=people["manager"], project=project)
    [moved] = run.result["moved"]
    assert moved["task"] == apl_task.pk
    assert dt.datetime.fromisoformat(moved["new_start"]) >= zed_task.planned_finish


@pytest.mark.parametrize(
    "started", [{"status": "in_progress"}, {"percent_complete": 30}], ids=["status", "percent"]
)
def test_a_started_task_keeps_its_dates_and_its_resource_time(
    project: Any, people: Any, parallel: Any, dana: Any, started: dict[str, Any]
) -> None:
    """Work that began (no actual start recorded) is not delayed; the others wait for it."""
    from itpm.planning.services import task_update

    alpha, bravo = parallel["Alpha"], parallel["Bravo"]
    for task in (alpha, bravo):
        rs.assignment_create(actor=people["member"], task=task, resource=dana)
    task_update(actor=people["member"], task=fresh(alpha), version=None, data=started)
    alpha = fresh(alpha)
    assert alpha.actual_start is None
    run = rs.leveling_preview(actor=people["manager"], project=project)
    [moved] = run.result["moved"]
    assert moved["task"] == bravo.pk  # never the started Alpha
    assert dt.datetime.fromisoformat(moved["new_start"]) >= alpha.planned_finish
    assert str(alpha.pk) not in run.result["starts"]
