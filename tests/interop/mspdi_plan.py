"""A plan with every field the MSPDI export carries, built through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from itpm.accounts.models import User
from itpm.planning.models import Task
from itpm.planning.resource_services import (
    assignment_create,
    baseline_create,
    calendar_create,
    calendar_exception_add,
    rate_set,
    resource_create,
)
from itpm.planning.services import dependency_create, task_create, task_update
from itpm.portfolio.models import Project
from itpm.portfolio.services import project_create

UTC = dt.UTC


def build_rich_plan(admin: User, key: str = "RICH") -> Project:
    project = project_create(
        actor=admin, key=key, name="Data centre move", start_date=dt.date(2027, 3, 1)
    )
    calendar = calendar_create(
        actor=admin,
        name="Move calendar",
        project=project,
        working_days=[0, 1, 2, 3, 4],
        working_hours=[["08:00", "12:00"], ["13:00", "17:00"]],
    )
    calendar_exception_add(
        actor=admin, calendar=calendar, date=dt.date(2027, 3, 10), name="Audit day"
    )
    calendar_exception_add(
        actor=admin,
        calendar=calendar,
        date=dt.date(2027, 3, 13),
        name="Working Saturday",
        working=True,
        working_hours=[["09:00", "13:00"]],
    )
    project.refresh_from_db()

    def task(name: str, **extra: Any) -> Task:
        return task_create(actor=admin, project=project, name=name, **extra)

    phase = task("Prepare", duration_hours=0)
    survey = task("Survey racks", parent=phase, duration_hours=16, description="Count every U.")
    # Split tasks: one without resources, one with two (see mspdi_export).
    order = task("Order cabling", parent=phase, duration_hours=24, priority=800, splits=[[8, 16]])
    move = task("Move", duration_hours=0)
    shut = task(
        "Shut down old room",
        parent=move,
        duration_hours=8,
        constraint_type="SNET",
        constraint_date=dt.datetime(2027, 3, 15, 8, 0, tzinfo=UTC),
    )
    carry = task(
        "Carry servers",
        parent=move,
        duration_hours=32,
        splits=[[16, 8]],
        deadline=dt.datetime(2027, 3, 26, 17, 0, tzinfo=UTC),
    )
    power = task(
        "Power on",
        parent=move,
        duration_hours=8,
        constraint_type="FNLT",
        constraint_date=dt.datetime(2027, 4, 2, 17, 0, tzinfo=UTC),
    )
    done = task("Go live", milestone=True)
    for predecessor, successor, kind, lag in (
        (survey, order, "FS", 8),
        (survey, shut, "SS", 4),
        (shut, carry, "FS", 0),
        (carry, power, "FF", 2),
        (order, carry, "SF", -8),
        (power, done, "FS", 0),
    ):
        dependency_create(
            actor=admin,
            project=project,
            predecessor=predecessor,
            successor=successor,
            type=kind,
            lag_hours=lag,
        )
    survey.refresh_from_db()
    task_update(
        actor=admin,
        task=survey,
        version=survey.version,
        data={
            "percent_complete": 50,
            "status": "in_progress",
            "actual_start": dt.datetime(2027, 3, 1, 8, 0, tzinfo=UTC),
        },
    )
    alice = resource_create(
        actor=admin, name="Alice Network", capacity=Decimal(1), cost_rate=Decimal("80.00")
    )
    rate_set(actor=admin, resource=alice, valid_from=dt.date(2027, 4, 1), rate=Decimal("95.50"))
    crew = resource_create(
        actor=admin,
        name="Moving crew",
        kind="equipment",
        capacity=Decimal(3),
        cost_rate=Decimal(40),
    )
    for item, resource, units in (
        (survey, alice, Decimal("0.5")),
        (carry, crew, Decimal(2)),
        (carry, alice, Decimal(1)),
        (power, alice, Decimal("0.25")),
    ):
        item.refresh_from_db()
        assignment_create(actor=admin, task=item, resource=resource, units=units)
    baseline_create(actor=admin, project=project, name="Approved plan")
    project.refresh_from_db()
    return project
