"""Demo data of resource planning: project calendars with public holidays, a test rack,
absences, a shutdown day that makes tasks slip against the baseline, over-allocation.

``load_resources_demo`` runs last in ``load_demo``: after the tracking demo, which creates the
people's resources, their assignments and the "Approved plan" baselines (if it has not run,
the people's resources are created here). Calendars arrive after the baseline, as they
often do: their holidays make some tasks slip against it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from itpm.accounts.models import Team, User
from itpm.planning import resource_services as rs
from itpm.planning.models import Assignment, Resource, Task
from itpm.planning.scheduling import deferred_rescheduling
from itpm.portfolio.models import Project

# Project key: (country, region, time zone), where each demo project works.
CALENDARS = {
    "HWDC": ("DE", "HE", "Europe/Berlin"),
    "PORTAL": ("US", "NY", "America/New_York"),
    "NET": ("US", "NY", "America/New_York"),
    "DWH": ("GB", "ENG", "Europe/London"),
    "SDESK": ("US", "NY", "America/New_York"),
    "CLOUD": ("US", "CA", "America/Los_Angeles"),
}
TEAMS = {"pm": "Delivery", "dana": "Delivery", "sam": "Operations", "lee": "Business data",
         "kim": "Security & compliance", "pat": "Procurement", "ops": "Operations"}  # fmt: skip


def load_calendars_demo(users: dict[str, User]) -> None:
    pm = users["pm"]
    admin = users["admin"]
    with deferred_rescheduling():
        for key, (country, region, zone) in CALENDARS.items():
            project = Project.objects.filter(key=key).first()
            if project is None or project.calendar_id is not None:
                continue
            actor = admin if project.archived else pm
            if project.archived:
                continue
            rs.calendar_create(
                actor=actor, project=project, name=f"{key} working week ({country}-{region})",
                country=country, subdivision=region, timezone=zone,
                working_hours=[["09:00", "13:00"], ["14:00", "18:00"]],
            )  # fmt: skip
    hwdc = Project.objects.filter(key="HWDC").first()
    if hwdc is not None and hwdc.calendar is not None and hwdc.start_date:
        # The cut-over weekend: the Saturday of the project's ninth week is worked.
        saturday = hwdc.start_date + dt.timedelta(weeks=8, days=5 - hwdc.start_date.weekday())
        rs.calendar_exception_add(
            actor=pm, calendar=hwdc.calendar, date=saturday, name="Cut-over Saturday",
            working=True, working_hours=[["09:00", "15:00"]],
        )  # fmt: skip
    if not Resource.objects.filter(kind="hardware").exists():
        rs.calendar_create(
            actor=admin, name="Part time (mornings)", working_hours=[["09:00", "13:00"]]
        )


RATES = {"pm": 110, "dana": 95, "sam": 85, "lee": 90, "kim": 100, "ops": 75, "pat": 70}


def load_resources_demo(users: dict[str, User]) -> None:
    admin = users["admin"]
    pm = users["pm"]
    load_calendars_demo(users)
    for username, team_name in TEAMS.items():
        team = Team.objects.filter(name=team_name).first()
        user = users.get(username)
        if user is not None and not Resource.objects.filter(user=user).exists():
            rs.resource_create(
                actor=admin, name=user.display_name, user=user, team=team,
                cost_rate=Decimal(RATES[username]),
            )  # fmt: skip
        Resource.objects.filter(user__username=username, team__isnull=True).update(team=team)
    rack = Resource.objects.filter(name="Test rack").first() or rs.resource_create(
        actor=admin, name="Test rack", kind="hardware", capacity=1, cost_rate=Decimal("15"),
        team=Team.objects.filter(name="Operations").first(),
    )  # fmt: skip
    if not Resource.objects.filter(name="Fibre splicer").exists():
        rs.resource_create(
            actor=admin, name="Fibre splicer", kind="equipment", cost_rate=Decimal("40")
        )
    dana = Resource.objects.filter(user__username="dana").first()
    if dana is not None and not dana.absences.exists():
        today = dt.date.today()  # noqa: DTZ011 - demo data around the current date
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=3)
        rs.absence_add(
            actor=admin, resource=dana, start=monday, finish=monday + dt.timedelta(days=11),
            reason="Summer vacation",
        )  # fmt: skip
    hwdc = Project.objects.filter(key="HWDC").first()
    if hwdc is not None:
        # Burn-in and test steps of the racks all need the one test rack: over-allocation.
        tests = Task.objects.filter(
            project=hwdc, children__isnull=True, milestone=False, status="not_started"
        ).filter(name__iregex=r"install servers|burn|firmware|scan")[:12]
        with deferred_rescheduling():
            for task in tests:
                if not Assignment.objects.filter(task=task, resource=rack).exists():
                    rs.assignment_create(actor=pm, task=task, resource=rack)
    _load_night_crew_demo(users)
    cloud = Project.objects.filter(key="CLOUD").first()
    if cloud is not None and cloud.calendar is not None:
        # A shutdown announced after the baseline: tasks slip and show as late against it.
        upcoming = (
            Task.objects.filter(project=cloud, children__isnull=True, status="not_started")
            .exclude(planned_start__isnull=True)
            .order_by("planned_start")
            .first()
        )
        if upcoming is not None and upcoming.planned_start is not None:
            # The plan on the Los Angeles calendar is saved too (not active), so the
            # shutdown's slip can be read alone, without the move from the default calendar.
            if not cloud.baselines.filter(name="Re-plan on the project calendar").exists():
                rs.baseline_create(
                    actor=pm, project=cloud, name="Re-plan on the project calendar", active=False
                )
            day = upcoming.planned_start.astimezone(ZoneInfo(cloud.calendar.timezone)).date()
            rs.calendar_exception_add(
                actor=pm, calendar=cloud.calendar, date=day, name="Data-centre power test"
            )


def _load_night_crew_demo(users: dict[str, User]) -> None:
    """PORTAL's go-live cut-over is done at night, outside business hours, by a night crew:
    the task is scheduled on the crew's calendar (22:00-06:00 New York), not the project's."""
    portal = Project.objects.filter(key="PORTAL").first()
    manager = users.get("dana")
    if portal is None or manager is None or Resource.objects.filter(name="Night crew").exists():
        return
    cutover = Task.objects.filter(
        project=portal, name="Go-live cut-over", status="not_started"
    ).first()
    if cutover is None:
        return
    night = rs.calendar_create(
        actor=users["admin"], name="Night change window (22:00-06:00)",
        working_hours=[["00:00", "06:00"], ["22:00", "24:00"]],
        timezone="America/New_York", use_for_project=False,
    )  # fmt: skip
    crew = rs.resource_create(
        actor=users["admin"], name="Night crew", kind="person", calendar=night,
        team=Team.objects.filter(name="Operations").first(), cost_rate=Decimal("120"),
    )  # fmt: skip
    rs.assignment_create(actor=manager, task=cutover, resource=crew)
