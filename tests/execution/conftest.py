"""Fixtures of execution tests: a sprint-sized plan of leaf tasks on the APL project."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from itpm.accounts.models import User
from itpm.planning.models import Task
from itpm.planning.services import task_create
from itpm.portfolio.models import Project


@pytest.fixture
def leaves(project: Project, people: dict[str, User]) -> dict[str, Task]:
    """Four leaf tasks of 8, 16, 24 and 12 hours under one phase, assigned to mia."""
    owner = people["owner"]
    phase = task_create(actor=owner, project=project, name="Sprint work", duration_hours=0)
    hours = {"a": 8, "b": 16, "c": 24, "d": 12}
    return {
        name: task_create(
            actor=owner,
            project=project,
            name=f"Task {name.upper()}",
            parent=phase,
            duration_hours=h,
            assignees=[people["member"]],
        )  # fmt: skip
        for name, h in hours.items()
    } | {"phase": phase}


def at(day: int, hour: int, month: int = 1) -> dt.datetime:
    """A moment in January 2027 (UTC, the APL project's zone)."""
    return dt.datetime(2027, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def sprint(project: Project, people: dict[str, User]) -> Any:
    from itpm.planning.cycle_services import cycle_create

    return cycle_create(
        actor=people["manager"], project=project, name="Sprint 1",
        start=dt.date(2027, 1, 4), finish=dt.date(2027, 1, 15), capacity_hours=60,
    )  # fmt: skip
