"""Closing: the closure checklist, acceptance sign-off, lessons learned and the handoff to
operations (which archives the project).

Items of the closure checklist that other capabilities own come from ``CLOSURE_CHECKS``:
a function ``check(project) -> (state, detail)`` per item. Purchase orders, budget
reconciliation and the final status report are read here from the tracking app when it is
installed; the control app registers deliverables and risks and issues in its ``ready()``.
An item without a check reads "not applicable yet".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from itpm.accounts.models import ROLE_RANK, Role, Team, TeamKind, User
from itpm.accounts.permissions import project_role, require_role
from itpm.core.errors import Conflict, FieldError, Forbidden, Invalid
from itpm.core.services import audit, check_version, json_value, save_versioned
from itpm.planning.models import TaskStatus
from itpm.planning.services import task_create
from itpm.portfolio.models import (
    AcceptanceDecision,
    Closure,
    GateDecision,
    GateReview,
    Handoff,
    Lesson,
    Project,
    Stage,
)

DONE, OPEN, NOT_APPLICABLE = "done", "open", "not_applicable"


@dataclass
class ClosureItem:
    key: str
    label: str
    state: str  # done, open, not_applicable
    detail: str = ""


def _tracking() -> bool:
    from django.apps import apps

    return apps.is_installed("itpm.tracking")


def _money(amount: Any, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def closure_purchase_orders(project: Project) -> tuple[str, str]:
    """Every purchase order closed or cancelled, and no purchase request still waiting."""
    if not _tracking():
        return NOT_APPLICABLE, "not applicable yet"
    from itpm.tracking.models import OrderState, PurchaseOrder, PurchaseRequest, RequestState

    orders = list(PurchaseOrder.objects.filter(project=project).values_list("number", "state"))
    waiting = PurchaseRequest.objects.filter(
        project=project, state__in=[RequestState.SUBMITTED, RequestState.APPROVED]
    ).count()
    if not orders and not waiting:
        return NOT_APPLICABLE, "no purchase orders"
    still_open = [number for number, state in orders if state == OrderState.OPEN]
    problems = []
    if still_open:
        problems.append(f"{len(still_open)} of {len(orders)} open: {', '.join(still_open[:5])}")
    if waiting:
        problems.append(
            _count(waiting, "purchase request waits", "purchase requests wait")
            + " to be ordered or rejected"
        )
    if problems:
        return OPEN, "; ".join(problems)
    return DONE, f"all {_count(len(orders), 'order', 'orders')} closed or cancelled"


def closure_budget(project: Project) -> tuple[str, str]:
    """Reconciled: no disputed (mismatched) invoice and no project time waiting for approval,
    so the actual cost is final; the detail compares it with the budget."""
    if not _tracking():
        return NOT_APPLICABLE, "not applicable yet"
    from itpm.tracking.earned_value import actual_cost_rows
    from itpm.tracking.models import Invoice, MatchState, SheetState, Timesheet
    from itpm.tracking.selectors import project_budget_total

    budget = project_budget_total(project)
    actual = sum((amount for _, amount, _ in actual_cost_rows(project)), Decimal(0))
    if not budget and not actual:
        return NOT_APPLICABLE, "no budget and no costs"
    disputed = Invoice.objects.filter(
        order__project=project, match_state=MatchState.MISMATCH
    ).count()
    unapproved = (
        Timesheet.objects.filter(project=project, entries__isnull=False)
        .exclude(state=SheetState.APPROVED)
        .distinct()
        .count()
    )
    problems = []
    if disputed:
        problems.append(_count(disputed, "invoice does", "invoices do") + " not match the order")
    if unapproved:
        problems.append(_count(unapproved, "timesheet", "timesheets") + " not approved")
    figures = (
        f"actual {_money(actual, project.currency)} of budget {_money(budget, project.currency)}"
    )
    if problems:
        return OPEN, f"{'; '.join(problems)} ({figures})"
    variance = budget - actual
    side = "under" if variance >= 0 else "over"
    return DONE, f"{figures}, {_money(abs(variance), project.currency)} {side}"


def closure_status_report(project: Project) -> tuple[str, str]:
    """A status report published on or after the day the project entered closing."""
    if not _tracking():
        return NOT_APPLICABLE, "not applicable yet"
    from itpm.tracking.models import ReportState, StatusReport

    entered = (
        GateReview.objects.filter(
            project=project,
            to_stage=Stage.CLOSING,
            decision=GateDecision.GO,
            decided_at__isnull=False,
        )  # fmt: skip
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    if entered is None and project.stage not in (Stage.CLOSING, Stage.CLOSED):
        return OPEN, "written once the project is in closing"
    reports = StatusReport.objects.filter(project=project, state=ReportState.PUBLISHED)
    if entered is not None:
        reports = reports.filter(status_date__gte=timezone.localdate(entered))
    last = reports.order_by("-status_date", "-id").first()
    if last is None:
        return OPEN, "no status report published since the project entered closing"
    return DONE, f"published for {last.status_date:%Y-%m-%d}"


# name -> (label, check). Other apps add theirs (e.g. the control app: open risks).
CLOSURE_CHECKS: dict[str, tuple[str, Callable[[Project], tuple[str, str]] | None]] = {
    "deliverables": ("Deliverables accepted", None),
    "purchase_orders": ("Purchase orders closed", closure_purchase_orders),
    "budget": ("Budget reconciled", closure_budget),
    "risks_issues": ("Open risks and issues closed or handed over", None),
    "status_report": ("Final status report written", closure_status_report),
}


def register_closure_check(
    key: str, label: str, check: Callable[[Project], tuple[str, str]]
) -> None:
    CLOSURE_CHECKS[key] = (label, check)


def _tasks_item(project: Project) -> ClosureItem:
    open_count = project.tasks.exclude(status__in=[TaskStatus.DONE, TaskStatus.CANCELLED]).count()
    state = DONE if open_count == 0 else OPEN
    detail = "every task is done or cancelled" if not open_count else f"{open_count} tasks open"
    return ClosureItem("tasks", "All tasks done or cancelled", state, detail)


def closure_checklist(project: Project) -> list[ClosureItem]:
    items = [_tasks_item(project)]
    for key, (label, check) in CLOSURE_CHECKS.items():
        if check is None:
            items.append(ClosureItem(key, label, NOT_APPLICABLE, "not applicable yet"))
        else:
            state, detail = check(project)
            items.append(ClosureItem(key, label, state, detail))
    closure = Closure.objects.filter(project=project).first()
    accepted = closure is not None and closure.accepted_at is not None
    items.append(
        ClosureItem(
            "acceptance", "Project accepted by the sponsor", DONE if accepted else OPEN,
            f"signed by {closure.accepted_by.display_name if closure and closure.accepted_by else '?'}"
            if accepted else "waiting for sign-off",
        )
    )  # fmt: skip
    lessons = project.lessons.count()
    items.append(
        ClosureItem("lessons", "Lessons learned recorded", DONE if lessons else OPEN,
                    f"{lessons} lessons")
    )  # fmt: skip
    handed = Handoff.objects.filter(project=project).first()
    items.append(
        ClosureItem("handoff", "Handed over to operations", DONE if handed else OPEN,
                    f"to {handed.operations_team}" if handed else "not yet")
    )  # fmt: skip
    return items


# ---------------------------------------------------------------------------- acceptance
def acceptors(project: Project) -> list[User]:
    """Who signs the project off: the named acceptors, else the sponsor, else the owners."""
    closure = Closure.objects.filter(project=project).first()
    named = list(closure.acceptors.all()) if closure else []
    if named:
        return named
    if project.sponsor is not None:
        return [project.sponsor]
    return [m.user for m in project.memberships.filter(role=Role.OWNER).select_related("user")]


def may_accept(user: Any, project: Project) -> bool:
    if any(person.pk == getattr(user, "pk", None) for person in acceptors(project)):
        return True
    # Site admins act as owners: they may sign where the owners sign (no sponsor named).
    return (
        project.sponsor is None
        and not Closure.objects.filter(project=project, acceptors__isnull=False).exists()
        and project_role(user, project) == Role.OWNER
    )


def closure_acceptors_set(
    *, actor: User, project: Project, users: list[User], version: int | None = None
) -> Closure:
    """Name who signs the project off (empty: the sponsor, else the owners, sign)."""
    require_role(actor, project, Role.MANAGER)
    if len(users) > 20:
        raise Invalid.field("acceptors", "at most 20 acceptors")
    if any(not u.is_active for u in users):
        raise Invalid.field("acceptors", "acceptors must be active users")
    with transaction.atomic():
        closure, created = Closure.objects.select_for_update().get_or_create(project=project)
        if not created:
            check_version(closure, version)
        before = sorted(u.username for u in closure.acceptors.all())
        after = sorted({u.username for u in users})
        closure.acceptors.set(users)
        save_versioned(closure, [])
        audit(actor=actor, action="closure.acceptors", obj=closure, project=project,
              changes={"acceptors": [before, after]})  # fmt: skip
    return closure


def project_accept(
    *, actor: User, project: Project, accepted: bool, comment: str = ""
) -> AcceptanceDecision:
    """The sponsor (or a named acceptor) signs the project off, or rejects it.

    A rejection comes back to the team as a task carrying the acceptor's comment.
    """
    if project_role(actor, project) is None and not may_accept(actor, project):
        require_role(actor, project, Role.VIEWER)  # outsiders: 404
    if project.archived:
        raise Conflict(f"project {project.key} is archived and read-only")
    if not may_accept(actor, project):
        raise Forbidden("only the sponsor or the named acceptors sign the project off")
    if project.stage != Stage.CLOSING:
        raise Conflict(f"{project.key} is in {project.stage}; acceptance happens in closing")
    comment = (comment or "").strip()
    if not accepted and not comment:
        raise Invalid.field("comment", "say what is missing")
    with transaction.atomic():
        closure, _ = Closure.objects.select_for_update().get_or_create(project=project)
        task = None
        if not accepted:
            # The acceptor may be a viewer; the rework task is filed by the manager for them.
            role = project_role(actor, project)
            creator = actor if role and ROLE_RANK[role] >= ROLE_RANK[Role.MEMBER] else None
            creator = creator or project.manager or actor
            task = task_create(
                actor=creator, project=project, name=f"Acceptance rework: {comment[:250]}",
                description=f"{actor.display_name} rejected the project: {comment}",
                duration_hours=8,
            )  # fmt: skip
        decision = AcceptanceDecision.objects.create(
            closure=closure, actor=actor, accepted=accepted, comment=comment, task=task
        )
        before = json_value(closure.accepted_at)
        closure.accepted_by = actor if accepted else None
        closure.accepted_at = timezone.now() if accepted else None
        closure.acceptance_comment = comment
        save_versioned(closure, ["accepted_by", "accepted_at", "acceptance_comment"])
        audit(
            actor=actor,
            action="project.accept" if accepted else "project.reject",
            obj=closure,
            project=project,
            changes={"accepted_at": [before, json_value(closure.accepted_at)],
                     "comment": [None, comment], **({"task": [None, task.pk]} if task else {})},
        )  # fmt: skip
    return decision


# ---------------------------------------------------------------------------- lessons
def lesson_create(
    *,
    actor: User,
    project: Project,
    title: str,
    went_well: str = "",
    went_badly: str = "",
    recommendations: str = "",
    tags: list[str] | None = None,
) -> Lesson:
    require_role(actor, project, Role.MEMBER)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise Invalid.field("title", "1 to 200 characters")
    if not any(text.strip() for text in (went_well, went_badly, recommendations)):
        raise Invalid(
            "write what went well, what did not, or a recommendation",
            [FieldError("went_well", "at least one of the three is needed")],
        )
    clean_tags = sorted({t.strip().lower()[:40] for t in tags or [] if t.strip()})[:20]
    with transaction.atomic():
        lesson = Lesson.objects.create(
            project=project, category=project.category, title=title, went_well=went_well,
            went_badly=went_badly, recommendations=recommendations, tags=clean_tags, author=actor,
        )  # fmt: skip
        audit(actor=actor, action="lesson.create", obj=lesson, project=project,
              changes={"title": [None, title], "tags": [None, clean_tags]})  # fmt: skip
    return lesson


def lesson_search(
    *, user: Any, search: str | None = None, category: str | None = None
) -> QuerySet[Lesson]:
    """Lessons of every project, for everyone logged in: they are the organization's memory.

    A deliberate exception to project scoping (docs/decisions): a lesson is written to be
    read by the next team, which is usually not a member of the old project.
    """
    if user is None or not user.is_authenticated:
        return Lesson.objects.none()
    lessons = Lesson.objects.select_related("project", "author")
    if category:
        lessons = lessons.filter(category=category)
    for word in (search or "").split()[:8]:
        lessons = lessons.filter(
            Q(title__icontains=word) | Q(went_well__icontains=word)
            | Q(went_badly__icontains=word) | Q(recommendations__icontains=word)
            | Q(tags__icontains=word) | Q(project__name__icontains=word)
        )  # fmt: skip
    return lessons.order_by("-created_at", "-id")


def lessons_for(project: Project, limit: int = 5) -> list[Lesson]:
    """Lessons from earlier projects of the same category, offered when a project starts."""
    return list(
        Lesson.objects.filter(category=project.category)
        .exclude(project=project)
        .select_related("project")
        .order_by("-created_at")[:limit]
    )


# ---------------------------------------------------------------------------- handoff
@dataclass
class ServiceSpec:
    name: str
    description: str = ""
    hours: str = ""
    runbook_links: tuple[str, ...] = ()


def _operations_apps() -> bool:
    from django.apps import apps

    return apps.is_installed("itpm.assets") and apps.is_installed("itpm.helpdesk")


def handoff_queues() -> list[Any]:
    if not _operations_apps():
        return []
    from itpm.helpdesk.models import Queue

    return list(Queue.objects.select_related("team").order_by("name"))


def project_assets(project: Project) -> list[Any]:
    if not _operations_apps():
        return []
    from itpm.assets.models import Asset

    return list(Asset.objects.filter(project=project).order_by("tag"))


def hypercare_watchers(service: Any, today: dt.date | None = None) -> list[User]:
    """Project team members to copy on a ticket about ``service`` during hypercare.

    The help desk calls this when a ticket is created; empty once hypercare ends.
    """
    today = today or timezone.localdate()
    handoffs = Handoff.objects.filter(
        project__in=service.projects.all(), hypercare_until__gte=today
    ).select_related("project")
    people: dict[int, User] = {}
    for handoff in handoffs:
        for membership in handoff.project.memberships.select_related("user").exclude(
            role=Role.VIEWER
        ):
            people[membership.user.pk] = membership.user
    return list(people.values())


def handoff_create(
    *,
    actor: User,
    project: Project,
    operations_team: Team,
    services: list[ServiceSpec],
    queue_id: int | None = None,
    queue_name: str = "",
    hypercare_until: dt.date | None = None,
    notes: str = "",
) -> Handoff:
    """Hand what the project built to operations and archive the project, all or nothing.

    Creates the service records (owned by the operations team, supported by the queue),
    moves every asset of the project to the operations team and onto the first service,
    records who took over what and when, and archives the project (read-only, history kept).
    """
    require_role(actor, project, Role.OWNER)
    if project.stage != Stage.CLOSED:
        raise Conflict(
            f"{project.key} is in {project.stage}; hand over after the gate to closed is passed"
        )
    closure = Closure.objects.filter(project=project).first()
    if closure is None or closure.accepted_at is None:
        raise Invalid.field("project", "the project needs the sponsor's acceptance first")
    if operations_team.kind != TeamKind.OPERATIONS:
        raise Invalid.field("operations_team", f"{operations_team} is not an operations team")
    if hypercare_until is not None and hypercare_until < timezone.localdate():
        raise Invalid.field("hypercare_until", "must not be in the past")
    names = [s.name.strip() for s in services]
    if any(not n or len(n) > 200 for n in names) or len(set(names)) != len(names):
        raise Invalid.field("services", "each service needs a distinct name of 1–200 characters")
    queue = None
    if _operations_apps():
        from itpm.helpdesk.models import Queue

        if queue_id is not None:
            queue = Queue.objects.filter(pk=queue_id).first()
            if queue is None:
                raise Invalid.field("queue", f"no help-desk queue {queue_id}")
            queue_name = queue.name
    elif queue_id is not None:
        raise Invalid.field("queue", "the help desk is not installed; give a queue name")
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if Handoff.objects.filter(project=project).exists():
            raise Conflict(f"{project.key} was handed over already")
        created, moved = _hand_over_operations(
            actor, project, operations_team, services, queue, hypercare_until
        )
        handoff = Handoff.objects.create(
            project=project, operations_team=operations_team, queue_id=queue.pk if queue else None,
            queue_name=queue_name[:120], hypercare_until=hypercare_until, services=created,
            assets=moved, handed_over_by=actor, handed_over_at=timezone.now(), notes=notes,
        )  # fmt: skip
        audit(
            actor=actor,
            action="project.handoff",
            obj=handoff,
            project=project,
            changes={
                "operations_team": [None, operations_team.name],
                "queue": [None, queue_name],
                "hypercare_until": [None, json_value(hypercare_until)],
                "services": [None, [s["name"] for s in created]],
                "assets": [None, [a["tag"] for a in moved]],
            },
        )
        project.archived = True
        save_versioned(project, ["archived"])
        audit(actor=actor, action="project.archive", obj=project, project=project,
              changes={"archived": [False, True], "reason": [None, "handoff"]})  # fmt: skip
    return handoff


def _hand_over_operations(
    actor: User,
    project: Project,
    team: Team,
    services: list[ServiceSpec],
    queue: Any,
    hypercare_until: dt.date | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Create the services and move the assets through the assets app's services, inside the
    caller's transaction (their errors roll the whole handoff back)."""
    if not _operations_apps():
        return [{"id": None, "name": s.name} for s in services], []
    from itpm.assets.models import Asset
    from itpm.assets.services import asset_transfer, service_create

    records = [
        service_create(
            actor=actor, name=spec.name.strip(), description=spec.description, owner_team=team,
            support_queue=queue, hours=spec.hours, runbook_links=list(spec.runbook_links),
            projects=[project],
        )
        for spec in services
    ]  # fmt: skip
    assets = list(Asset.objects.filter(project=project).select_related("owner_team"))
    before = {a.pk: a.owner_team.name if a.owner_team else None for a in assets}
    moved = asset_transfer(
        actor=actor, assets=assets, team=team, service=records[0] if records else None
    ) if assets else []  # fmt: skip
    return (
        [{"id": s.pk, "name": s.name} for s in records],
        [{"id": a.pk, "tag": a.tag, "from": before[a.pk], "to": team.name} for a in moved],
    )
