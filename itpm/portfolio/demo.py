"""The demo portfolio: realistic IT projects of every category, built through the services
(so it has the same audit trail as real use)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from rich.progress import Progress

from itpm.accounts.models import Role, Team, TeamKind, User
from itpm.accounts.services import membership_set, team_create, user_create
from itpm.helpdesk.demo import load_helpdesk_demo
from itpm.planning.models import Task, TaskStatus
from itpm.planning.scheduling import deferred_rescheduling
from itpm.planning.services import dependency_create, task_create
from itpm.portfolio.models import Category, Project, Stage
from itpm.portfolio.services import project_create

PEOPLE = [
    # username, first, last, admin
    ("admin", "Ada", "Admin", True),
    ("pm", "Priya", "Menon", False),
    ("cio", "Carlos", "Ortega", False),
    ("dana", "Dana", "Whitfield", False),
    ("sam", "Sam", "Okafor", False),
    ("lee", "Lee", "Nakamura", False),
    ("kim", "Kim", "Larsen", False),
    ("pat", "Pat", "Rossi", False),
    ("ops", "Omar", "Said", False),
    ("viewer", "Vera", "Lind", False),
]

TEAMS = [
    ("Delivery", TeamKind.DELIVERY, ["pm", "dana", "sam", "lee"]),
    ("Business data", TeamKind.BUSINESS_DATA, ["lee"]),
    ("Security & compliance", TeamKind.SECURITY_COMPLIANCE, ["kim"]),
    ("Procurement", TeamKind.PROCUREMENT, ["pat"]),
    ("Operations", TeamKind.OPERATIONS, ["ops", "sam"]),
]


@dataclass
class Phase:
    name: str
    tasks: list[tuple[str, int]]  # (name, working hours)
    milestone: str | None = None
    repeat: list[str] = field(default_factory=list)  # one sub-phase per item
    wait_weeks: int = 0  # lead time before the phase starts (delivery, change window)
    group_weeks: float = 0.4  # the repeated groups start this many weeks apart


@dataclass
class DemoProject:
    key: str
    name: str
    goal: str
    category: str
    stage: str
    start: dt.date
    weeks: int
    team: list[tuple[str, str]]
    phases: list[Phase]
    # Weeks the progress trails the plan on the demo's week (HWDC waits on rack deliveries).
    behind_weeks: float = 0.0


PROJECTS = [
    DemoProject(
        "HWDC",
        "Frankfurt data-centre rack installation",
        "Install and commission **12 racks** of compute and storage in the new Frankfurt "
        "cage, ready for the platform team by the end of Q2.",
        Category.HARDWARE,
        Stage.EXECUTION,
        dt.date(2026, 9, 7),
        26,
        [("sam", Role.MANAGER), ("pat", Role.MEMBER), ("kim", Role.MEMBER), ("ops", Role.VIEWER)],
        [
            Phase(
                "Site survey and design",
                [
                    ("Survey cage power and cooling", 16),
                    ("Rack elevation design", 24),
                    ("Cabling plan", 16),
                    ("Design review with facilities", 4),
                ],
                "Design approved",
            ),
            Phase(
                "Procurement",
                [
                    ("Request vendor quotes", 8),
                    ("Raise purchase orders", 8),
                    ("Vendor delivery lead time", 240),
                    ("Goods-in inspection", 16),
                ],
                "Hardware on site",
            ),
            Phase(
                "Installation",
                [
                    ("Mount racks and PDUs", 16),
                    ("Install servers", 24),
                    ("Install storage shelves", 16),
                    ("Patch network and power", 16),
                    ("Label and document", 8),
                ],
                None,
                ["Row A", "Row B", "Row C"],
            ),
            Phase(
                "Commissioning",
                [
                    ("Burn-in tests", 40),
                    ("Firmware baseline", 16),
                    ("Security hardening scan", 16),
                    ("Monitoring onboarding", 8),
                ],
                "Racks commissioned",
            ),
            Phase(
                "Handover",
                [("Runbook and as-built docs", 16), ("Operations walkthrough", 4)],
                "Handed to operations",
            ),
        ],
        behind_weeks=1.5,  # the second rack delivery arrived late
    ),
    DemoProject(
        "PORTAL",
        "Customer self-service portal rebuild",
        "Replace the legacy PHP portal with a web and mobile app so customers can manage "
        "orders and tickets themselves; cut call volume by 25 %.",
        Category.SOFTWARE,
        Stage.PLANNING,
        dt.date(2026, 10, 19),  # sprint 1 (planning.demo_execution) starts that week
        40,
        [("dana", Role.MANAGER), ("lee", Role.MEMBER), ("kim", Role.MEMBER), ("cio", Role.VIEWER)],
        [
            Phase(
                "Discovery",
                [
                    ("Stakeholder interviews", 24),
                    ("Current-state analytics", 16),
                    ("Personas and journeys", 24),
                    ("Non-functional requirements", 16),
                ],
                "Scope signed off",
            ),
            Phase(
                "Architecture",
                [
                    ("Solution architecture", 40),
                    ("Identity and SSO design", 24),
                    ("Threat model", 16),
                    ("CI/CD pipeline", 24),
                ],
                "Architecture approved",
            ),
            Phase(
                "Build",
                [
                    ("UX design", 24),
                    ("API endpoints", 40),
                    ("Web front end", 40),
                    ("Mobile screens", 32),
                    ("Unit and contract tests", 24),
                    ("Accessibility review", 8),
                ],
                None,
                [
                    "Orders",
                    "Tickets",
                    "Invoices",
                    "Account & profile",
                    "Notifications",
                    "Search",
                    "Admin console",
                    "Reporting",
                ],
            ),
            Phase(
                "Test",
                [
                    ("System integration test", 80),
                    ("Performance test", 40),
                    ("Penetration test", 40),
                    ("User acceptance test", 80),
                ],
                "Ready for release",
            ),
            Phase(
                "Release",
                [("Data migration rehearsal", 24), ("Go-live cut-over", 16), ("Hypercare", 80)],
                "Portal live",
            ),
        ],
    ),
    DemoProject(
        "NET",
        "Campus network refresh",
        "Replace 40 end-of-life access switches and the core pair across three buildings "
        "without user downtime in business hours.",
        Category.NETWORK_CLOUD,
        Stage.MONITORING,
        dt.date(2026, 6, 1),
        30,
        [("sam", Role.MANAGER), ("kim", Role.MEMBER), ("pat", Role.MEMBER), ("ops", Role.MEMBER)],
        [
            Phase(
                "Design",
                [
                    ("Inventory current switches", 16),
                    ("Target topology", 24),
                    ("Security review of design", 8),
                    ("Change-advisory approval", 4),
                ],
                "Design signed",
            ),
            Phase(
                "Core",
                [
                    ("Stage core switches in lab", 24),
                    ("Core cut-over window", 8),
                    ("Core validation", 8),
                ],
                "Core live",
                wait_weeks=5,  # core switch delivery
            ),
            Phase(
                "Access layer",
                [
                    ("Pre-stage configs", 8),
                    ("Night swap of closet switches", 16),
                    ("Wi-Fi controller re-home", 8),
                    ("Floor walk and fixes", 8),
                ],
                None,
                ["Building A", "Building B", "Building C"],
                group_weeks=8,  # one building per change window
            ),
            Phase(
                "Close-out",
                [("Decommission old kit", 16), ("Update CMDB", 8), ("Lessons learned", 4)],
                "Network refresh complete",
                wait_weeks=2,  # the new kit runs two weeks before the old is removed
            ),
        ],
    ),
    DemoProject(
        "DWH",
        "Sales analytics warehouse",
        "Give sales leadership one trusted revenue dashboard, refreshed daily, from a cloud "
        "warehouse fed by CRM and ERP.",
        Category.DATA,
        Stage.INITIATION,
        dt.date(2027, 2, 1),
        20,
        [("lee", Role.MANAGER), ("dana", Role.MEMBER), ("kim", Role.MEMBER)],
        [
            Phase(
                "Business case",
                [
                    ("Define KPIs with sales ops", 16),
                    ("Data source inventory", 16),
                    ("Cost and benefit estimate", 16),
                ],
                "Business case approved",
            ),
            Phase(
                "Feasibility",
                [
                    ("Data quality sampling", 24),
                    ("Data-protection impact assessment", 16),
                    ("Warehouse vendor shortlist", 16),
                ],
                "Feasibility decided",
            ),
            Phase(
                "Pilot",
                [
                    ("Ingest CRM opportunities", 40),
                    ("Ingest ERP invoices", 40),
                    ("Revenue model", 32),
                    ("Pilot dashboard", 24),
                    ("Pilot review", 4),
                ],
                "Pilot accepted",
            ),
            Phase(
                "Rollout plan",
                [
                    ("Data governance roles", 8),
                    ("Access model per region", 16),
                    ("Training plan for analysts", 8),
                    ("Run-cost forecast", 8),
                ],
                "Rollout approved",
            ),
        ],
    ),
    DemoProject(
        "SDESK",
        "Service desk for HR systems",
        "Stand up a help-desk queue with SLAs for the new HR system and train first-line agents.",
        Category.HELPDESK,
        Stage.CLOSING,
        dt.date(2026, 3, 2),
        16,
        [("ops", Role.MANAGER), ("lee", Role.MEMBER)],
        [
            Phase(
                "Set-up",
                [
                    ("Define ticket categories", 8),
                    ("SLA policy with HR", 8),
                    ("Queue and routing rules", 8),
                    ("Knowledge-base articles", 24),
                    ("Requester portal form", 8),
                    ("Canned replies", 8),
                    ("Escalation matrix", 4),
                ],
                "Queue ready",
            ),
            Phase(
                "Training",
                [
                    ("Train first-line agents", 16),
                    ("Train second-line HR analysts", 8),
                    ("Shadowing week", 40),
                    ("Agent certification quiz", 4),
                ],
                "Agents certified",
            ),
            Phase(
                "Go-live",
                [("Announce to staff", 4), ("Go-live support", 40), ("30-day SLA review", 8)],
                "Service accepted",
            ),
        ],
    ),
    DemoProject(
        "M365",
        "Laptop fleet renewal and Microsoft 365 migration",
        "Renew 600 laptops and move mailboxes and file shares to Microsoft 365.",
        Category.OTHER,
        Stage.CLOSED,
        dt.date(2025, 9, 1),
        30,
        [("pat", Role.MANAGER), ("ops", Role.MEMBER), ("kim", Role.MEMBER)],
        [
            Phase(
                "Preparation",
                [("Tenant configuration", 24), ("Pilot group", 40), ("Image build", 24)],
                "Pilot complete",
            ),
            Phase(
                "Waves",
                [
                    ("Ship laptops", 16),
                    ("Migrate mailboxes", 24),
                    ("Migrate file shares", 24),
                    ("Floor support", 16),
                ],
                None,
                ["Wave 1", "Wave 2", "Wave 3", "Wave 4"],
            ),
            Phase(
                "Closure",
                [("Collect old laptops", 24), ("Certified disposal", 8), ("Final report", 8)],
                "Programme closed",
            ),
        ],
    ),
    DemoProject(
        "CLOUD",
        "Backup migration to cloud object storage",
        "Move nightly backups from tape to immutable cloud object storage with 35-day retention.",
        Category.NETWORK_CLOUD,
        Stage.EXECUTION,
        dt.date(2026, 10, 5),
        14,
        [("sam", Role.MANAGER), ("kim", Role.MEMBER), ("ops", Role.MEMBER)],
        [
            Phase(
                "Design",
                [
                    ("Retention and immutability policy", 8),
                    ("Network bandwidth test", 8),
                    ("Cost model", 8),
                ],
                "Design approved",
            ),
            Phase(
                "Build",
                [
                    ("Provision buckets and keys", 8),
                    ("Configure backup jobs", 16),
                    ("First full backup", 40),
                    ("Restore test", 16),
                ],
                None,
                ["Head office", "Branch offices", "Data centre"],
                group_weeks=3,  # one site at a time over the WAN
            ),
            Phase(
                "Acceptance",
                [
                    ("Restore drill with application owners", 8),
                    ("Security sign-off of key management", 4),
                ],
                "Backups in cloud",
            ),
            Phase(
                "Cut-over",
                [("Stop tape rotation", 4), ("Update runbooks", 8)],
                "Tape retired",
                wait_weeks=3,  # tapes and cloud copies run side by side first
            ),
        ],
    ),
]

# The dates above describe the portfolio as of this week. Loaded in a later (or earlier) week,
# every project moves by whole weeks, so the demo always shows the same point of each plan.
DEMO_WEEK = dt.date(2026, 11, 23)


def demo_shift(today: dt.date | None = None) -> dt.timedelta:
    """How far the demo's dates move when loaded on ``today`` (whole weeks)."""
    day = today or timezone.localdate()
    return dt.timedelta(weeks=(day - dt.timedelta(days=day.weekday()) - DEMO_WEEK).days // 7)


def load_demo(*, password: str, progress: bool = False) -> bool:
    """Create the demo users, teams and projects. Returns False if they exist already."""
    if Project.objects.filter(key="HWDC").exists():
        return False
    with transaction.atomic():
        users = {}
        for username, first, last, admin in PEOPLE:
            users[username] = User.objects.filter(username=username).first() or user_create(
                actor=None, username=username, password=password, first_name=first,
                last_name=last, email=f"{username}@example.com", admin=admin, check_password=False,
            )  # fmt: skip
        for name, kind, members in TEAMS:
            if not Team.objects.filter(name=name).exists():
                team_create(actor=users["admin"], name=name, kind=kind,
                            members=[users[m] for m in members])  # fmt: skip
        bar = Progress(disable=not progress)
        with bar:
            job = bar.add_task("Demo portfolio", total=len(PROJECTS))
            for spec in PROJECTS:
                _load_project(spec, users)
                bar.advance(job)
        from itpm.portfolio.lifecycle_demo import load_lifecycle_demo

        load_lifecycle_demo(users)
        load_helpdesk_demo(users, password=password)
        from itpm.planning.demo_execution import load_execution_demo

        load_execution_demo(users)
        from itpm.tracking.demo import load_tracking_demo

        load_tracking_demo(users)
        from itpm.planning.resource_demo import load_resources_demo

        load_resources_demo(users)
        from itpm.control.demo import load_control_demo

        load_control_demo(users)
        from itpm.webhooks.demo import load_webhooks_demo

        load_webhooks_demo(users)
        from itpm.notifications.demo import load_notifications_demo

        load_notifications_demo(users)
        from itpm.documents.demo import load_documents_demo

        load_documents_demo(users)
        from itpm.accounts.demo import load_accounts_demo

        load_accounts_demo(users)
    return True


def _load_project(spec: DemoProject, users: dict[str, User]) -> None:
    pm = users["pm"]
    start = spec.start + demo_shift()
    project = project_create(
        actor=pm, key=spec.key, name=spec.name, goal=spec.goal, category=spec.category,
        stage=spec.stage, sponsor=users["cio"], start_date=start,
        target_date=start + dt.timedelta(weeks=spec.weeks),
    )  # fmt: skip
    for username, role in spec.team:
        membership_set(actor=pm, project=project, user=users[username], role=role)
    membership_set(actor=pm, project=project, user=users["viewer"], role=Role.VIEWER)
    assignable = [users[u] for u, role in spec.team if role != Role.VIEWER] or [pm]
    leaves: list[Task] = []
    previous_phase_end: Task | None = None
    # The engine schedules once at the end; the links below give the plan its shape.
    with deferred_rescheduling():
        for phase_number, phase in enumerate(spec.phases):
            summary = task_create(actor=pm, project=project, name=phase.name, duration_hours=0)
            groups = [(summary, phase.tasks)]
            if phase.repeat:
                groups = [
                    (task_create(actor=pm, project=project, name=item, parent=summary,
                                 duration_hours=0), phase.tasks)
                    for item in phase.repeat
                ]  # fmt: skip
            phase_ends: list[Task] = []
            for group_number, (parent, steps) in enumerate(groups):
                previous: Task | None = None
                for step_number, (name, hours) in enumerate(steps):
                    person = assignable[
                        (phase_number + group_number + step_number) % len(assignable)
                    ]
                    task = task_create(
                        actor=pm, project=project, name=name, parent=parent,
                        duration_hours=hours, assignees=[person],
                    )  # fmt: skip
                    leaves.append(task)
                    if previous is not None:
                        dependency_create(
                            actor=pm, project=project, predecessor=previous, successor=task
                        )
                    elif previous_phase_end is not None:
                        # Parallel groups (rows, waves, modules) start group_weeks apart.
                        lag = 40 * (phase.wait_weeks + phase.group_weeks * group_number)
                        dependency_create(
                            actor=pm, project=project, predecessor=previous_phase_end,
                            successor=task, lag_hours=round(lag),
                        )  # fmt: skip
                    previous = task
                phase_ends.append(previous)  # type: ignore[arg-type]
            if phase.milestone:
                milestone = task_create(
                    actor=pm, project=project, name=phase.milestone, parent=summary,
                    milestone=True,
                )  # fmt: skip
                for end in phase_ends:
                    dependency_create(
                        actor=pm, project=project, predecessor=end, successor=milestone
                    )
                leaves.append(milestone)
                previous_phase_end = milestone
            else:
                previous_phase_end = phase_ends[-1]
    for task in leaves:
        task.refresh_from_db()
    if spec.stage in (Stage.EXECUTION, Stage.MONITORING, Stage.CLOSING, Stage.CLOSED):
        # PORTAL's progress (planning stage, sprints) comes from planning.demo_execution.
        point = timezone.now() - dt.timedelta(weeks=spec.behind_weeks)
        if spec.stage == Stage.CLOSED:
            point = dt.datetime.max.replace(tzinfo=dt.UTC)
        _set_progress(leaves, point)


def _set_progress(leaves: list[Task], point: dt.datetime) -> None:
    """Progress follows the plan: tasks planned to finish by ``point`` are done, a task
    planned across it is in progress by its elapsed share (so SPI stays near 1 on time)."""
    updates = []
    for task in leaves:
        start, finish = task.planned_start, task.planned_finish
        if start is None or finish is None or start > point:
            continue
        if finish <= point:
            task.status, task.percent_complete = TaskStatus.DONE, 100
            task.completed_at = finish
        elif not task.milestone:
            share = (point - start) / (finish - start)
            percent = min(95, max(5, round(share * 20) * 5))
            task.status, task.percent_complete = TaskStatus.IN_PROGRESS, percent
        else:
            continue
        updates.append(task)
    Task.objects.bulk_update(updates, ["status", "percent_complete", "completed_at"])
