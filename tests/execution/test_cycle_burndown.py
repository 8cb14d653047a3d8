"""Burndown and velocity on fixtures with answers worked out by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from itpm.core.models import AuditEvent
from itpm.planning.cycle_selectors import cycle_burndown, project_velocity
from itpm.planning.cycle_services import cycle_close, cycle_commit, cycle_create, cycle_uncommit
from itpm.planning.models import Cycle, Task
from itpm.planning.services import task_update
from tests.execution.conftest import at


def _done(actor: Any, task: Task, when: dt.datetime) -> None:
    task_update(actor=actor, task=task, version=None, data={"status": "done"})
    Task.objects.filter(pk=task.pk).update(completed_at=when)


def _backdate(task: Task, action: str, when: dt.datetime) -> None:
    event = AuditEvent.objects.filter(object_type="task", object_id=str(task.pk), action=action)
    AuditEvent.objects.filter(pk=event.latest("id").pk).update(created_at=when)


def _sprint_with_history(people: Any, leaves: Any, sprint: Cycle) -> Cycle:
    """A 48 h commitment; A (8) done Tue, D (12) added Wed, B (16) done Thu, C (24) out Mon."""
    member = people["member"]
    a, b, c, d = leaves["a"], leaves["b"], leaves["c"], leaves["d"]
    cycle_commit(actor=member, cycle=sprint, task_ids=[a.pk, b.pk, c.pk])
    for task in (a, b, c):
        _backdate(task, "task.commit", at(1, 9))
    _done(member, a, at(5, 15))
    cycle_commit(actor=member, cycle=sprint, task_ids=[d.pk])
    _backdate(d, "task.commit", at(6, 10))
    _done(member, b, at(7, 12))
    cycle_uncommit(actor=member, cycle=sprint, task_ids=[c.pk])
    _backdate(c, "task.uncommit", at(11, 10))
    return Cycle.objects.select_related("project").get(pk=sprint.pk)


def test_burndown_follows_done_added_and_removed_work(
    people: Any, leaves: Any, sprint: Cycle
) -> None:
    cycle = _sprint_with_history(people, leaves, sprint)

    chart = cycle_burndown(cycle=cycle, today=dt.date(2027, 1, 12))

    rows = [(p.day.isoformat() if p.day else "start", p.remaining, p.added, p.removed, p.done)
            for p in chart.points]  # fmt: skip
    assert rows == [
        ("start", 48, 0, 0, 0),
        ("2027-01-04", 48, 0, 0, 0),
        ("2027-01-05", 40, 0, 0, 8),
        ("2027-01-06", 52, 12, 0, 0),
        ("2027-01-07", 36, 0, 0, 16),
        ("2027-01-08", 36, 0, 0, 0),
        ("2027-01-11", 12, 0, 24, 0),
        ("2027-01-12", 12, 0, 0, 0),
        ("2027-01-13", None, 0, 0, 0),
        ("2027-01-14", None, 0, 0, 0),
        ("2027-01-15", None, 0, 0, 0),
    ]
    assert [p.ideal for p in chart.points] == [
        48.0,
        43.2,
        38.4,
        33.6,
        28.8,
        24.0,
        19.2,
        14.4,
        9.6,
        4.8,
        0.0,
    ]
    assert chart.committed_at_start == 48
    assert chart.remaining_now == 12
    assert (chart.scope_now, chart.done_hours) == (36, 24)


def test_burndown_skips_weekends_and_days_off(people: Any, leaves: Any, sprint: Cycle) -> None:
    chart = cycle_burndown(cycle=sprint, today=dt.date(2027, 1, 1))
    days = [p.day for p in chart.points if p.day]
    assert len(days) == 10
    assert all(day.weekday() < 5 for day in days)
    assert all(p.remaining is None for p in chart.points[1:])


def test_closing_carries_unfinished_work_without_shrinking_the_burndown(
    people: Any, leaves: Any, sprint: Cycle
) -> None:
    cycle = _sprint_with_history(people, leaves, sprint)
    nxt = cycle_create(
        actor=people["manager"], project=cycle.project, name="Sprint 2",
        start=dt.date(2027, 1, 18), finish=dt.date(2027, 1, 29), capacity_hours=60,
    )  # fmt: skip
    cycle_close(actor=people["manager"], cycle=cycle, version=None, move_to=nxt)
    AuditEvent.objects.filter(action="task.carry_over").update(created_at=at(15, 17))

    closed = cycle_burndown(cycle=Cycle.objects.get(pk=cycle.pk), today=dt.date(2027, 1, 20))
    assert closed.points[-1].remaining == 12  # D was not done here: it stays remaining
    following = cycle_burndown(cycle=nxt, today=dt.date(2027, 1, 20))
    assert following.committed_at_start == 12
    assert Task.objects.get(pk=leaves["d"].pk).cycle_id == nxt.pk
    assert Task.objects.get(pk=leaves["a"].pk).cycle_id == cycle.pk  # done work stays


def test_velocity_is_done_hours_per_closed_cycle(people: Any, leaves: Any, project: Any) -> None:
    manager, member = people["manager"], people["member"]
    one = cycle_create(actor=manager, project=project, name="S1", start=dt.date(2027, 1, 4),
                       finish=dt.date(2027, 1, 15), capacity_hours=40)  # fmt: skip
    two = cycle_create(actor=manager, project=project, name="S2", start=dt.date(2027, 1, 18),
                       finish=dt.date(2027, 1, 29), capacity_hours=40)  # fmt: skip
    cycle_commit(actor=member, cycle=one, task_ids=[leaves["a"].pk, leaves["b"].pk, leaves["d"].pk])
    _done(member, leaves["a"], at(5, 10))
    _done(member, leaves["b"], at(6, 10))
    cycle_close(actor=manager, cycle=one, version=None, move_to=two)
    cycle_commit(actor=member, cycle=two, task_ids=[leaves["c"].pk])
    _done(member, leaves["c"], at(19, 10))
    _done(member, Task.objects.get(pk=leaves["d"].pk), at(20, 10))
    cycle_close(actor=manager, cycle=two, version=None)

    velocity = project_velocity(project=project)

    assert [(r.cycle.name, r.committed_hours, r.done_hours) for r in velocity.rows] == [
        ("S1", 36, 24),
        ("S2", 36, 36),
    ]
    assert velocity.average == 30.0
    assert velocity.recent_average == 30.0


def test_velocity_and_burndown_api(api: Any, people: Any, leaves: Any, sprint: Cycle) -> None:
    _sprint_with_history(people, leaves, sprint)
    burndown = api("viewer").get(f"/api/v1/cycles/{sprint.pk}/burndown")
    assert burndown.status_code == 200
    body = burndown.json()
    assert body["committed_at_start"] == 48
    assert len(body["points"]) == 11
    velocity = api("viewer").get("/api/v1/projects/APL/velocity")
    assert velocity.json() == {"average": None, "recent_average": None, "cycles": []}
    assert api("outsider").get(f"/api/v1/cycles/{sprint.pk}/burndown").status_code == 404
