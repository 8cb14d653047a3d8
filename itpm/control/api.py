"""API: risks, estimates, forecast, issues, change requests, decisions, deliverables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal, TypeVar

from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from itpm.accounts.permissions import get_visible_project, request_user
from itpm.accounts.selectors import users_by_username
from itpm.control import changes, selectors, services
from itpm.control.models import (
    ChangeRequest,
    Decision,
    Deliverable,
    ForecastRun,
    Issue,
    IssueSeverity,
    IssueStatus,
    Proximity,
    ResponseStrategy,
    Risk,
    RiskCategory,
    RiskKind,
    RiskStatus,
    TaskEstimate,
)
from itpm.control.risk_templates import suggestions
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.core.errors import Invalid, NotFound
from itpm.planning.models import Task
from itpm.portfolio.models import Project

router = Router(tags=["control"])
M = TypeVar("M", bound=Model)
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


MAX_ID = 2**63 - 1  # the largest database id; a bigger number names nothing


def _get(model: type[M], project: Project, ident: int, what: str) -> M:
    if not 0 < ident <= MAX_ID:
        raise NotFound(f"{what} {ident} not found in {project.key}")
    found = model._default_manager.filter(project=project, pk=ident).first()
    if found is None:
        raise NotFound(f"{what} {ident} not found in {project.key}")
    return found


def _tasks(project: Project, ids: list[int] | None, field: str) -> list[Task] | None:
    if ids is None:
        return None
    if any(not 0 < i <= MAX_ID for i in ids):
        raise Invalid.field(field, f"no such task in {project.key}")
    found = {t.pk: t for t in Task.objects.filter(project=project, pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid.field(field, f"no task {missing[0]} in {project.key}")
    return [found[i] for i in dict.fromkeys(ids)]


def _user(username: str | None, field: str) -> Any:
    if not username:
        return None
    return users_by_username([username], field=field)[0]


# ---------------------------------------------------------------------------- risks
class RiskOut(Schema):
    id: int
    version: int
    code: str
    title: str
    kind: str
    cause: str
    event: str
    effect: str
    category: str
    probability: int
    impact: int
    score: int
    proximity: str
    owner: str | None = Field(None, validation_alias="owner.username")
    response_strategy: str
    response: str
    response_tasks: list[int]
    trigger: str
    status: str
    residual_probability: int | None
    residual_impact: int | None
    residual_score: int | None
    review_date: dt.date | None
    escalated: bool
    chance: Decimal | None = Field(
        description="Chance (0..1) that the event occurs, for the forecast."
    )
    delay_hours: int = Field(description="Working hours the event adds to each of delay_tasks.")
    delay_tasks: list[int]
    cost: Decimal

    @staticmethod
    def resolve_response_tasks(risk: Risk) -> list[int]:
        return [t.pk for t in risk.response_tasks.all()]

    @staticmethod
    def resolve_delay_tasks(risk: Risk) -> list[int]:
        return [t.pk for t in risk.delay_tasks.all()]


class RiskIn(StrictSchema):
    title: str = Field(min_length=1, max_length=200, examples=["Vendor delivery delay"])
    kind: RiskKind = RiskKind.THREAT
    cause: str = Field("", max_length=10_000, examples=["Single supplier for the racks"])
    event: str = Field("", max_length=10_000, examples=["Racks arrive after the window"])
    effect: str = Field("", max_length=10_000, examples=["Installation slips two weeks"])
    category: RiskCategory = Field(examples=["vendor"])
    probability: int = Field(3, ge=1, le=5)
    impact: int = Field(3, ge=1, le=5)
    proximity: Proximity = Proximity.PROJECT
    owner: str | None = Field(None, description="username of a project member")
    response_strategy: ResponseStrategy | None = None
    response: str = Field("", max_length=10_000)
    trigger: str = Field("", max_length=10_000, examples=["No ship notice 2 weeks before"])
    residual_probability: int | None = Field(None, ge=1, le=5)
    residual_impact: int | None = Field(None, ge=1, le=5)
    review_date: dt.date | None = None
    chance: Decimal | None = Field(None, ge=0, le=1, examples=["0.30"])
    delay_hours: int = Field(0, ge=0, le=100_000, examples=[40])
    delay_tasks: list[int] = Field([], description="ids of the tasks the event delays")
    cost: Decimal = Field(Decimal("0.00"), examples=["2000.00"])
    response_tasks: list[int] = Field(
        [], description="ids of existing tasks that carry out the response", examples=[[]]
    )


class RiskPatch(StrictSchema):
    version: int | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    kind: RiskKind | None = None
    cause: str | None = Field(None, max_length=10_000)
    event: str | None = Field(None, max_length=10_000)
    effect: str | None = Field(None, max_length=10_000)
    category: RiskCategory | None = None
    probability: int | None = Field(None, ge=1, le=5)
    impact: int | None = Field(None, ge=1, le=5)
    proximity: Proximity | None = None
    owner: str | None = None
    response_strategy: ResponseStrategy | None = None
    response: str | None = Field(None, max_length=10_000)
    trigger: str | None = Field(None, max_length=10_000)
    status: RiskStatus | None = None
    residual_probability: int | None = Field(None, ge=1, le=5)
    residual_impact: int | None = Field(None, ge=1, le=5)
    review_date: dt.date | None = None
    chance: Decimal | None = Field(None, ge=0, le=1)
    delay_hours: int | None = Field(None, ge=0, le=100_000)
    delay_tasks: list[int] | None = None
    cost: Decimal | None = None
    response_tasks: list[int] | None = Field(
        None, description="ids of existing tasks that carry out the response (replaces the list)"
    )

    model_config = StrictSchema.model_config | {
        "json_schema_extra": {"examples": [{"version": 2, "residual_probability": 2}]}
    }


class ControlVersionIn(StrictSchema):
    version: int | None = Field(None, description="The version you read; or send If-Match.")


class RiskEscalateIn(StrictSchema):
    version: int | None = None
    escalated: bool = True


class ResponseTaskIn(StrictSchema):
    name: str = Field(min_length=1, max_length=300, examples=["Order from a second vendor"])
    duration_hours: int = Field(8, ge=0, le=100_000)


class HeatCellOut(Schema):
    probability: int
    impact: int
    count: int
    score: int


class HeatMapOut(Schema):
    view: str
    total: int
    cells: list[HeatCellOut]


def _risk_data(
    project: Project, data: dict[str, Any]
) -> tuple[dict[str, Any], list[Task] | None, list[Task] | None]:
    if "owner" in data:
        data["owner"] = _user(data["owner"], "owner")
    delay_tasks = _tasks(project, data.pop("delay_tasks", None), "delay_tasks")
    response_tasks = _tasks(project, data.pop("response_tasks", None), "response_tasks")
    for required in ("title", "kind", "category", "probability", "impact", "proximity",
                     "response_strategy", "status", "delay_hours"):  # fmt: skip
        if required in data and data[required] is None:
            if required == "response_strategy":
                data.pop(required)
                continue
            raise Invalid.field(required, "must not be null")
    for text in ("cause", "event", "effect", "response", "trigger"):
        if text in data and data[text] is None:
            data[text] = ""
    for enum_field in ("kind", "category", "proximity", "response_strategy", "status"):
        if data.get(enum_field) is not None:
            data[enum_field] = str(getattr(data[enum_field], "value", data[enum_field]))
    return data, delay_tasks, response_tasks


@router.get("/projects/{key}/risks", response={200: Page[RiskOut], 404: ErrorOut})
def risk_list(
    request: HttpRequest, key: str, status: RiskStatus | None = None,
    category: RiskCategory | None = None, probability: int | None = None,
    impact: int | None = None, view: Literal["before", "after"] = "before",
    escalated: bool | None = None, review_due: dt.date | None = None,
    limit: int = 100, offset: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """The risk register. probability/impact pick a heat-map cell (of `view`: before or after
    response); review_due=YYYY-MM-DD lists the open risks due for review by that day."""
    project = get_visible_project(request.user, key)
    risks = selectors.risk_list(project, status=status, category=category,
                                probability=probability, impact=impact, view=view,
                                escalated=escalated, review_due=review_due)  # fmt: skip
    return paginate(risks.prefetch_related("response_tasks", "delay_tasks"), limit, offset)


@router.post("/projects/{key}/risks", response={201: RiskOut, **WRITE_ERRORS})
def risk_create(request: HttpRequest, key: str, payload: RiskIn) -> tuple[int, Risk]:
    project = get_visible_project(request.user, key)
    data, delay_tasks, response_tasks = _risk_data(project, payload.model_dump())
    risk = services.risk_create(actor=request_user(request), project=project,
                                delay_tasks=delay_tasks, response_tasks=response_tasks, **data)  # fmt: skip
    return 201, risk


@router.get("/projects/{key}/risks/heat-map", response={200: HeatMapOut, 404: ErrorOut})
def risk_heat_map(
    request: HttpRequest, key: str, view: Literal["before", "after"] = "before"
) -> dict[str, Any]:
    """Open risks per probability x impact cell, before or after response."""
    project = get_visible_project(request.user, key)
    return selectors.heat_map(project, view, "")


@router.get(
    "/projects/{key}/risks/suggestions", response={200: list[dict[str, Any]], 404: ErrorOut}
)
def risk_suggestions(request: HttpRequest, key: str) -> list[dict[str, Any]]:
    """Common risks of the project's category (templates to add to the register)."""
    project = get_visible_project(request.user, key)
    return suggestions(project.category)


@router.get("/projects/{key}/risks/{risk_id}", response={200: RiskOut, 404: ErrorOut})
def risk_get(request: HttpRequest, key: str, risk_id: int, response: HttpResponse) -> Risk:
    risk = _get(Risk, get_visible_project(request.user, key), risk_id, "risk")
    with_etag(response, risk.version)
    return risk


@router.patch("/projects/{key}/risks/{risk_id}", response={200: RiskOut, **WRITE_ERRORS})
def risk_update(
    request: HttpRequest, key: str, risk_id: int, payload: RiskPatch, response: HttpResponse
) -> Risk:
    project = get_visible_project(request.user, key)
    risk = _get(Risk, project, risk_id, "risk")
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    data, delay_tasks, response_tasks = _risk_data(project, data)
    risk = services.risk_update(actor=request_user(request), risk=risk, version=version,
                                data=data, delay_tasks=delay_tasks,
                                response_tasks=response_tasks)  # fmt: skip
    with_etag(response, risk.version)
    return risk


@router.delete("/projects/{key}/risks/{risk_id}", response={204: None, **WRITE_ERRORS})
def risk_delete(request: HttpRequest, key: str, risk_id: int) -> tuple[int, None]:
    project = get_visible_project(request.user, key)
    services.risk_delete(actor=request_user(request), risk=_get(Risk, project, risk_id, "risk"))
    return 204, None


@router.post("/projects/{key}/risks/{risk_id}/escalate", response={200: RiskOut, **WRITE_ERRORS})
def risk_escalate(request: HttpRequest, key: str, risk_id: int, payload: RiskEscalateIn) -> Risk:
    """Escalate the risk to the portfolio (or take it back with escalated=false)."""
    project = get_visible_project(request.user, key)
    risk = _get(Risk, project, risk_id, "risk")
    return services.risk_escalate(actor=request_user(request), risk=risk,
                                  version=payload.version, escalated=payload.escalated)  # fmt: skip


@router.post(
    "/projects/{key}/risks/{risk_id}/response-tasks", response={201: dict[str, Any], **WRITE_ERRORS}
)
def risk_response_task(
    request: HttpRequest, key: str, risk_id: int, payload: ResponseTaskIn
) -> tuple[int, dict[str, Any]]:
    """Create a response action as a task of the plan, linked to the risk."""
    project = get_visible_project(request.user, key)
    risk = _get(Risk, project, risk_id, "risk")
    task = services.risk_add_response_task(actor=request_user(request), risk=risk,
                                           name=payload.name, duration_hours=payload.duration_hours)  # fmt: skip
    return 201, {"task": task.pk, "wbs_code": task.wbs_code, "name": task.name}


# ---------------------------------------------------------------------------- issues
class IssueOut(Schema):
    id: int
    version: int
    code: str
    title: str
    description: str
    severity: str
    status: str
    owner: str | None = Field(None, validation_alias="owner.username")
    due_date: dt.date | None
    tasks: list[int]
    risks: list[int]
    deliverable: int | None = Field(None, validation_alias="deliverable_id")
    resolution: str
    resolved_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_tasks(issue: Issue) -> list[int]:
        return [t.pk for t in issue.tasks.all()]

    @staticmethod
    def resolve_risks(issue: Issue) -> list[int]:
        return [r.pk for r in issue.risks.all()]


class IssueIn(StrictSchema):
    title: str = Field(min_length=1, max_length=200, examples=["Core switch fails burn-in"])
    description: str = Field("", max_length=50_000)
    severity: IssueSeverity = IssueSeverity.MEDIUM
    owner: str | None = None
    due_date: dt.date | None = Field(None, examples=["2027-02-15"])
    tasks: list[int] = []
    risks: list[int] = []


class IssuePatch(StrictSchema):
    version: int | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=50_000)
    severity: IssueSeverity | None = None
    status: IssueStatus | None = None
    owner: str | None = None
    due_date: dt.date | None = None
    resolution: str | None = Field(None, max_length=50_000, examples=["Vendor swapped the unit"])
    tasks: list[int] | None = None
    risks: list[int] | None = None


def _risks(project: Project, ids: list[int] | None) -> list[Risk] | None:
    if ids is None:
        return None
    if any(not 0 < i <= MAX_ID for i in ids):
        raise Invalid.field("risks", f"no such risk in {project.key}")
    found = {r.pk: r for r in Risk.objects.filter(project=project, pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid.field("risks", f"no risk {missing[0]} in {project.key}")
    return list(found.values())


@router.get("/projects/{key}/issues", response={200: Page[IssueOut], 404: ErrorOut})
def issue_list(request: HttpRequest, key: str, status: str | None = None,
               limit: int = 100, offset: int = 0) -> dict[str, Any]:  # fmt: skip
    """The issue log; status=open lists open and in-progress issues."""
    project = get_visible_project(request.user, key)
    return paginate(selectors.issue_list(project, status=status), limit, offset)


@router.post("/projects/{key}/issues", response={201: IssueOut, **WRITE_ERRORS})
def issue_create(request: HttpRequest, key: str, payload: IssueIn) -> tuple[int, Issue]:
    project = get_visible_project(request.user, key)
    data = payload.model_dump()
    issue = services.issue_create(
        actor=request_user(request), project=project, title=data["title"],
        description=data["description"], severity=str(data["severity"].value),
        owner=_user(data["owner"], "owner"), due_date=data["due_date"],
        tasks=_tasks(project, data["tasks"], "tasks"), risks=_risks(project, data["risks"]),
    )  # fmt: skip
    return 201, issue


@router.get("/projects/{key}/issues/{issue_id}", response={200: IssueOut, 404: ErrorOut})
def issue_get(request: HttpRequest, key: str, issue_id: int, response: HttpResponse) -> Issue:
    issue = _get(Issue, get_visible_project(request.user, key), issue_id, "issue")
    with_etag(response, issue.version)
    return issue


@router.patch("/projects/{key}/issues/{issue_id}", response={200: IssueOut, **WRITE_ERRORS})
def issue_update(request: HttpRequest, key: str, issue_id: int, payload: IssuePatch,
                 response: HttpResponse) -> Issue:  # fmt: skip
    project = get_visible_project(request.user, key)
    issue = _get(Issue, project, issue_id, "issue")
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    tasks = _tasks(project, data.pop("tasks", None), "tasks")
    risks = _risks(project, data.pop("risks", None))
    if "owner" in data:
        data["owner"] = _user(data["owner"], "owner")
    for name in ("severity", "status"):
        if name in data:
            if data[name] is None:
                raise Invalid.field(name, "must not be null")
            data[name] = str(data[name].value)
    for name in ("title", "description", "resolution"):
        if name in data and data[name] is None:
            data[name] = ""
    issue = services.issue_update(actor=request_user(request), issue=issue, version=version,
                                  data=data, tasks=tasks, risks=risks)  # fmt: skip
    with_etag(response, issue.version)
    return issue


@router.post("/projects/{key}/risks/{risk_id}/issue", response={201: IssueOut, **WRITE_ERRORS})
def risk_to_issue(
    request: HttpRequest, key: str, risk_id: int, payload: ControlVersionIn
) -> tuple[int, Issue]:
    """The risk occurred: mark it so and open an issue linked to it."""
    project = get_visible_project(request.user, key)
    risk = _get(Risk, project, risk_id, "risk")
    return 201, services.risk_to_issue(actor=request_user(request), risk=risk,
                                       version=payload.version)  # fmt: skip


# ---------------------------------------------------------------------------- estimates
class EstimateOut(Schema):
    task: int = Field(validation_alias="task_id")
    version: int
    optimistic_hours: int
    most_likely_hours: int
    pessimistic_hours: int


class EstimateIn(StrictSchema):
    optimistic_hours: int = Field(ge=0, le=100_000, examples=[16])
    most_likely_hours: int = Field(ge=0, le=100_000, examples=[24])
    pessimistic_hours: int = Field(ge=0, le=100_000, examples=[48])


@router.get("/projects/{key}/estimates", response={200: list[EstimateOut], 404: ErrorOut})
def estimate_list(request: HttpRequest, key: str) -> list[TaskEstimate]:
    """Three-point estimates (working hours) of the project's tasks."""
    project = get_visible_project(request.user, key)
    return list(TaskEstimate.objects.filter(task__project=project).order_by("task__wbs_sort"))


@router.put("/projects/{key}/estimates/{task_id}", response={200: EstimateOut, **WRITE_ERRORS})
def estimate_set(request: HttpRequest, key: str, task_id: int, payload: EstimateIn) -> TaskEstimate:
    project = get_visible_project(request.user, key)
    task = _get(Task, project, task_id, "task")
    return services.task_estimate_set(
        actor=request_user(request), task=task, optimistic=payload.optimistic_hours,
        most_likely=payload.most_likely_hours, pessimistic=payload.pessimistic_hours,
    )  # fmt: skip


@router.delete("/projects/{key}/estimates/{task_id}", response={204: None, **WRITE_ERRORS})
def estimate_delete(request: HttpRequest, key: str, task_id: int) -> tuple[int, None]:
    project = get_visible_project(request.user, key)
    services.task_estimate_delete(
        actor=request_user(request), task=_get(Task, project, task_id, "task")
    )
    return 204, None


# ---------------------------------------------------------------------------- forecast
class ForecastOut(Schema):
    id: int
    status: str
    progress: int
    iterations: int
    seed: int
    distribution: str
    results: dict[str, Any] = Field(description="P50/P80/P95 finish and cost, probabilities, "
                                    "histogram, criticality, tornado (empty until done).")  # fmt: skip
    error: str
    requested_by: str | None = Field(None, validation_alias="requested_by.username")
    created_at: dt.datetime
    finished_at: dt.datetime | None


class ForecastIn(StrictSchema):
    iterations: int = Field(5000, ge=100, le=services.MAX_ITERATIONS, examples=[10000])
    seed: int | None = Field(None, ge=0, description="Repeat a run with its seed; none = random.",
                             examples=[42])  # fmt: skip
    distribution: Literal["triangular", "pert"] = "triangular"
    background: bool | None = Field(None, description="Force a background job (true) or an "
                                    "in-request run (false); by default large plans go to the background.")  # fmt: skip


@router.post("/projects/{key}/forecast", response={201: ForecastOut, **WRITE_ERRORS})
def forecast_run(request: HttpRequest, key: str, payload: ForecastIn) -> tuple[int, ForecastRun]:
    """Run a Monte Carlo forecast. Small plans answer done; large ones queued (poll GET)."""
    project = get_visible_project(request.user, key)
    run = services.forecast_run_request(
        actor=request_user(request), project=project, iterations=payload.iterations,
        seed=payload.seed, distribution=payload.distribution, background=payload.background,
    )  # fmt: skip
    return 201, run


@router.get("/projects/{key}/forecast", response={200: ForecastOut, 404: ErrorOut})
def forecast_latest(request: HttpRequest, key: str) -> ForecastRun:
    """The latest forecast run of the project (whatever its status)."""
    project = get_visible_project(request.user, key)
    run = selectors.forecast_runs(project).first()
    if run is None:
        raise NotFound(f"{project.key} has no forecast yet; POST to run one")
    return run


@router.get("/projects/{key}/forecast/{run_id}", response={200: ForecastOut, 404: ErrorOut})
def forecast_get(request: HttpRequest, key: str, run_id: int) -> ForecastRun:
    project = get_visible_project(request.user, key)
    return _get(ForecastRun, project, run_id, "forecast")


# ---------------------------------------------------------------------------- change requests
class VoteOut(Schema):
    approver: str = Field(validation_alias="approver.username")
    decision: str
    comment: str
    created_at: dt.datetime


class ChangeOut(Schema):
    id: int
    version: int
    code: str
    title: str
    description: str
    reason: str
    status: str
    requested_by: str | None = Field(None, validation_alias="requested_by.username")
    operations: list[dict[str, Any]]
    budget_changes: list[dict[str, Any]]
    scope_impact: str
    risk_impact: str
    impact: dict[str, Any] = Field(description="finish before/after (computed on a copy), "
                                   "duration and budget deltas")  # fmt: skip
    board: list[str]
    votes: list[VoteOut]
    save_baseline: bool
    baseline_name: str
    decided_at: dt.datetime | None
    applied_at: dt.datetime | None

    @staticmethod
    def resolve_board(change: ChangeRequest) -> list[str]:
        return sorted(u.username for u in change.board.all())

    @staticmethod
    def resolve_votes(change: ChangeRequest) -> list[Any]:
        return list(change.votes.all())


_OPS_EXAMPLE = [
    {"op": "change_duration", "task": 12, "hours": 40},
    {"op": "add_task", "name": "Security review", "hours": 16, "ref": "sec", "after": [12]},
    {"op": "add_dependency", "predecessor": "sec", "successor": 15, "type": "FS"},
]


class ChangeIn(StrictSchema):
    title: str = Field(min_length=1, max_length=200, examples=["Add a security review"])
    description: str = Field("", max_length=50_000)
    reason: str = Field("", max_length=50_000, examples=["Audit finding 2027-07"])
    operations: list[dict[str, Any]] = Field([], examples=[_OPS_EXAMPLE])
    budget_changes: list[dict[str, Any]] = Field(
        [], examples=[[{"line": 3, "months": {"2027-04": "5000.00"}}]]
    )
    board: list[str] = Field([], description="usernames of the approvers", examples=[["olivia"]])
    scope_impact: str = Field("", max_length=50_000)
    risk_impact: str = Field("", max_length=50_000)
    save_baseline: bool = False
    baseline_name: str = Field("", max_length=120)


class ChangePatch(StrictSchema):
    version: int | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=50_000)
    reason: str | None = Field(None, max_length=50_000)
    operations: list[dict[str, Any]] | None = None
    budget_changes: list[dict[str, Any]] | None = None
    board: list[str] | None = None
    scope_impact: str | None = Field(None, max_length=50_000)
    risk_impact: str | None = Field(None, max_length=50_000)
    save_baseline: bool | None = None
    baseline_name: str | None = Field(None, max_length=120)


class VoteIn(StrictSchema):
    comment: str = Field("", max_length=10_000, examples=["Fits the reserve"])


@router.get("/projects/{key}/change-requests", response={200: Page[ChangeOut], 404: ErrorOut})
def change_list(request: HttpRequest, key: str, status: str | None = None,
                limit: int = 100, offset: int = 0) -> dict[str, Any]:  # fmt: skip
    project = get_visible_project(request.user, key)
    return paginate(selectors.change_list(project, status=status), limit, offset)


@router.post("/projects/{key}/change-requests", response={201: ChangeOut, **WRITE_ERRORS})
def change_create(request: HttpRequest, key: str, payload: ChangeIn) -> tuple[int, ChangeRequest]:
    """Propose a change; its impact is computed on a copy of the plan (nothing changes yet)."""
    project = get_visible_project(request.user, key)
    data = payload.model_dump()
    board = users_by_username(data.pop("board"), field="board")
    change = changes.change_request_create(actor=request_user(request), project=project,
                                           board=board, **data)  # fmt: skip
    return 201, change


@router.get("/projects/{key}/change-requests/{cr_id}", response={200: ChangeOut, 404: ErrorOut})
def change_get(request: HttpRequest, key: str, cr_id: int, response: HttpResponse) -> ChangeRequest:
    change = _get(ChangeRequest, get_visible_project(request.user, key), cr_id, "change request")
    with_etag(response, change.version)
    return change


@router.patch("/projects/{key}/change-requests/{cr_id}", response={200: ChangeOut, **WRITE_ERRORS})
def change_update(request: HttpRequest, key: str, cr_id: int, payload: ChangePatch,
                  response: HttpResponse) -> ChangeRequest:  # fmt: skip
    """Edit a draft (a submitted request is frozen for the board)."""
    project = get_visible_project(request.user, key)
    change = _get(ChangeRequest, project, cr_id, "change request")
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    board_names = data.pop("board", None)
    board = users_by_username(board_names, field="board") if board_names is not None else None
    for name in list(data):
        if data[name] is None:
            raise Invalid.field(name, "must not be null")
    change = changes.change_request_update(actor=request_user(request), change=change,
                                           version=version, data=data, board=board)  # fmt: skip
    with_etag(response, change.version)
    return change


@router.post(
    "/projects/{key}/change-requests/{cr_id}/submit", response={200: ChangeOut, **WRITE_ERRORS}
)
def change_submit(
    request: HttpRequest, key: str, cr_id: int, payload: ControlVersionIn
) -> ChangeRequest:
    """Send the draft to its change board (the impact is recomputed now)."""
    project = get_visible_project(request.user, key)
    change = _get(ChangeRequest, project, cr_id, "change request")
    return changes.change_request_submit(actor=request_user(request), change=change,
                                         version=payload.version)  # fmt: skip


@router.post(
    "/projects/{key}/change-requests/{cr_id}/approve", response={200: ChangeOut, **WRITE_ERRORS}
)
def change_approve(request: HttpRequest, key: str, cr_id: int, payload: VoteIn) -> ChangeRequest:
    """A board member approves; when every board member has approved, the change is approved."""
    project = get_visible_project(request.user, key)
    change = _get(ChangeRequest, project, cr_id, "change request")
    return changes.change_request_vote(actor=request_user(request), change=change,
                                       approve=True, comment=payload.comment)  # fmt: skip


@router.post(
    "/projects/{key}/change-requests/{cr_id}/reject", response={200: ChangeOut, **WRITE_ERRORS}
)
def change_reject(request: HttpRequest, key: str, cr_id: int, payload: VoteIn) -> ChangeRequest:
    """A board member rejects (with a reason); one rejection rejects the change. It is kept."""
    project = get_visible_project(request.user, key)
    change = _get(ChangeRequest, project, cr_id, "change request")
    return changes.change_request_vote(actor=request_user(request), change=change,
                                       approve=False, comment=payload.comment)  # fmt: skip


@router.post(
    "/projects/{key}/change-requests/{cr_id}/apply", response={200: ChangeOut, **WRITE_ERRORS}
)
def change_apply(
    request: HttpRequest, key: str, cr_id: int, payload: ControlVersionIn
) -> ChangeRequest:
    """Apply an approved change to the plan in one transaction; a second apply is a 409."""
    project = get_visible_project(request.user, key)
    change = _get(ChangeRequest, project, cr_id, "change request")
    return changes.change_request_apply(actor=request_user(request), change=change,
                                        version=payload.version)  # fmt: skip


# ---------------------------------------------------------------------------- decisions
class DecisionOut(Schema):
    id: int
    version: int
    date: dt.date
    decision: str
    made_by: str
    rationale: str
    links: list[str]


class DecisionLogIn(StrictSchema):
    date: dt.date = Field(examples=["2027-03-02"])
    decision: str = Field(min_length=1, max_length=10_000, examples=["Go with vendor B"])
    made_by: str = Field(min_length=1, max_length=200, examples=["Steering committee"])
    rationale: str = Field("", max_length=50_000)
    links: list[str] = Field([], examples=[["CR-2", "https://wiki.example.com/minutes/12"]])


class DecisionPatch(StrictSchema):
    version: int | None = None
    date: dt.date | None = None
    decision: str | None = Field(None, min_length=1, max_length=10_000)
    made_by: str | None = Field(None, min_length=1, max_length=200)
    rationale: str | None = Field(None, max_length=50_000)
    links: list[str] | None = None


@router.get("/projects/{key}/decisions", response={200: Page[DecisionOut], 404: ErrorOut})
def decision_list(
    request: HttpRequest, key: str, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    return paginate(selectors.decision_list(get_visible_project(request.user, key)), limit, offset)


@router.post("/projects/{key}/decisions", response={201: DecisionOut, **WRITE_ERRORS})
def decision_create(request: HttpRequest, key: str, payload: DecisionLogIn) -> tuple[int, Decision]:
    project = get_visible_project(request.user, key)
    return 201, services.decision_create(actor=request_user(request), project=project,
                                         **payload.model_dump())  # fmt: skip


@router.patch(
    "/projects/{key}/decisions/{decision_id}", response={200: DecisionOut, **WRITE_ERRORS}
)
def decision_update(
    request: HttpRequest, key: str, decision_id: int, payload: DecisionPatch
) -> Decision:
    project = get_visible_project(request.user, key)
    decision = _get(Decision, project, decision_id, "decision")
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    for name in list(data):
        if data[name] is None:
            raise Invalid.field(name, "must not be null")
    return services.decision_update(actor=request_user(request), decision=decision,
                                    version=version, data=data)  # fmt: skip


# ---------------------------------------------------------------------------- deliverables
class CheckOut(Schema):
    id: int
    kind: str
    reviewer: str | None = Field(None, validation_alias="reviewer.username")
    checked_on: dt.date
    result: str
    notes: str
    evidence_url: str


class DeliverableOut(Schema):
    id: int
    version: int
    name: str
    description: str
    acceptance_criteria: list[str]
    owner: str | None = Field(None, validation_alias="owner.username")
    task: int | None = Field(None, validation_alias="task_id")
    due_date: dt.date | None
    status: str
    accepted_by: str | None = Field(None, validation_alias="accepted_by.username")
    accepted_at: dt.datetime | None
    acceptance_comment: str
    checks: list[CheckOut]

    @staticmethod
    def resolve_checks(deliverable: Deliverable) -> list[Any]:
        return list(deliverable.checks.all())


class DeliverableIn(StrictSchema):
    name: str = Field(min_length=1, max_length=200, examples=["Rack A3 installed and cabled"])
    description: str = Field("", max_length=50_000)
    acceptance_criteria: list[str] = Field([], examples=[["Burn-in 48 h without errors"]])
    owner: str | None = None
    task: int | None = None
    due_date: dt.date | None = None


class DeliverablePatch(StrictSchema):
    version: int | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=50_000)
    acceptance_criteria: list[str] | None = None
    owner: str | None = None
    task: int | None = None
    due_date: dt.date | None = None
    status: Literal["planned", "in_review"] | None = None


class CheckIn(StrictSchema):
    kind: str = Field("Review", min_length=1, max_length=80, examples=["Factory acceptance test"])
    result: Literal["passed", "remarks", "failed"] = Field(examples=["passed"])
    checked_on: dt.date = Field(examples=["2027-03-10"])
    reviewer: str | None = Field(None, description="username; default: you")
    notes: str = Field("", max_length=50_000)
    evidence_url: str = Field("", max_length=500, examples=["https://wiki.example.com/fat-a3"])


class DeliverableAcceptIn(StrictSchema):
    version: int | None = None
    accept: bool = Field(examples=[True])
    comment: str = Field("", max_length=10_000)


class DefectIn(StrictSchema):
    title: str = Field(min_length=1, max_length=200, examples=["Label missing on port 12"])
    as_task: bool = Field(False, description="true: a task of the plan; false: an issue")
    severity: IssueSeverity = IssueSeverity.MEDIUM
    hours: int = Field(8, ge=0, le=100_000)


@router.get("/projects/{key}/deliverables", response={200: Page[DeliverableOut], 404: ErrorOut})
def deliverable_list(
    request: HttpRequest, key: str, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    return paginate(
        selectors.deliverable_list(get_visible_project(request.user, key)), limit, offset
    )


@router.post("/projects/{key}/deliverables", response={201: DeliverableOut, **WRITE_ERRORS})
def deliverable_create(
    request: HttpRequest, key: str, payload: DeliverableIn
) -> tuple[int, Deliverable]:
    project = get_visible_project(request.user, key)
    data = payload.model_dump()
    data["owner"] = _user(data["owner"], "owner")
    data["task"] = _get(Task, project, data["task"], "task") if data["task"] else None
    return 201, services.deliverable_create(actor=request_user(request), project=project, **data)


@router.get(
    "/projects/{key}/deliverables/{deliverable_id}", response={200: DeliverableOut, 404: ErrorOut}
)
def deliverable_get(request: HttpRequest, key: str, deliverable_id: int,
                    response: HttpResponse) -> Deliverable:  # fmt: skip
    row = _get(Deliverable, get_visible_project(request.user, key), deliverable_id, "deliverable")
    with_etag(response, row.version)
    return row


@router.patch(
    "/projects/{key}/deliverables/{deliverable_id}", response={200: DeliverableOut, **WRITE_ERRORS}
)
def deliverable_update(request: HttpRequest, key: str, deliverable_id: int,
                       payload: DeliverablePatch) -> Deliverable:  # fmt: skip
    project = get_visible_project(request.user, key)
    row = _get(Deliverable, project, deliverable_id, "deliverable")
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    if "owner" in data:
        data["owner"] = _user(data["owner"], "owner")
    if "task" in data:
        data["task"] = _get(Task, project, data["task"], "task") if data["task"] else None
    for name in ("name", "acceptance_criteria", "status"):
        if name in data and data[name] is None:
            raise Invalid.field(name, "must not be null")
    if "description" in data and data["description"] is None:
        data["description"] = ""
    return services.deliverable_update(actor=request_user(request), deliverable=row,
                                       version=version, data=data)  # fmt: skip


@router.post(
    "/projects/{key}/deliverables/{deliverable_id}/checks", response={201: CheckOut, **WRITE_ERRORS}
)
def deliverable_check(request: HttpRequest, key: str, deliverable_id: int,
                      payload: CheckIn) -> tuple[int, Any]:  # fmt: skip
    """Record a quality check or review: who, when, the result and the evidence link."""
    project = get_visible_project(request.user, key)
    row = _get(Deliverable, project, deliverable_id, "deliverable")
    data = payload.model_dump()
    data["reviewer"] = _user(data["reviewer"], "reviewer")
    return 201, services.quality_check_record(actor=request_user(request), deliverable=row, **data)


@router.post(
    "/projects/{key}/deliverables/{deliverable_id}/accept",
    response={200: DeliverableOut, **WRITE_ERRORS},
)
def deliverable_accept(request: HttpRequest, key: str, deliverable_id: int,
                       payload: DeliverableAcceptIn) -> Deliverable:  # fmt: skip
    """Sign the deliverable off (accept=true) or reject it with a comment."""
    project = get_visible_project(request.user, key)
    row = _get(Deliverable, project, deliverable_id, "deliverable")
    return services.deliverable_decide(actor=request_user(request), deliverable=row,
                                       version=payload.version, accept=payload.accept,
                                       comment=payload.comment)  # fmt: skip


@router.post(
    "/projects/{key}/deliverables/{deliverable_id}/defects",
    response={201: dict[str, Any], **WRITE_ERRORS},
)
def deliverable_defect(request: HttpRequest, key: str, deliverable_id: int,
                       payload: DefectIn) -> tuple[int, dict[str, Any]]:  # fmt: skip
    """A defect found in review becomes an issue (default) or a task of the plan."""
    project = get_visible_project(request.user, key)
    row = _get(Deliverable, project, deliverable_id, "deliverable")
    made = services.defect_raise(actor=request_user(request), deliverable=row, title=payload.title,
                                 as_task=payload.as_task, severity=str(payload.severity.value),
                                 hours=payload.hours)  # fmt: skip
    if isinstance(made, Issue):
        return 201, {"issue": made.pk, "code": made.code}
    return 201, {"task": made.pk, "wbs_code": made.wbs_code}
