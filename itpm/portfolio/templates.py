"""Category templates: the standard phases, tasks, milestones and links of each kind of
IT project, and the service that lays them into a project.

The data is plain Python (reviewable in a diff, no fixtures). Within a phase every item
follows the one before it unless it names its predecessors in ``after`` (by name, unique
within a template); the first item of a phase follows the previous phase's last item.
``after=()`` means "no predecessor": the item starts with the project.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import require_role
from itpm.core.errors import Conflict
from itpm.core.services import audit
from itpm.planning.models import Task
from itpm.planning.scheduling import deferred_rescheduling
from itpm.planning.services import dependency_create, task_create
from itpm.portfolio.models import Category, Project
from itpm.portfolio.services import project_create


@dataclass(frozen=True)
class Item:
    name: str
    hours: int = 0
    milestone: bool = False
    after: tuple[str, ...] | None = None  # None: the item before it


def M(name: str, after: tuple[str, ...] | None = None) -> Item:  # noqa: N802 - reads as data
    return Item(name, 0, True, after)


@dataclass(frozen=True)
class Phase:
    name: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Template:
    category: str
    name: str
    phases: tuple[Phase, ...] = field(default_factory=tuple)

    @property
    def task_count(self) -> int:
        return sum(len(p.items) for p in self.phases) + len(self.phases)

    def links(self) -> list[tuple[str, str]]:
        """(predecessor, successor) names: the template's finish-to-start links."""
        result: list[tuple[str, str]] = []
        previous: str | None = None
        for phase in self.phases:
            for item in phase.items:
                if item.after is None:
                    if previous is not None:
                        result.append((previous, item.name))
                else:
                    result.extend((before, item.name) for before in item.after)
                previous = item.name
        return result


TEMPLATES: dict[str, Template] = {
    Category.HARDWARE: Template(
        Category.HARDWARE,
        "Hardware installation",
        (
            Phase(
                "Site survey and design",
                (
                    Item("Site survey: power, cooling, floor load", 16),
                    Item("Rack elevation and cabling design", 24),
                    Item("Bill of materials", 8),
                    M("Design approved"),
                ),
            ),
            Phase(
                "Procurement",
                (
                    Item("Request quotes from three vendors", 16),
                    Item("Purchase order approval", 8),
                    Item("Vendor lead time and delivery", 80),
                    Item("Goods receipt and asset tagging", 8),
                    M("Hardware on site"),
                ),
            ),
            Phase(
                "Installation",
                (
                    Item("Rack and stack", 40),
                    Item("Power distribution and PDUs", 16),
                    Item("Structured cabling and patching", 32),
                    Item("Firmware baseline and BIOS settings", 16),
                    M("Installed"),
                ),
            ),
            Phase(
                "Commissioning",
                (
                    Item("Burn-in test (72 h)", 24),
                    Item("Failover and redundancy test", 16),
                    Item(
                        "Monitoring and alerting onboarded",
                        8,
                        after=("Firmware baseline and BIOS settings",),
                    ),
                    Item(
                        "Security hardening checklist",
                        8,
                        after=("Firmware baseline and BIOS settings",),
                    ),
                    M(
                        "Accepted by operations",
                        after=(
                            "Failover and redundancy test",
                            "Monitoring and alerting onboarded",
                            "Security hardening checklist",
                        ),
                    ),
                ),
            ),
            Phase(
                "Handover",
                (
                    Item("As-built documentation and runbook", 16),
                    Item("Operations walkthrough", 4),
                    M("Handed to operations"),
                ),
            ),
        ),
    ),  # fmt: skip
    Category.SOFTWARE: Template(
        Category.SOFTWARE,
        "Software, website and app development",
        (
            Phase(
                "Discovery",
                (
                    Item("Stakeholder interviews", 24),
                    Item("Requirements and user stories", 32),
                    Item("Non-functional requirements", 16, after=("Stakeholder interviews",)),
                    M(
                        "Scope signed off",
                        after=("Requirements and user stories", "Non-functional requirements"),
                    ),
                ),
            ),
            Phase(
                "Design",
                (
                    Item("Solution architecture", 32),
                    Item("UX wireframes and prototype", 40, after=("Scope signed off",)),
                    Item("Threat model", 16, after=("Solution architecture",)),
                    Item("CI/CD pipeline and environments", 24, after=("Solution architecture",)),
                    M("Design approved", after=("UX wireframes and prototype", "Threat model")),
                ),
            ),
            Phase(
                "Build",
                (
                    Item(
                        "Back end and API",
                        120,
                        after=("Design approved", "CI/CD pipeline and environments"),
                    ),
                    Item("Front end", 120, after=("Design approved",)),
                    Item("Integrations", 64, after=("Back end and API",)),
                    Item("Automated tests", 48, after=("Front end", "Integrations")),
                    M("Feature complete"),
                ),
            ),
            Phase(
                "Test",
                (
                    Item("System integration test", 40),
                    Item("Performance test", 24, after=("Feature complete",)),
                    Item("Security test", 24, after=("Feature complete",)),
                    Item("User acceptance test", 40, after=("System integration test",)),
                    M(
                        "Ready for release",
                        after=("User acceptance test", "Performance test", "Security test"),
                    ),
                ),
            ),
            Phase(
                "Release",
                (
                    Item("Release and cut-over", 16),
                    Item("Hypercare", 40),
                    M("Live and handed over"),
                ),
            ),
        ),
    ),  # fmt: skip
    Category.NETWORK_CLOUD: Template(
        Category.NETWORK_CLOUD,
        "Network and cloud rollout",
        (
            Phase(
                "Assessment",
                (
                    Item("Inventory of current network and workloads", 24),
                    Item("Capacity and traffic analysis", 16),
                    Item("Target architecture and landing zone design", 32),
                    M("Architecture approved"),
                ),
            ),
            Phase(
                "Foundation",
                (
                    Item("Cloud accounts, IAM and guardrails", 24),
                    Item("Network connectivity (VPN / direct connect)", 32),
                    Item("IP plan, DNS and firewall rules", 16, after=("Architecture approved",)),
                    Item(
                        "Monitoring and logging baseline",
                        16,
                        after=("Cloud accounts, IAM and guardrails",),
                    ),
                    M(
                        "Foundation ready",
                        after=(
                            "Network connectivity (VPN / direct connect)",
                            "IP plan, DNS and firewall rules",
                            "Monitoring and logging baseline",
                        ),
                    ),
                ),
            ),
            Phase(
                "Pilot",
                (
                    Item("Pilot site or workload migration", 24),
                    Item("Pilot validation with users", 16),
                    M("Pilot accepted"),
                ),
            ),
            Phase(
                "Rollout waves",
                (
                    Item("Wave 1 rollout", 40),
                    Item("Wave 2 rollout", 40),
                    Item("Wave 3 rollout", 40),
                    Item("Decommission legacy equipment", 16),
                    M("Rollout complete"),
                ),
            ),
            Phase(
                "Close-out",
                (
                    Item("Updated network diagrams and runbooks", 16),
                    Item("Operations handover", 8),
                    M("Handed to operations"),
                ),
            ),
        ),
    ),  # fmt: skip
    Category.DATA: Template(
        Category.DATA,
        "Data management and analytics",
        (
            Phase(
                "Discovery",
                (
                    Item("Business questions and KPIs", 16),
                    Item("Source system inventory", 16, after=()),
                    Item("Data quality assessment", 24, after=("Source system inventory",)),
                    Item(
                        "Privacy and retention review (GDPR)", 8, after=("Source system inventory",)
                    ),
                    M(
                        "Requirements agreed",
                        after=(
                            "Business questions and KPIs",
                            "Data quality assessment",
                            "Privacy and retention review (GDPR)",
                        ),
                    ),
                ),
            ),
            Phase(
                "Data platform",
                (
                    Item("Data model (star schema)", 32),
                    Item("Ingestion pipelines", 48),
                    Item("Transformations and tests", 40),
                    Item(
                        "Access roles and row-level security",
                        16,
                        after=("Data model (star schema)",),
                    ),
                    M(
                        "Data platform ready",
                        after=("Transformations and tests", "Access roles and row-level security"),
                    ),
                ),
            ),
            Phase(
                "Analytics",
                (
                    Item("Dashboards and reports", 40),
                    Item("Metric definitions and data catalog", 16, after=("Data platform ready",)),
                    Item(
                        "Reconciliation with finance figures", 16, after=("Dashboards and reports",)
                    ),
                    M(
                        "Reports validated",
                        after=(
                            "Reconciliation with finance figures",
                            "Metric definitions and data catalog",
                        ),
                    ),
                ),
            ),
            Phase(
                "Rollout",
                (
                    Item("User training", 16),
                    Item("Scheduling and alerting of loads", 8, after=("Reports validated",)),
                    Item(
                        "Handover to data operations",
                        8,
                        after=("User training", "Scheduling and alerting of loads"),
                    ),
                    M("In production"),
                ),
            ),
        ),
    ),  # fmt: skip
    Category.HELPDESK: Template(
        Category.HELPDESK,
        "Help-desk service",
        (
            Phase(
                "Service design",
                (
                    Item("Service catalogue and request types", 16),
                    Item("SLA targets and business hours", 8),
                    Item(
                        "Escalation matrix and on-call",
                        8,
                        after=("Service catalogue and request types",),
                    ),
                    M(
                        "Service design approved",
                        after=("SLA targets and business hours", "Escalation matrix and on-call"),
                    ),
                ),
            ),
            Phase(
                "Tooling",
                (
                    Item("Queues, categories and routing rules", 16),
                    Item(
                        "Requester portal and e-mail intake", 16, after=("Service design approved",)
                    ),
                    Item("Knowledge base: top 20 articles", 24, after=("Service design approved",)),
                    Item(
                        "Reporting: volume, SLA, satisfaction",
                        8,
                        after=("Queues, categories and routing rules",),
                    ),
                    M(
                        "Tooling ready",
                        after=(
                            "Requester portal and e-mail intake",
                            "Knowledge base: top 20 articles",
                            "Reporting: volume, SLA, satisfaction",
                        ),
                    ),
                ),
            ),
            Phase(
                "People",
                (
                    Item("Staffing plan and shifts", 8, after=("Service design approved",)),
                    Item("Agent training", 16, after=("Staffing plan and shifts", "Tooling ready")),
                    M("Agents ready"),
                ),
            ),
            Phase(
                "Go-live",
                (
                    Item("Soft launch with one department", 40),
                    Item("Communication to all staff", 4),
                    Item("Full launch", 8),
                    Item("Review after 30 days", 4),
                    M("Service in steady state"),
                ),
            ),
        ),
    ),  # fmt: skip
    Category.OTHER: Template(
        Category.OTHER,
        "Other technology service",
        (
            Phase(
                "Initiation",
                (
                    Item("Objectives and success criteria", 8),
                    Item("Stakeholder and RACI map", 8),
                    Item("Risk assessment", 8),
                    M("Charter approved"),
                ),
            ),
            Phase(
                "Planning",
                (
                    Item("Detailed requirements", 24),
                    Item("Vendor or solution selection", 24),
                    Item("Implementation plan", 16),
                    M("Plan baselined"),
                ),
            ),
            Phase(
                "Implementation",
                (
                    Item("Configure and build", 80),
                    Item("Test and verify", 32),
                    Item("Documentation", 16, after=("Configure and build",)),
                    M("Implementation complete", after=("Test and verify", "Documentation")),
                ),
            ),
            Phase(
                "Closing",
                (
                    Item("Training and handover", 16),
                    Item("Lessons learned", 4),
                    M("Project closed"),
                ),
            ),
        ),
    ),  # fmt: skip
}


def template_for(category: str) -> Template:
    return TEMPLATES.get(category, TEMPLATES[Category.OTHER])


@dataclass
class Applied:
    template: Template
    tasks: int
    milestones: int
    links: int


def project_apply_template(*, actor: User, project: Project) -> Applied:
    """Lay the category's template into an empty project: phases (summary tasks), tasks,
    milestones and finish-to-start links, scheduled once from the project's start date."""
    require_role(actor, project, Role.MANAGER)
    template = template_for(project.category)
    with transaction.atomic():
        count = Task.objects.filter(project=project).count()
        if count:
            raise Conflict(
                f"{project.key} has {count} tasks already; a template fills an empty plan"
            )
        created: dict[str, Task] = {}
        milestones = 0
        with deferred_rescheduling():
            for phase in template.phases:
                summary = task_create(
                    actor=actor, project=project, name=phase.name, duration_hours=0
                )
                for item in phase.items:
                    created[item.name] = task_create(
                        actor=actor, project=project, name=item.name, parent=summary,
                        duration_hours=item.hours, milestone=item.milestone,
                    )  # fmt: skip
                    milestones += item.milestone
            links = template.links()
            for before, after in links:
                dependency_create(
                    actor=actor,
                    project=project,
                    predecessor=created[before],
                    successor=created[after],
                )
        audit(
            actor=actor,
            action="project.apply_template",
            obj=project,
            project=project,
            changes={
                "template": [None, template.name],
                "tasks": [0, len(created) + len(template.phases)],
            },
        )
    return Applied(template, len(created) - milestones, milestones, len(links))


def project_create_with_template(*, actor: User, template: bool = False, **fields: Any) -> Project:
    """Create a project, and with ``template`` lay its category's template in, in one go."""
    with transaction.atomic():
        project = project_create(actor=actor, **fields)
        if template:
            project_apply_template(actor=actor, project=project)
    return project


def template_summary(category: str) -> dict[str, Any]:
    """What a template brings, for the new-project form's help text."""
    t = template_for(category)
    items = [i for p in t.phases for i in p.items]
    return {
        "name": t.name,
        "phases": [p.name for p in t.phases],
        "tasks": sum(not i.milestone for i in items),
        "milestones": sum(i.milestone for i in items),
        "hours": sum(i.hours for i in items),
    }
