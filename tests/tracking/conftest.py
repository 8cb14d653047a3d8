"""Fixtures of the tracking tests: a budget, a costed baseline, a procurement team."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from itpm.accounts.models import Team, TeamKind, User
from itpm.planning.models import Baseline, BaselineTask, Resource, ResourceRate, Task
from itpm.portfolio.models import Project
from itpm.tracking.models import BudgetCategory
from itpm.tracking.services import budget_line_create

UTC = dt.UTC


@pytest.fixture
def buyer(people: dict[str, User]) -> User:
    """Pat from procurement: in the procurement team, no role on any project."""
    user = User.objects.create_user(username="pat", password="x", email="pat@example.com")
    team = Team.objects.create(name="Procurement", kind=TeamKind.PROCUREMENT)
    team.members.add(user)
    return user


@pytest.fixture
def lines(project: Project, people: dict[str, User]) -> dict[str, Any]:
    owner = people["owner"]
    labour = budget_line_create(
        actor=owner, project=project, category=BudgetCategory.INTERNAL_LABOUR, name="Team",
        months={"2027-01": "20000.00", "2027-02": "20000.00", "2027-03": "10000.00"},
    )  # fmt: skip
    hardware = budget_line_create(
        actor=owner, project=project, category=BudgetCategory.HARDWARE, name="Switches",
        months={"2027-02": "50000.00"},
    )  # fmt: skip
    return {"labour": labour, "hardware": hardware}


@pytest.fixture
def rated_member(people: dict[str, User]) -> Resource:
    """Mia's resource: 80/h until the end of January 2027, 100/h from February."""
    resource = Resource.objects.create(name="Mia", user=people["member"], cost_rate=Decimal(100))
    ResourceRate.objects.create(resource=resource, valid_from=dt.date(2026, 1, 1), rate=Decimal(80))
    ResourceRate.objects.create(
        resource=resource, valid_from=dt.date(2027, 2, 1), rate=Decimal(100)
    )
    return resource


def progress_dated(project: Project, moment: dt.datetime) -> None:
    """Date the task history this test just recorded (tasks created, progress reported) at
    ``moment``. Earned value at a status date replays progress from the audit trail, so a
    fixture that records progress now for fixed 2027 status dates dates it in 2027: the
    figures then stay the same when the real clock has passed those dates."""
    from django.utils import timezone

    from itpm.core.models import AuditEvent

    now = timezone.now()
    AuditEvent.objects.filter(
        project=project,
        object_type__in=("task", "taskprogress"),
        created_at__range=(now - dt.timedelta(hours=1), now),
    ).update(created_at=moment)


def textbook_baseline(project: Project, task: Task, cost: str = "100000.00") -> Baseline:
    """One task, ``cost`` spread evenly over ten working weeks from Monday 2027-01-04."""
    baseline = Baseline.objects.create(project=project, name="Plan", active=True)
    BaselineTask.objects.create(
        baseline=baseline, task=task, wbs_code=task.wbs_code, name=task.name,
        start=dt.datetime(2027, 1, 4, 9, 0, tzinfo=UTC),
        finish=dt.datetime(2027, 3, 12, 18, 0, tzinfo=UTC),
        duration_hours=400, work_hours=Decimal(400), cost=Decimal(cost),
    )  # fmt: skip
    return baseline


@pytest.fixture
def project_with_textbook(project: Project, people: dict[str, User], lines: dict[str, Any]) -> Any:
    from itpm.planning.services import task_create
    from itpm.tracking.models import BudgetPeriod
    from itpm.tracking.services import expense_create

    BudgetPeriod.objects.filter(line__project=project).delete()
    owner = people["owner"]
    task = task_create(actor=owner, project=project, name="Build the platform", duration_hours=400)
    textbook_baseline(project, task)
    progress_dated(project, dt.datetime(2027, 1, 4, 8, 0, tzinfo=UTC))
    expense_create(actor=owner, project=project, line=lines["hardware"], date=dt.date(2027, 1, 20),
                   amount="38000.00", description="Platform work")  # fmt: skip
    return project, task
