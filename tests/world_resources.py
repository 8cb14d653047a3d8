"""The resource-planning part of the permission-matrix world (see tests/world.py).

Per project: its calendar (with an exception on 2027-02-15), an assignment of the shared
rack to "Design", an active baseline and an inactive one (``baseline_id``). Shared: the
rack (``resource_id``) with an absence (``absence_id``). Also ``date`` = the exception day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from itpm.planning import resource_services as rs
from itpm.planning.models import (
    Assignment,
    Baseline,
    LevelingRun,
    Resource,
    ResourceAbsence,
    WorkCalendar,
)


def build_resource_world(world: Any) -> None:
    admin = world.users["admin"]
    rack = rs.resource_create(actor=admin, name="Matrix test rack", kind="hardware", capacity=3)
    absence = rs.absence_add(
        actor=admin, resource=rack, start=dt.date(2027, 3, 1), finish=dt.date(2027, 3, 2)
    )
    world.extra.update(resource_id=rack.pk, absence_id=absence.pk)
    for site in world.sites.values():
        project = site.project
        calendar = rs.calendar_create(actor=admin, project=project, name=f"{project.key} week")
        rs.calendar_exception_add(
            actor=admin, calendar=calendar, date=dt.date(2027, 2, 15), name="Holiday"
        )
        assignment = rs.assignment_create(actor=admin, task=site.tasks["design"], resource=rack)
        rs.baseline_create(actor=admin, project=project, name="Original")
        spare = rs.baseline_create(actor=admin, project=project, name="Alternative")
        project.refresh_from_db()
        site.extra.update(
            calendar_id=calendar.pk,
            assignment_id=assignment.pk,
            baseline_id=spare.pk,
            date="2027-02-15",  # type: ignore[dict-item]
        )


def destroy_resource_world() -> None:
    LevelingRun.objects.all().delete()
    Baseline.objects.all().delete()
    Assignment.objects.all().delete()
    ResourceAbsence.objects.all().delete()
    Resource.objects.all().delete()
    WorkCalendar.objects.all().delete()
