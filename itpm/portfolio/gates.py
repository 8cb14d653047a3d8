"""Stage gates: the only way a project's stage changes.

A gate review covers one transition (from the project's stage to the next). It opens with a
checklist and required approvers taken from the category's template (both editable on the
open review), approvers approve or reject with a comment, and a project manager records the
decision: go (the stage moves), no-go (the project is cancelled and archived), hold (nothing
moves) or recycle (the project goes back to the stage before).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from itpm.accounts.models import Role, Team, TeamKind, User
from itpm.accounts.permissions import is_admin, require_role, visible_projects
from itpm.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from itpm.core.services import audit, check_version, json_value, save_versioned
from itpm.portfolio.models import (
    ApprovalState,
    Category,
    GateApproval,
    GateChecklistItem,
    GateDecision,
    GateReview,
    GateStatus,
    Project,
    Stage,
    next_stage,
    previous_stage,
)
from itpm.portfolio.notify import notify


# ---------------------------------------------------------------------------- templates
@dataclass(frozen=True)
class GateTemplate:
    checklist: tuple[str, ...]
    teams: tuple[str, ...]  # TeamKind values whose approval is required
    sponsor: bool = True


# What every project's gate into a stage asks for ...
BASE: dict[str, GateTemplate] = {
    Stage.PLANNING: GateTemplate(
        ("Business case written and reviewed", "Feasibility study recommends proceeding",
         "Sponsor and project manager named"), (),
    ),
    Stage.EXECUTION: GateTemplate(
        ("Plan baselined (scope, schedule, budget)", "Resources committed by their managers",
         "Risks identified with owners"), (),
    ),
    Stage.MONITORING: GateTemplate(
        ("Status reporting running", "Change control in place"), (), sponsor=False,
    ),
    Stage.CLOSING: GateTemplate(
        ("Deliverables complete and in acceptance", "Operations ready to take over"),
        (TeamKind.OPERATIONS,),
    ),
    Stage.CLOSED: GateTemplate(
        ("Acceptance signed", "Lessons learned recorded", "Handoff to operations prepared"),
        (TeamKind.OPERATIONS,),
    ),
}  # fmt: skip

# ... and what a category adds on top, per target stage.
CATEGORY_EXTRAS: dict[str, dict[str, GateTemplate]] = {
    Category.HARDWARE: {
        Stage.EXECUTION: GateTemplate(
            ("Procurement approved (quotes, purchase orders)", "Site power and cooling confirmed"),
            (TeamKind.PROCUREMENT,), sponsor=False,
        ),
        Stage.CLOSING: GateTemplate(("Assets registered in the inventory",), (), sponsor=False),
    },
    Category.SOFTWARE: {
        Stage.EXECUTION: GateTemplate(("Security review of the design signed",),
                                      (TeamKind.SECURITY_COMPLIANCE,), sponsor=False),
        Stage.CLOSING: GateTemplate(("Penetration test passed", "Runbook written"), (),
                                    sponsor=False),
    },
    Category.NETWORK_CLOUD: {
        Stage.EXECUTION: GateTemplate(("Security review signed", "Change window approved"),
                                      (TeamKind.SECURITY_COMPLIANCE,), sponsor=False),
        Stage.CLOSING: GateTemplate(("Rollback plan tested",), (TeamKind.SECURITY_COMPLIANCE,),
                                    sponsor=False),
    },
    Category.DATA: {
        Stage.PLANNING: GateTemplate(("Data owners identified",), (TeamKind.BUSINESS_DATA,),
                                     sponsor=False),
        Stage.EXECUTION: GateTemplate(("Data-protection impact assessment (DPIA) approved",),
                                      (TeamKind.SECURITY_COMPLIANCE, TeamKind.BUSINESS_DATA),
                                      sponsor=False),
    },
    Category.HELPDESK: {
        Stage.EXECUTION: GateTemplate(("Support model and SLA agreed",), (TeamKind.OPERATIONS,),
                                      sponsor=False),
    },
}  # fmt: skip


def gate_template(project: Project, to_stage: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The checklist and approvers a new review of ``project`` into ``to_stage`` starts with."""
    parts = [BASE.get(to_stage), CATEGORY_EXTRAS.get(project.category, {}).get(to_stage)]
    checklist: list[str] = []
    kinds: list[str] = []
    sponsor = False
    for part in parts:
        if part is None:
            continue
        checklist += [item for item in part.checklist if item not in checklist]
        kinds += [kind for kind in part.teams if kind not in kinds]
        sponsor = sponsor or part.sponsor
    approvers: list[dict[str, Any]] = []
    if sponsor and project.sponsor is not None:
        approvers.append({"user": project.sponsor, "team": None, "role": "sponsor"})
    for kind in kinds:
        team = Team.objects.filter(kind=kind).order_by("name").first()
        if team is not None:
            approvers.append({"user": None, "team": team, "role": TeamKind(kind).label})
    return checklist, approvers


def gate_template_gaps(project: Project, to_stage: str) -> list[str]:
    """Approvals the template asks for that nobody can give: no sponsor named, or no team of
    the required kind. Such a review opens without them; the gates page says so before."""
    parts = [BASE.get(to_stage), CATEGORY_EXTRAS.get(project.category, {}).get(to_stage)]
    gaps: list[str] = []
    if any(p is not None and p.sponsor for p in parts) and project.sponsor is None:
        gaps.append("no sponsor is named, so the sponsor's approval is not asked for")
    kinds = dict.fromkeys(kind for p in parts if p is not None for kind in p.teams)
    gaps.extend(
        f"no {TeamKind(kind).label} team exists, so its approval is not asked for"
        for kind in kinds
        if not Team.objects.filter(kind=kind).exists()
    )
    return gaps


# ---------------------------------------------------------------------------- reads
def _approver_filter(user: Any) -> Q:
    return Q(approvals__user=user) | Q(approvals__team__members=user)


def gate_list(*, project: Project) -> QuerySet[GateReview]:
    return (
        GateReview.objects.filter(project=project)
        .select_related("opened_by", "decided_by", "project")
        .prefetch_related("checklist", "approvals__user", "approvals__team")
        .order_by("-created_at", "-id")
    )


def visible_gates(user: Any) -> QuerySet[GateReview]:
    """Reviews of projects the user sees, and reviews that ask the user for an approval."""
    if user is None or not user.is_authenticated or not user.is_active:
        return GateReview.objects.none()
    if is_admin(user):
        return GateReview.objects.all()
    ids = GateReview.objects.filter(
        Q(project__in=visible_projects(user)) | _approver_filter(user)
    ).values("pk")
    return GateReview.objects.filter(pk__in=ids)


def gate_get(*, user: Any, gate_id: int) -> GateReview:
    gate = visible_gates(user).select_related("project").filter(pk=gate_id).first()
    if gate is None:
        raise NotFound(f"gate review {gate_id} not found")
    return gate


def approvals_waiting_for(*, user: Any) -> QuerySet[GateApproval]:
    """Pending approvals the user may give, on open reviews."""
    if user is None or not user.is_authenticated:
        return GateApproval.objects.none()
    return (
        GateApproval.objects.filter(
            Q(user=user) | Q(team__members=user),
            state=ApprovalState.PENDING,
            gate__status=GateStatus.OPEN,
        )
        .select_related("gate__project", "team", "user")
        .distinct()
        .order_by("gate__created_at")
    )


def may_approve(user: Any, approval: GateApproval) -> bool:
    """Only the named user, or a member of the named team, gives this approval."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if approval.user_id is not None:
        return bool(approval.user_id == user.pk)
    return approval.team is not None and approval.team.members.filter(pk=user.pk).exists()


def next_gate(project: Project) -> str | None:
    """The stage the project's next gate leads to (None once it is closed)."""
    if project.archived:
        return None
    return next_stage(project.stage)


def blockers(gate: GateReview) -> list[str]:
    """Why a review may not be decided "go" yet (empty when it may)."""
    problems = [f"checklist: {item.text}" for item in gate.checklist.all() if not item.done]
    for approval in gate.approvals.all():
        if approval.state != ApprovalState.APPROVED:
            who = approval.user.display_name if approval.user else str(approval.team)
            problems.append(f"approval of {who} ({approval.role}) is {approval.state}")
    return problems


# ---------------------------------------------------------------------------- writes
def _approver_users(approvals: list[GateApproval]) -> list[User]:
    users: list[User] = []
    for approval in approvals:
        if approval.user is not None:
            users.append(approval.user)
        elif approval.team is not None:
            users.extend(approval.team.members.filter(is_active=True))
    return users


def gate_open(
    *,
    actor: User,
    project: Project,
    to_stage: str | None = None,
    checklist: list[str] | None = None,
    approvers: list[dict[str, Any]] | None = None,
) -> GateReview:
    """Open the review of the project's next transition and ask the approvers.

    ``checklist`` and ``approvers`` ({"user": User | None, "team": Team | None, "role": str})
    replace the category template's when given.
    """
    require_role(actor, project, Role.MANAGER)
    expected = next_stage(project.stage)
    if expected is None:
        raise Conflict(f"{project.key} is closed; there is no further gate")
    if to_stage is not None and to_stage != expected:
        raise Invalid.field("to_stage", f"the next gate of {project.key} leads to {expected}")
    default_items, default_approvers = gate_template(project, expected)
    items = default_items if checklist is None else [t.strip() for t in checklist if t.strip()]
    if any(len(text) > 200 for text in items):
        raise Invalid.field("checklist", "an item has at most 200 characters")
    people = default_approvers if approvers is None else approvers
    for index, spec in enumerate(people):
        if (spec.get("user") is None) == (spec.get("team") is None):
            raise Invalid.field(f"approvers.{index}", "name either a user or a team")
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        if GateReview.objects.filter(project=project, status=GateStatus.OPEN).exists():
            raise Conflict(f"{project.key} already has an open gate review; decide it first")
        gate = GateReview.objects.create(
            project=project, from_stage=project.stage, to_stage=expected, opened_by=actor
        )
        GateChecklistItem.objects.bulk_create(
            GateChecklistItem(gate=gate, text=text, order=n) for n, text in enumerate(items, 1)
        )
        created = [
            GateApproval.objects.create(
                gate=gate, user=spec.get("user"), team=spec.get("team"),
                role=str(spec.get("role") or "")[:60],
            )
            for spec in people
        ]  # fmt: skip
        audit(
            actor=actor,
            action="gate.open",
            obj=gate,
            project=project,
            changes={
                "to_stage": [None, expected],
                "checklist": [None, items],
                "approvers": [None, [str(a) for a in created]],
            },
        )
        notify(
            users=[u for u in _approver_users(created) if u.pk != actor.pk],
            text=f"Your approval is requested: {project.key} gate to {Stage(expected).label}",
            url=f"/gates/{gate.pk}/",
            kind="approval",
            project=project,
            actor=actor,
        )
    return gate


def _require_open(gate: GateReview) -> None:
    if gate.project.archived:
        raise Conflict(f"project {gate.project.key} is archived and read-only")
    if gate.status != GateStatus.OPEN:
        raise Conflict("this gate review is decided; open a new one")


def gate_item_add(*, actor: User, gate: GateReview, text: str) -> GateChecklistItem:
    require_role(actor, gate.project, Role.MANAGER)
    _require_open(gate)
    text = (text or "").strip()
    if not text or len(text) > 200:
        raise Invalid.field("text", "1 to 200 characters")
    with transaction.atomic():
        order = gate.checklist.count() + 1
        item = GateChecklistItem.objects.create(gate=gate, text=text, order=order)
        audit(actor=actor, action="gate.item_add", obj=item, project=gate.project,
              changes={"text": [None, text]})  # fmt: skip
    return item


def gate_item_update(
    *, actor: User, item: GateChecklistItem, version: int | None, data: dict[str, Any]
) -> GateChecklistItem:
    """Tick or untick an item (members), or reword / remove it (managers)."""
    gate = item.gate
    unknown = set(data) - {"done", "text"}
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    require_role(actor, gate.project, Role.MANAGER if "text" in data else Role.MEMBER)
    _require_open(gate)
    if "text" in data and not (str(data["text"] or "").strip() and len(str(data["text"])) <= 200):
        raise Invalid.field("text", "1 to 200 characters")
    with transaction.atomic():
        item = GateChecklistItem.objects.select_for_update().get(pk=item.pk)
        check_version(item, version)
        changes: dict[str, list[Any]] = {}
        if "text" in data and data["text"] != item.text:
            changes["text"] = [item.text, data["text"]]
            item.text = str(data["text"]).strip()
        if "done" in data and bool(data["done"]) != item.done:
            changes["done"] = [item.done, bool(data["done"])]
            item.done = bool(data["done"])
            item.done_by = actor if item.done else None
            item.done_at = timezone.now() if item.done else None
        if changes:
            save_versioned(item, ["text", "done", "done_by", "done_at"])
            audit(actor=actor, action="gate.item_update", obj=item, project=gate.project,
                  changes=changes)  # fmt: skip
    return item


def gate_approver_add(
    *,
    actor: User,
    gate: GateReview,
    user: User | None = None,
    team: Team | None = None,
    role: str = "",
) -> GateApproval:
    """Ask one more named user or team to approve the open review (the template is a start:
    a large purchase may need finance, a pilot the business owner). The new approver is
    notified; "go" waits for their approval too."""
    require_role(actor, gate.project, Role.MANAGER)
    _require_open(gate)
    if (user is None) == (team is None):
        raise Invalid.field("user", "name either a user or a team")
    if user is not None and not user.is_active:
        raise Invalid.field("user", f"{user.username} is not an active user")
    role = (role or "").strip()
    if len(role) > 60:
        raise Invalid.field("role", "at most 60 characters")
    with transaction.atomic():
        gate = GateReview.objects.select_for_update().select_related("project").get(pk=gate.pk)
        _require_open(gate)
        if GateApproval.objects.filter(gate=gate, user=user, team=team).exists():
            raise Conflict(
                f"{user.username if user else team} is already an approver of this review"
            )
        approval = GateApproval.objects.create(gate=gate, user=user, team=team, role=role)
        # The review changed what "go" needs: a decision prepared before this is stale.
        save_versioned(gate, [])
        audit(actor=actor, action="gate.approver_add", obj=approval, project=gate.project,
              changes={"approver": [None, str(approval)], "role": [None, role]})  # fmt: skip
        notify(
            users=[u for u in _approver_users([approval]) if u.pk != actor.pk],
            text=f"Your approval is requested: {gate.project.key} gate to "
            f"{Stage(gate.to_stage).label}",
            url=f"/gates/{gate.pk}/",
            kind="approval",
            project=gate.project,
            actor=actor,
        )
    return approval


def gate_approve(
    *, actor: User, gate: GateReview, approve: bool, comment: str = ""
) -> list[GateApproval]:
    """Give (or refuse) every pending approval of the gate that ``actor`` may give.

    Only the named users and the members of the named teams may; anyone else gets 403,
    site admins included (an approval is a person's word, not an administrator's).
    """
    _require_open(gate)
    comment = (comment or "").strip()
    if not approve and not comment:
        raise Invalid.field("comment", "say why you reject")
    with transaction.atomic():
        pending = list(
            # Lock the approvals only: PostgreSQL refuses FOR UPDATE on the nullable side
            # of the outer joins to the user and the team.
            GateApproval.objects.select_for_update(of=("self",))
            .filter(gate=gate, state=ApprovalState.PENDING)
            .select_related("team", "user")
        )
        mine = [a for a in pending if may_approve(actor, a)]
        if not mine:
            raise Forbidden("you are not a pending approver of this gate review")
        state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
        for approval in mine:
            approval.state = state
            approval.comment = comment
            approval.decided_by = actor
            approval.decided_at = timezone.now()
            save_versioned(approval, ["state", "comment", "decided_by", "decided_at"])
            audit(
                actor=actor,
                action="gate.approve" if approve else "gate.reject",
                obj=approval,
                project=gate.project,
                changes={"state": [ApprovalState.PENDING, state], "comment": [None, comment]},
            )
        manager = gate.project.manager
        if manager is not None and manager.pk != actor.pk:
            notify(
                users=[manager],
                text=f"{actor.display_name} {state} the {gate.project.key} gate to "
                f"{Stage(gate.to_stage).label}" + (f": {comment}" if comment else ""),
                url=f"/gates/{gate.pk}/",
                kind="gate_decision",
                project=gate.project,
                actor=actor,
            )
    return mine


def gate_decide(
    *, actor: User, gate: GateReview, version: int | None, decision: str, comment: str = ""
) -> GateReview:
    """Record the gate's decision and move the project accordingly (one transaction)."""
    project = gate.project
    require_role(actor, project, Role.MANAGER)
    if decision not in GateDecision.values:
        raise Invalid.field("decision", f"must be one of {', '.join(GateDecision.values)}")
    comment = (comment or "").strip()
    if decision != GateDecision.GO and not comment:
        raise Invalid.field("comment", f"say why the decision is {decision}")
    with transaction.atomic():
        gate = GateReview.objects.select_for_update().select_related("project").get(pk=gate.pk)
        _require_open(gate)
        check_version(gate, version)
        project = Project.objects.select_for_update().get(pk=gate.project_id)
        if project.stage != gate.from_stage:
            raise Conflict(f"{project.key} is no longer in {gate.from_stage}")
        if decision == GateDecision.GO:
            problems = blockers(gate)
            if problems:
                raise Invalid(
                    "not ready for go: " + "; ".join(problems),
                    [FieldError("decision", p) for p in problems],
                )
        now = timezone.now()
        gate.status, gate.decision, gate.decision_comment = GateStatus.DECIDED, decision, comment
        gate.decided_by, gate.decided_at = actor, now
        save_versioned(gate, ["status", "decision", "decision_comment", "decided_by", "decided_at"])
        audit(actor=actor, action="gate.decide", obj=gate, project=project,
              changes={"decision": [None, decision], "comment": [None, comment]})  # fmt: skip
        new_stage = {
            GateDecision.GO: gate.to_stage,
            GateDecision.RECYCLE: previous_stage(gate.from_stage) or gate.from_stage,
        }.get(GateDecision(decision))
        if new_stage is not None and new_stage != project.stage:
            before = project.stage
            project.stage = new_stage
            save_versioned(project, ["stage"])
            audit(actor=actor, action="project.stage", obj=project, project=project,
                  changes={"stage": [before, new_stage], "gate": [None, gate.pk]})  # fmt: skip
        if decision == GateDecision.NO_GO:
            project.archived, project.cancelled_at = True, now
            save_versioned(project, ["archived", "cancelled_at"])
            audit(
                actor=actor,
                action="project.cancel",
                obj=project,
                project=project,
                changes={"archived": [False, True], "cancelled_at": [None, json_value(now)]},
            )
        notify(
            users=[a for a in _approver_users(list(gate.approvals.all())) if a.pk != actor.pk],
            text=f"{project.key} gate to {Stage(gate.to_stage).label}: "
            f"{GateDecision(decision).label}",
            url=f"/gates/{gate.pk}/",
            email=False,
            kind="gate_decision",
            project=project,
            actor=actor,
        )
    return gate


def gate_record_history(
    *, actor: User, project: Project, stages: list[str], decided_at: Any = None
) -> list[GateReview]:
    """Record approved past reviews for a project created directly in a later stage.

    For imports and the demo: the transitions happened before itpm knew the project. The
    reviews are marked go and audited as history; the project's stage is not changed.
    """
    require_role(actor, project, Role.MANAGER)
    gates = []
    with transaction.atomic():
        for from_stage, to_stage in zip(stages, stages[1:], strict=False):
            items, approvers = gate_template(project, to_stage)
            gate = GateReview.objects.create(
                project=project, from_stage=from_stage, to_stage=to_stage, opened_by=actor,
                status=GateStatus.DECIDED, decision=GateDecision.GO, decided_by=actor,
                decided_at=decided_at or timezone.now(),
                decision_comment="Recorded when the project was brought into itpm.",
            )  # fmt: skip
            GateChecklistItem.objects.bulk_create(
                GateChecklistItem(gate=gate, text=t, order=n, done=True, done_by=actor,
                                  done_at=gate.decided_at)
                for n, t in enumerate(items, 1)
            )  # fmt: skip
            for spec in approvers:
                GateApproval.objects.create(
                    gate=gate, user=spec["user"], team=spec["team"], role=spec["role"],
                    state=ApprovalState.APPROVED, decided_by=spec["user"] or actor,
                    decided_at=gate.decided_at, comment="Recorded history",
                )  # fmt: skip
            audit(
                actor=actor,
                action="gate.history",
                obj=gate,
                project=project,
                changes={"to_stage": [from_stage, to_stage], "decision": [None, "go"]},
            )
            gates.append(gate)
    return gates
