"""Fixtures of resource planning: resources shared by APL and ZED, a calendar, assignments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from itpm.accounts.models import User
from itpm.planning import resource_services as rs
from itpm.planning.models import Resource, Task
from itpm.planning.services import dependency_create, task_create
from itpm.portfolio.models import Project


@pytest.fixture
def dana(people: dict[str, User]) -> Resource:
    return rs.resource_create(actor=people["admin"], name="Dana", cost_rate=Decimal("100"))


@pytest.fixture
def rack(people: dict[str, User]) -> Resource:
    return rs.resource_create(
        actor=people["admin"], name="Test rack", kind="hardware", cost_rate=Decimal("10")
    )


@pytest.fixture
def parallel(project: Project, people: dict[str, User]) -> dict[str, Task]:
    """Three independent 16 h tasks in APL: CPM runs them side by side from day one."""
    owner = people["owner"]
    return {
        name: task_create(actor=owner, project=project, name=name, duration_hours=16)
        for name in ("Alpha", "Bravo", "Charlie")
    }


@pytest.fixture
def chain(project: Project, people: dict[str, User]) -> dict[str, Task]:
    owner = people["owner"]
    first = task_create(actor=owner, project=project, name="First", duration_hours=8)
    second = task_create(actor=owner, project=project, name="Second", duration_hours=16)
    dependency_create(actor=owner, project=project, predecessor=first, successor=second)
    return {"first": first, "second": second}


def fresh(obj: Any) -> Any:
    return type(obj).objects.get(pk=obj.pk)
