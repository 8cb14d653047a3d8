"""Demo execution data for PORTAL: sprints around today with a real burndown, a rolling-wave
window with planning packages, labels and WIP limits.

Everything goes through the services (so the audit trail is real); only the moments are
moved into the past afterwards (when a task was committed and done), because a demo loaded
today needs a history that happened over the last weeks.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from itpm.accounts.models import User
from itpm.core.models import AuditEvent
from itpm.planning import cycle_services as services
from itpm.planning.models import Cycle, Task, TaskStatus
from itpm.planning.services import task_update
from itpm.portfolio.models import Project

LABELS = [
    ("backend", "#2563eb"), ("frontend", "#7c3aed"), ("mobile", "#0891b2"),
    ("security", "#dc2626"), ("tech-debt", "#92400e"),
]  # fmt: skip


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _backdate(task: Task, action: str, moment: dt.datetime) -> None:
    event = (
        AuditEvent.objects.filter(object_type="task", object_id=str(task.pk), action=action)
        .order_by("-id")
        .first()
    )
    if event is not None:
        AuditEvent.objects.filter(pk=event.pk).update(created_at=moment)


def _commit(actor: User, cycle: Cycle, tasks: list[Task], moment: dt.datetime) -> None:
    services.cycle_commit(actor=actor, cycle=cycle, task_ids=[t.pk for t in tasks])
    for task in tasks:
        _backdate(task, "task.commit", moment)


def _done(actor: User, task: Task, moment: dt.datetime) -> None:
    task = Task.objects.get(pk=task.pk)
    if task.status != TaskStatus.DONE:
        task_update(actor=actor, task=task, version=None, data={"status": TaskStatus.DONE})
    Task.objects.filter(pk=task.pk).update(completed_at=moment)


def _working_days(start: dt.date, count: int) -> list[dt.date]:
    days: list[dt.date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def load_execution_demo(users: dict[str, User]) -> None:
    project = Project.objects.filter(key="PORTAL").first()
    if project is None or project.cycles.exists():
        return
    pm, lee, kim = users["pm"], users["lee"], users["kim"]
    today = timezone.localdate()
    # The active sprint began on the Monday of last week; two closed sprints came before it.
    current = today - dt.timedelta(days=today.weekday() + 7)
    sprints = []
    for n, start in enumerate(
        [current - dt.timedelta(days=28), current - dt.timedelta(days=14), current,
         current + dt.timedelta(days=14)],
        start=1,
    ):  # fmt: skip
        sprints.append(
            services.cycle_create(
                actor=pm,
                project=project,
                name=f"Sprint {n}",
                start=start,
                finish=start + dt.timedelta(days=11),
                capacity_hours=200,
                goal=[
                    "Discovery done and scope signed off",
                    "Architecture approved",
                    "Orders: API and web front end",
                    "Tickets end to end",
                ][n - 1],
            )  # fmt: skip
        )
    window = services.cycle_create(
        actor=pm, project=project, name="Window: test preparation", kind="window",
        start=current + dt.timedelta(days=14), finish=current + dt.timedelta(days=41),
        capacity_hours=320, goal="Integration and acceptance testing broken down in time",
    )  # fmt: skip
    labels = {
        name: services.label_create(actor=pm, project=project, name=name, color=color)
        for name, color in LABELS
    }
    leaves = list(
        Task.objects.filter(project=project, children__isnull=True, milestone=False)
        .exclude(status=TaskStatus.CANCELLED)
        .order_by("wbs_sort")
    )
    by_name: dict[str, list[Task]] = {}
    for task in leaves:
        by_name.setdefault(task.name, []).append(task)
    sprint_one, sprint_two, sprint_three = leaves[0:5], leaves[5:10], leaves[10:17]
    # Sprint 1: all but one done; the rest carried into Sprint 2.
    s1, s2, s3, s4 = sprints
    _commit(pm, s1, sprint_one, _at(s1.start - dt.timedelta(days=3), 16))
    days = _working_days(s1.start, 10)
    for task, day in zip(sprint_one[:4], (days[1], days[3], days[6], days[8]), strict=True):
        _done(lee, task, _at(day, 15))
    _commit(pm, s2, sprint_two, _at(s2.start - dt.timedelta(days=3), 16))
    services.cycle_start(actor=pm, cycle=s1, version=None)
    services.cycle_close(actor=pm, cycle=s1, version=None, move_to=s2)
    AuditEvent.objects.filter(action__in=("task.carry_over", "cycle.close")).update(
        created_at=_at(s1.finish, 17)
    )
    days = _working_days(s2.start, 10)
    carried = sprint_one[4:]
    for task, day in zip(
        [*carried, *sprint_two[:4]], (days[0], days[2], days[3], days[6], days[9]), strict=True
    ):
        _done(kim, task, _at(day, 14))
    # A late addition in the middle of Sprint 2 (scope creep shows on the burndown).
    _commit(lee, s2, [sprint_three[0]], _at(days[4], 11))
    _done(lee, sprint_three[0], _at(days[7], 16))
    services.cycle_start(actor=pm, cycle=s2, version=None)
    services.cycle_close(actor=pm, cycle=s2, version=None, move_to=s3)
    AuditEvent.objects.filter(action="task.carry_over", created_at__gt=_at(s1.finish, 18)).update(
        created_at=_at(s2.finish, 17)
    )
    # Sprint 3 is active: some work done so far, some in progress, one blocked.
    rest = sprint_three[1:]
    _commit(pm, s3, rest, _at(s3.start - dt.timedelta(days=3), 16))
    services.cycle_start(actor=pm, cycle=s3, version=None)
    days = [d for d in _working_days(s3.start, 10) if d < today]
    for task, day in zip(rest[:4], days[1::2], strict=False):
        _done(lee, task, _at(day, 15))
    open_tasks = [
        Task.objects.get(pk=t.pk) for t in rest if not Task.objects.get(pk=t.pk).completed_at
    ]
    for task, status in zip(
        open_tasks,
        (TaskStatus.IN_PROGRESS, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED),
        strict=False,
    ):
        services.board_move(actor=kim, task=task, version=None, status=status)
    _commit(pm, s4, leaves[17:24], _at(s3.start, 10))
    # Rolling wave: the test phase is still coarse; integration testing is due to be broken down.
    for name in ("System integration test", "User acceptance test"):
        for task in by_name.get(name, []):
            services.planning_package_set(actor=pm, task=task, version=None, planning_package=True)
    for task in by_name.get("System integration test", []):
        _commit(pm, window, [task], _at(s3.start, 10))
    services.project_set_wip_limits(
        actor=pm, project=project, version=None, limits={"in_progress": 3, "blocked": 1}
    )
    for n, task in enumerate(leaves[:30]):
        names = {
            "API": ["backend"], "Web front end": ["frontend"], "Mobile screens": ["mobile"],
            "Threat model": ["security"], "Identity and SSO design": ["security", "backend"],
            "Penetration test": ["security"], "CI/CD pipeline": ["tech-debt"],
        }  # fmt: skip
        chosen = next((v for k, v in names.items() if k in task.name), None)
        if chosen is None and n % 4 == 0:
            chosen = ["backend"]
        if chosen:
            services.task_set_labels(
                actor=pm, task=task, version=None, label_ids=[labels[c].pk for c in chosen]
            )
