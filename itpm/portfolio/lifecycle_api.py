"""API of the project lifecycle: intake requests, business case, feasibility, stage gates,
closure, lessons learned and the handoff to operations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from itpm.accounts.models import Team, User
from itpm.accounts.permissions import get_visible_project, request_user
from itpm.accounts.selectors import user_by_username, users_by_username
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.core.errors import Forbidden, Invalid, NotFound
from itpm.portfolio import business_case as cases
from itpm.portfolio import closing, feasibility, gates, intake
from itpm.portfolio.models import (
    BusinessCase,
    Category,
    Dimension,
    Feasibility,
    FlowCategory,
    FlowKind,
    GateChecklistItem,
    GateDecision,
    GateReview,
    Handoff,
    Lesson,
    Periodicity,
    Project,
    ProjectRequest,
    Recommendation,
    RequestStatus,
    Scenario,
    Stage,
    Urgency,
)

router = Router(tags=["lifecycle"])


# ---------------------------------------------------------------------------- requests
class ProjectRequestOut(Schema):
    id: int
    version: int
    title: str
    problem: str
    goal: str
    category: str
    requester: str = Field(validation_alias="requester.username")
    business_unit: str
    desired_date: dt.date | None
    currency: str
    rough_cost: Decimal | None
    rough_benefit: Decimal | None
    urgency: str
    status: str
    triage_note: str
    merged_into: int | None = Field(None, validation_alias="merged_into_id")
    project: str | None = Field(None, validation_alias="project.key")
    created_at: dt.datetime
    decided_at: dt.datetime | None


class ProjectRequestIn(StrictSchema):
    title: str = Field(min_length=1, max_length=200, examples=["Self-service password reset"])
    problem: str = Field(min_length=1, examples=["30 % of help-desk calls are password resets"])
    goal: str = Field("", examples=["Users reset their own passwords in under 2 minutes"])
    category: Category = Field(Category.OTHER, examples=["software"])
    business_unit: str = Field("", max_length=120, examples=["Service desk"])
    desired_date: dt.date | None = Field(None, examples=["2027-03-31"])
    currency: str = Field("USD", min_length=3, max_length=3, examples=["EUR"])
    rough_cost: Decimal | None = Field(
        None, examples=["45000.00"], max_digits=16, decimal_places=2, ge=0
    )
    rough_benefit: Decimal | None = Field(
        None, examples=["120000.00"], max_digits=16, decimal_places=2, ge=0
    )
    urgency: Urgency = Field(Urgency.MEDIUM, examples=["high"])


class RequestPatch(StrictSchema):
    version: int | None = Field(None, description="The version you read; or send If-Match.")
    title: str | None = Field(None, min_length=1, max_length=200)
    problem: str | None = Field(None, min_length=1)
    goal: str | None = None
    category: Category | None = None
    business_unit: str | None = Field(None, max_length=120)
    desired_date: dt.date | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    rough_cost: Decimal | None = Field(None, max_digits=16, decimal_places=2, ge=0)
    rough_benefit: Decimal | None = Field(None, max_digits=16, decimal_places=2, ge=0)
    urgency: Urgency | None = None


class TriageIn(StrictSchema):
    action: Literal["accept", "ask_info", "merge", "reject"] = Field(examples=["accept"])
    version: int | None = Field(None, description="The version of the request you read.")
    note: str = Field("", examples=["Fits the identity roadmap; start in Q1."])
    key: str | None = Field(
        None, min_length=2, max_length=10, description="accept: the new project's key",
        examples=["SSPR"],
    )  # fmt: skip
    name: str | None = Field(None, max_length=200, description="accept: project name")
    manager: str | None = Field(None, description="accept: username", examples=["pm"])
    sponsor: str | None = Field(None, description="accept: username", examples=["cio"])
    merge_into: int | None = Field(None, description="merge: the request id that covers it")


@router.get("/requests", response=Page[ProjectRequestOut])
def request_list(
    request: HttpRequest,
    status: RequestStatus | None = None,
    mine: bool = False,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Your requests; portfolio managers see every request (the triage queue: status=submitted)."""
    requests = intake.request_list(user=request.user, status=status, mine=mine, search=search)
    return paginate(requests, limit, offset)


@router.post("/requests", response={201: ProjectRequestOut, 422: ErrorOut})
def request_submit(request: HttpRequest, payload: ProjectRequestIn) -> tuple[int, ProjectRequest]:
    """Submit a project request; it waits for triage by the portfolio managers."""
    return 201, intake.request_submit(actor=request_user(request), **payload.model_dump())


@router.get("/requests/{request_id}", response={200: ProjectRequestOut, 404: ErrorOut})
def request_get(request: HttpRequest, request_id: int, response: HttpResponse) -> ProjectRequest:
    found = intake.request_get(user=request.user, request_id=request_id)
    with_etag(response, found.version)
    return found


@router.patch(
    "/requests/{request_id}",
    response={200: ProjectRequestOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def request_update(request: HttpRequest, request_id: int, payload: RequestPatch) -> ProjectRequest:
    """The requester edits an open request (answering a question sends it back to triage)."""
    found = intake.request_get(user=request.user, request_id=request_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    return intake.request_update(
        actor=request_user(request), request=found, version=version, data=data
    )


@router.post(
    "/requests/{request_id}/triage",
    response={200: ProjectRequestOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def request_triage(request: HttpRequest, request_id: int, payload: TriageIn) -> ProjectRequest:
    """Portfolio managers: accept into initiation (creates the project), ask for more
    information, merge into another request, or reject with a reason."""
    actor = request_user(request)
    found = intake.request_get(user=request.user, request_id=request_id)
    return triage(actor, found, payload.model_dump())


def triage(actor: User, found: ProjectRequest, data: dict[str, Any]) -> ProjectRequest:
    """One triage decision; shared by the API and the page."""
    action, version, note = data["action"], data.get("version"), data.get("note") or ""
    if action == "accept":
        if not data.get("key"):
            raise Invalid.field("key", "give the new project's key")
        people = {
            f: user_by_username(data[f], field=f) if data.get(f) else None
            for f in ("manager", "sponsor")
        }
        return intake.request_accept(
            actor=actor, request=found, version=version, key=data["key"],
            name=data.get("name") or None, note=note, **people,
        )  # fmt: skip
    if action == "ask_info":
        return intake.request_ask_info(actor=actor, request=found, version=version, question=note)
    if action == "reject":
        return intake.request_reject(actor=actor, request=found, version=version, reason=note)
    if not data.get("merge_into"):
        raise Invalid.field("merge_into", "name the request it duplicates")
    if not intake.is_portfolio_manager(actor):
        raise Forbidden("only portfolio managers triage requests")
    target = intake.request_list(user=actor).filter(pk=data["merge_into"]).first()
    if target is None:
        raise Invalid.field("merge_into", f"no request {data['merge_into']}")
    return intake.request_merge(actor=actor, request=found, version=version, into=target, note=note)


# ---------------------------------------------------------------------------- business case
class CashFlowLineIn(StrictSchema):
    kind: FlowKind = Field(examples=["one_off_cost"])
    category: FlowCategory = Field(FlowCategory.OTHER, examples=["hardware"])
    period: int = Field(ge=0, lt=cases.MAX_PERIODS, description="0 = now", examples=[0])
    amount: Decimal = Field(
        le=intake.MAX_MONEY, examples=["120000.00"], max_digits=16, decimal_places=2, ge=0
    )
    description: str = Field("", max_length=200, examples=["Servers and storage"])


class CashFlowLineOut(Schema):
    kind: str
    category: str
    period: int
    amount: Decimal
    description: str


class SensitivityCell(Schema):
    rate_change: float
    discount_rate: float
    npv: Decimal


class SensitivityRow(Schema):
    benefit_change: float
    cells: list[SensitivityCell]


class MetricsOut(Schema):
    periods: int
    rate_per_period: float
    total_cost: Decimal
    total_benefit: Decimal
    npv: Decimal | None
    irr: float | None = Field(description="per period, as a fraction")
    irr_yearly: float | None
    roi: float | None = Field(description="(benefits - costs) / costs, undiscounted")
    payback_periods: float | None
    discounted_payback_periods: float | None
    benefit_cost_ratio: float | None
    cumulative: list[Decimal]
    sensitivity: list[SensitivityRow]


class BusinessCaseOut(Schema):
    project: str
    version: int
    currency: str
    periodicity: str
    discount_rate: Decimal = Field(description="percent a year")
    strategic_fit: int | None
    summary: str
    lines: list[CashFlowLineOut]
    realized: list[CashFlowLineOut]
    metrics: MetricsOut | None
    realized_metrics: MetricsOut | None
    budget_available: bool


class BusinessCaseIn(StrictSchema):
    version: int | None = Field(None, description="The version you read (not needed to create).")
    periodicity: Periodicity = Field(Periodicity.YEAR, examples=["year"])
    discount_rate: Decimal = Field(
        Decimal(8), ge=0, le=100, max_digits=6, decimal_places=2, examples=["8.00"]
    )
    strategic_fit: int | None = Field(None, ge=1, le=5, examples=[4])
    summary: str = Field("", examples=["Retire the 2012 storage array before support ends."])
    lines: list[CashFlowLineIn] = Field(default_factory=list, max_length=2000)


class RealizedIn(StrictSchema):
    version: int | None = None
    lines: list[CashFlowLineIn] = Field(default_factory=list, max_length=2000)


def business_case_out(project: Project, case: BusinessCase | None) -> dict[str, Any]:
    if case is None:
        case = BusinessCase(project=project, version=0)
        lines: list[Any] = []
        metrics = realized = None
    else:
        lines = list(case.lines.all())
        metrics = cases.compute(case, Scenario.PLANNED)
        realized = cases.compute(case, Scenario.REALIZED)
    return {
        "project": project.key, "version": case.version, "currency": project.currency,
        "periodicity": case.periodicity, "discount_rate": case.discount_rate,
        "strategic_fit": case.strategic_fit, "summary": case.summary,
        "lines": [x for x in lines if x.scenario == Scenario.PLANNED],
        "realized": [x for x in lines if x.scenario == Scenario.REALIZED],
        "metrics": metrics.__dict__ if metrics else None,
        "realized_metrics": realized.__dict__ if realized else None,
        "budget_available": cases.budget_cost_lines(project) is not None,
    }  # fmt: skip


def _case(project: Project) -> BusinessCase | None:
    return BusinessCase.objects.filter(project=project).prefetch_related("lines").first()


@router.get("/projects/{key}/business-case", response={200: BusinessCaseOut, 404: ErrorOut})
def business_case_get(request: HttpRequest, key: str, response: HttpResponse) -> dict[str, Any]:
    """The case with its computed figures: NPV, IRR, ROI, paybacks, benefit/cost, sensitivity.

    A project without a case answers an empty one with version 0. Portfolio managers read
    every project's case.
    """
    project = cases.case_project(user=request.user, key=key)
    out = business_case_out(project, _case(project))
    with_etag(response, out["version"])
    return out


@router.put(
    "/projects/{key}/business-case",
    response={200: BusinessCaseOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def business_case_put(request: HttpRequest, key: str, payload: BusinessCaseIn) -> dict[str, Any]:
    """Write the whole case (settings and planned lines; amounts are positive, kind gives
    the sign). Send the version you read once the case exists."""
    project = get_visible_project(request.user, key)
    data = payload.model_dump()
    lines = data.pop("lines")
    version = data.pop("version")
    if _case(project) is not None:
        version = expected_version(request, version)
    cases.business_case_save(
        actor=request_user(request), project=project, version=version, data=data, lines=lines
    )
    return business_case_out(project, _case(project))


class PullBudgetIn(StrictSchema):
    version: int | None = Field(
        None, description="The case's version you read (not needed to create)."
    )


@router.post(
    "/projects/{key}/business-case/pull-budget",
    response={200: BusinessCaseOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def business_case_pull_budget(
    request: HttpRequest, key: str, payload: PullBudgetIn
) -> dict[str, Any]:
    """Replace the planned one-off costs with the plan's budget, per category and period."""
    project = get_visible_project(request.user, key)
    version = payload.version
    if _case(project) is not None:
        version = expected_version(request, version)
    cases.business_case_pull_budget(actor=request_user(request), project=project, version=version)
    return business_case_out(project, _case(project))


@router.put(
    "/projects/{key}/business-case/realized",
    response={200: BusinessCaseOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def business_case_realized(request: HttpRequest, key: str, payload: RealizedIn) -> dict[str, Any]:
    """Portfolio managers: replace the realized cash flows (also after the handoff, and on
    projects they are not a member of)."""
    project = cases.case_project(user=request.user, key=key)
    cases.business_case_record_realized(
        actor=request_user(request),
        project=project,
        version=expected_version(request, payload.version),
        lines=[line.model_dump() for line in payload.lines],
    )
    return business_case_out(project, _case(project))


# ---------------------------------------------------------------------------- feasibility
class ScoreIn(StrictSchema):
    dimension: Dimension = Field(examples=["security"])
    score: int = Field(ge=1, le=5, examples=[4])
    weight: Decimal = Field(Decimal(1), ge=0, le=100, max_digits=6, decimal_places=2)
    notes: str = Field("", examples=["Pen test of the vendor's SaaS passed in 2026"])
    evidence: list[str] = Field(
        default_factory=list, max_length=20, examples=[["https://wiki.example.com/sec/4711"]]
    )


class ScoreOut(Schema):
    dimension: str
    score: int
    weight: Decimal
    notes: str
    evidence: list[str]


class FeasibilityOut(Schema):
    project: str
    version: int
    recommendation: str
    summary: str
    scores: list[ScoreOut]
    weighted_score: Decimal | None


class FeasibilityIn(StrictSchema):
    version: int | None = None
    recommendation: Recommendation = Field(Recommendation.UNDECIDED, examples=["proceed"])
    summary: str = ""
    scores: list[ScoreIn] = Field(default_factory=list, max_length=6)


def feasibility_out(project: Project) -> dict[str, Any]:
    study = Feasibility.objects.filter(project=project).prefetch_related("scores").first()
    if study is None:
        study = Feasibility(project=project, version=0)
        return {"project": project.key, "version": 0, "recommendation": study.recommendation,
                "summary": "", "scores": [], "weighted_score": None}  # fmt: skip
    return {
        "project": project.key, "version": study.version,
        "recommendation": study.recommendation, "summary": study.summary,
        "scores": list(study.scores.all()), "weighted_score": feasibility.weighted_score(study),
    }  # fmt: skip


@router.get("/projects/{key}/feasibility", response={200: FeasibilityOut, 404: ErrorOut})
def feasibility_get(request: HttpRequest, key: str, response: HttpResponse) -> dict[str, Any]:
    project = get_visible_project(request.user, key)
    out = feasibility_out(project)
    with_etag(response, out["version"])
    return out


@router.put(
    "/projects/{key}/feasibility",
    response={200: FeasibilityOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def feasibility_put(request: HttpRequest, key: str, payload: FeasibilityIn) -> dict[str, Any]:
    """Write the study: recommendation, summary and all scored dimensions (1–5, weighted)."""
    project = get_visible_project(request.user, key)
    data = payload.model_dump()
    scores, version = data.pop("scores"), data.pop("version")
    if Feasibility.objects.filter(project=project).exists():
        version = expected_version(request, version)
    feasibility.feasibility_save(
        actor=request_user(request), project=project, version=version, data=data, scores=scores
    )
    return feasibility_out(project)


# ---------------------------------------------------------------------------- gates
class ChecklistItemOut(Schema):
    id: int
    version: int
    text: str
    done: bool
    done_by: str | None = Field(None, validation_alias="done_by.username")
    done_at: dt.datetime | None


class ApprovalOut(Schema):
    id: int
    version: int
    user: str | None = Field(None, validation_alias="user.username")
    team: str | None = Field(None, validation_alias="team.name")
    role: str
    state: str
    comment: str
    decided_by: str | None = Field(None, validation_alias="decided_by.username")
    decided_at: dt.datetime | None


class GateOut(Schema):
    id: int
    version: int
    project: str = Field(validation_alias="project.key")
    from_stage: str
    to_stage: str
    status: str
    decision: str
    decision_comment: str
    opened_by: str | None = Field(None, validation_alias="opened_by.username")
    decided_by: str | None = Field(None, validation_alias="decided_by.username")
    created_at: dt.datetime
    decided_at: dt.datetime | None
    checklist: list[ChecklistItemOut] = Field(validation_alias="checklist_items")
    approvals: list[ApprovalOut]
    blockers: list[str]


class ApproverIn(StrictSchema):
    user: str | None = Field(None, description="username", examples=["cio"])
    team: str | None = Field(None, description="team name", examples=["Security & compliance"])
    role: str = Field("", max_length=60, examples=["security"])


class GateOpenIn(StrictSchema):
    to_stage: Stage | None = Field(None, description="default: the next stage")
    checklist: list[str] | None = Field(
        None, max_length=100, description="default: the category template's"
    )
    approvers: list[ApproverIn] | None = Field(
        None, max_length=50, description="default: the template's"
    )


class ApprovalIn(StrictSchema):
    decision: Literal["approve", "reject"] = Field(examples=["approve"])
    comment: str = Field("", examples=["Security review signed, see SEC-2291"])


class GateDecisionIn(StrictSchema):
    version: int | None = None
    decision: GateDecision = Field(examples=["go"])
    comment: str = Field("", examples=["All approvals in; proceed to planning."])


class GateItemIn(StrictSchema):
    text: str = Field(min_length=1, max_length=200, examples=["Vendor contract signed"])


class ItemPatch(StrictSchema):
    version: int | None = None
    done: bool | None = None
    text: str | None = Field(None, min_length=1, max_length=200)


def gate_out(gate: GateReview) -> GateReview:
    gate.blockers = gates.blockers(gate) if gate.status == "open" else []  # type: ignore[attr-defined]
    gate.checklist_items = list(gate.checklist.select_related("done_by"))  # type: ignore[attr-defined]
    return gate


def _gate(request: HttpRequest, gate_id: int) -> GateReview:
    return gate_out(gates.gate_get(user=request.user, gate_id=gate_id))


@router.get("/projects/{key}/gates", response={200: list[GateOut], 404: ErrorOut})
def gate_list(request: HttpRequest, key: str) -> list[GateReview]:
    """The project's gate reviews, newest first."""
    project = get_visible_project(request.user, key)
    return [gate_out(g) for g in gates.gate_list(project=project)]


def _approvers(specs: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if specs is None:
        return None
    result = []
    for index, spec in enumerate(specs):
        user = team = None
        if spec.get("user"):
            user = user_by_username(spec["user"], field=f"approvers.{index}.user")
        if spec.get("team"):
            team = Team.objects.filter(name=spec["team"]).first()
            if team is None:
                raise Invalid.field(f"approvers.{index}.team", f"no team {spec['team']!r}")
        result.append({"user": user, "team": team, "role": spec.get("role") or ""})
    return result


@router.post(
    "/projects/{key}/gates",
    response={201: GateOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def gate_open(
    request: HttpRequest, key: str, payload: GateOpenIn | None = None
) -> tuple[int, GateReview]:
    """Open the review of the next stage transition; the approvers are notified."""
    project = get_visible_project(request.user, key)
    data = payload.model_dump() if payload else {}
    gate = gates.gate_open(
        actor=request_user(request),
        project=project,
        to_stage=data.get("to_stage"),
        checklist=data.get("checklist"),
        approvers=_approvers(data.get("approvers")),
    )
    return 201, gate_out(gate)


@router.get("/gates/{gate_id}", response={200: GateOut, 404: ErrorOut})
def gate_get(request: HttpRequest, gate_id: int, response: HttpResponse) -> GateReview:
    gate = _gate(request, gate_id)
    with_etag(response, gate.version)
    return gate


@router.post(
    "/gates/{gate_id}/approvals",
    response={200: list[ApprovalOut], 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def gate_approve(request: HttpRequest, gate_id: int, payload: ApprovalIn) -> list[Any]:
    """Approve or reject (with a comment) as a required approver: the named user or a member
    of the named team. Anyone else gets 403."""
    gate = gates.gate_get(user=request.user, gate_id=gate_id)
    return gates.gate_approve(
        actor=request_user(request),
        gate=gate,
        approve=payload.decision == "approve",
        comment=payload.comment,
    )


class ApproverAddIn(StrictSchema):
    user: str | None = Field(None, description="username (or name a team)", examples=["cfo"])
    team: str | None = Field(None, description="team name (or name a user)", examples=[None])
    role: str = Field("", max_length=60, examples=["finance"])


@router.post(
    "/gates/{gate_id}/approvers",
    response={201: ApprovalOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def gate_approver_add(
    request: HttpRequest, gate_id: int, payload: ApproverAddIn
) -> tuple[int, Any]:
    """Managers ask one more user or team to approve the open review; they are notified and
    "go" waits for them too."""
    gate = gates.gate_get(user=request.user, gate_id=gate_id)
    user = user_by_username(payload.user, field="user") if payload.user else None
    team = Team.objects.filter(name=payload.team).first() if payload.team else None
    if payload.team and team is None:
        raise Invalid.field("team", f"no team {payload.team!r}")
    return 201, gates.gate_approver_add(
        actor=request_user(request), gate=gate, user=user, team=team, role=payload.role
    )


@router.post(
    "/gates/{gate_id}/decision",
    response={200: GateOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def gate_decide(request: HttpRequest, gate_id: int, payload: GateDecisionIn) -> GateReview:
    """Go (the stage moves; every item done and every approval given), no-go (cancel and
    archive), hold, or recycle (back to the stage before)."""
    gate = gates.gate_get(user=request.user, gate_id=gate_id)
    gates.gate_decide(
        actor=request_user(request),
        gate=gate,
        version=expected_version(request, payload.version),
        decision=payload.decision,
        comment=payload.comment,
    )
    return _gate(request, gate_id)


@router.post(
    "/gates/{gate_id}/checklist",
    response={201: ChecklistItemOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def gate_item_add(
    request: HttpRequest, gate_id: int, payload: GateItemIn
) -> tuple[int, GateChecklistItem]:
    gate = gates.gate_get(user=request.user, gate_id=gate_id)
    return 201, gates.gate_item_add(actor=request_user(request), gate=gate, text=payload.text)


@router.patch(
    "/gate-items/{item_id}",
    response={200: ChecklistItemOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def gate_item_update(request: HttpRequest, item_id: int, payload: ItemPatch) -> GateChecklistItem:
    """Tick an item (members) or reword it (managers)."""
    item = (
        GateChecklistItem.objects.filter(gate__in=gates.visible_gates(request.user), pk=item_id)
        .select_related("gate__project")
        .first()
    )
    if item is None:
        raise NotFound(f"checklist item {item_id} not found")
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    return gates.gate_item_update(
        actor=request_user(request), item=item, version=version, data=data
    )


# ---------------------------------------------------------------------------- closure
class ClosureItemOut(Schema):
    key: str
    label: str
    state: str
    detail: str


class AcceptanceOut(Schema):
    accepted: bool
    comment: str
    actor: str | None = Field(None, validation_alias="actor.username")
    task: int | None = Field(None, validation_alias="task_id")
    created_at: dt.datetime


class ClosureOut(Schema):
    project: str
    version: int = Field(description="The closure record's version (0 before one exists).")
    stage: str
    checklist: list[ClosureItemOut]
    acceptors: list[str]
    accepted_at: dt.datetime | None
    decisions: list[AcceptanceOut]


class ProjectAcceptIn(StrictSchema):
    decision: Literal["accept", "reject"] = Field(examples=["accept"])
    comment: str = Field("", examples=["Delivered as agreed; thanks to the team."])


def closure_out(project: Project) -> dict[str, Any]:
    closure = getattr(project, "closure", None) if hasattr(project, "closure") else None
    return {
        "project": project.key,
        "version": closure.version if closure else 0,
        "stage": project.stage,
        "checklist": [item.__dict__ for item in closing.closure_checklist(project)],
        "acceptors": [u.username for u in closing.acceptors(project)],
        "accepted_at": closure.accepted_at if closure else None,
        "decisions": list(closure.decisions.select_related("actor")) if closure else [],
    }


@router.get("/projects/{key}/closure", response={200: ClosureOut, 404: ErrorOut})
def closure_get(request: HttpRequest, key: str) -> dict[str, Any]:
    """The closure checklist (computed where possible), acceptors and sign-off history."""
    return closure_out(get_visible_project(request.user, key))


@router.post(
    "/projects/{key}/acceptance",
    response={200: ClosureOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def project_accept(request: HttpRequest, key: str, payload: ProjectAcceptIn) -> dict[str, Any]:
    """The sponsor (or a named acceptor) signs the project off; a rejection becomes a task."""
    project = _project_or_acceptor(request, key)
    closing.project_accept(
        actor=request_user(request),
        project=project,
        accepted=payload.decision == "accept",
        comment=payload.comment,
    )
    project.refresh_from_db()
    return closure_out(project)


class AcceptorsIn(StrictSchema):
    version: int | None = Field(None, description="The closure's version you read, if any.")
    acceptors: list[str] = Field(
        max_length=20,
        description="Usernames who sign the project off; empty: the sponsor (else the owners).",
        examples=[["sam.sponsor", "olivia.ops"]],
    )


@router.put(
    "/projects/{key}/closure/acceptors",
    response={200: ClosureOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def closure_acceptors(request: HttpRequest, key: str, payload: AcceptorsIn) -> dict[str, Any]:
    """Managers name the acceptors of the project (replaces the list)."""
    project = get_visible_project(request.user, key)
    closing.closure_acceptors_set(
        actor=request_user(request), project=project, version=payload.version,
        users=users_by_username(list(dict.fromkeys(payload.acceptors)), field="acceptors"),
    )  # fmt: skip
    project.refresh_from_db()
    return closure_out(project)


def _project_or_acceptor(request: HttpRequest, key: str) -> Project:
    # A sponsor who is not a member still signs: the acceptors see what they sign.
    project = Project.objects.filter(key=key.upper()).first()
    if project is not None and closing.may_accept(request.user, project):
        return project
    return get_visible_project(request.user, key)


# ---------------------------------------------------------------------------- lessons
class LessonOut(Schema):
    id: int
    version: int
    project: str = Field(validation_alias="project.key")
    category: str
    title: str
    went_well: str
    went_badly: str
    recommendations: str
    tags: list[str]
    author: str | None = Field(None, validation_alias="author.username")
    created_at: dt.datetime


class LessonIn(StrictSchema):
    title: str = Field(min_length=1, max_length=200, examples=["Book the change window early"])
    went_well: str = Field("", examples=["Pilot group found the SSO issues before go-live"])
    went_badly: str = Field("", examples=["Licence procurement took 6 weeks longer"])
    recommendations: str = Field("", examples=["Start procurement in initiation"])
    tags: list[str] = Field(default_factory=list, max_length=20, examples=[["procurement"]])


@router.get("/lessons", response=Page[LessonOut])
def lesson_search(
    request: HttpRequest,
    search: str | None = None,
    category: Category | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Lessons learned across all projects (every word of ``search`` must match)."""
    return paginate(
        closing.lesson_search(user=request.user, search=search, category=category), limit, offset
    )


@router.get("/projects/{key}/lessons", response={200: list[LessonOut], 404: ErrorOut})
def lesson_list(request: HttpRequest, key: str) -> list[Lesson]:
    project = get_visible_project(request.user, key)
    return list(project.lessons.select_related("project", "author"))


@router.post(
    "/projects/{key}/lessons",
    response={201: LessonOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def lesson_create(request: HttpRequest, key: str, payload: LessonIn) -> tuple[int, Lesson]:
    project = get_visible_project(request.user, key)
    return 201, closing.lesson_create(
        actor=request_user(request), project=project, **payload.model_dump()
    )


# ---------------------------------------------------------------------------- handoff
class HandoffServiceIn(StrictSchema):
    name: str = Field(min_length=1, max_length=200, examples=["Campus Wi-Fi"])
    description: str = Field("", examples=["802.1X Wi-Fi in all buildings"])
    hours: str = Field("", max_length=120, examples=["Mon–Fri 08:00–18:00"])
    runbook_links: list[str] = Field(
        default_factory=list, max_length=20, examples=[["https://wiki.example.com/runbooks/wifi"]]
    )


class HandoffIn(StrictSchema):
    operations_team: str = Field(description="team name", examples=["Operations"])
    services: list[HandoffServiceIn] = Field(default_factory=list, max_length=20)
    queue: int | None = Field(None, description="help-desk queue id")
    queue_name: str = Field("", max_length=120, examples=["Service desk"])
    hypercare_until: dt.date | None = Field(None, examples=["2027-07-31"])
    notes: str = ""


class HandoffOut(Schema):
    project: str = Field(validation_alias="project.key")
    version: int
    operations_team: str = Field(validation_alias="operations_team.name")
    queue: int | None = Field(None, validation_alias="queue_id")
    queue_name: str
    hypercare_until: dt.date | None
    services: list[dict[str, Any]]
    assets: list[dict[str, Any]]
    handed_over_by: str | None = Field(None, validation_alias="handed_over_by.username")
    handed_over_at: dt.datetime
    notes: str


@router.get("/projects/{key}/handoff", response={200: HandoffOut, 404: ErrorOut})
def handoff_get(request: HttpRequest, key: str) -> Handoff:
    project = get_visible_project(request.user, key)
    handoff = Handoff.objects.filter(project=project).select_related("operations_team").first()
    if handoff is None:
        raise NotFound(f"{project.key} has not been handed over")
    return handoff


@router.post(
    "/projects/{key}/handoff",
    response={201: HandoffOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def handoff_create(request: HttpRequest, key: str, payload: HandoffIn) -> tuple[int, Handoff]:
    """Hand over to operations (services, assets, queue, hypercare) and archive the project,
    in one transaction."""
    project = get_visible_project(request.user, key)
    team = Team.objects.filter(name=payload.operations_team).first()
    if team is None:
        raise Invalid.field("operations_team", f"no team {payload.operations_team!r}")
    handoff = closing.handoff_create(
        actor=request_user(request),
        project=project,
        operations_team=team,
        services=[
            closing.ServiceSpec(s.name, s.description, s.hours, tuple(s.runbook_links))
            for s in payload.services
        ],
        queue_id=payload.queue,
        queue_name=payload.queue_name,
        hypercare_until=payload.hypercare_until,
        notes=payload.notes,
    )
    return 201, handoff
