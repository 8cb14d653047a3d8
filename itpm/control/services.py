"""Use cases of the control app: one complete change per function, in one transaction.

Permission (``require_role``), validation (``Invalid`` naming the field), the write with a
version bump, and the audit event, as everywhere in itpm.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone

from itpm.accounts.models import ROLE_RANK, Role, User
from itpm.accounts.permissions import project_role, require_role
from itpm.control import forecasting
from itpm.control.models import (
    OPPORTUNITY_STRATEGIES,
    THREAT_STRATEGIES,
    AcceptanceStatus,
    CheckResult,
    Decision,
    Deliverable,
    ForecastRun,
    ForecastStatus,
    Issue,
    IssueSeverity,
    IssueStatus,
    Proximity,
    QualityCheck,
    Risk,
    RiskCategory,
    RiskKind,
    RiskStatus,
    TaskEstimate,
)
from itpm.core.errors import Conflict, FieldError, Invalid, NotFound
from itpm.core.services import apply_changes, audit, check_version, json_value, save_versioned
from itpm.planning.models import Task
from itpm.planning.services import task_create
from itpm.portfolio import closing
from itpm.portfolio.models import Project

#: Plans up to this many task-iterations run in the request; larger ones in the background.
INLINE_FORECAST_WORK = 2_000_000
MAX_ITERATIONS = 100_000


def _errors(errors: list[FieldError]) -> None:
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def _next_number(model: type[Model], project: Project) -> int:
    # The project row lock serializes numbering within the project.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    top = model._default_manager.filter(project=project).aggregate(n=Max("number"))["n"]
    return int(top or 0) + 1


def _member(project: Project, user: User | None, field: str) -> None:
    if user is None:
        return
    if not project.memberships.filter(user=user).exists():
        raise Invalid.field(field, f"{user.username} is not a member of {project.key}")


def _project_tasks(project: Project, tasks: list[Task] | None, field: str) -> list[Task]:
    for task in tasks or []:
        if task.project_id != project.pk:
            raise Invalid.field(field, f"task {task.pk} is not a task of {project.key}")
    return list(tasks or [])


def _m2m(obj: Any, name: str, values: list[Any] | None, changes: dict[str, Any]) -> None:
    if values is None:
        return
    manager = getattr(obj, name)
    before = sorted(manager.values_list("pk", flat=True))
    after = sorted(v.pk for v in values)
    if before != after:
        manager.set(values)
        changes[name] = [before, after]


# ---------------------------------------------------------------------------- risks
RISK_FIELDS = (
    "title", "kind", "cause", "event", "effect", "category", "probability", "impact",
    "proximity", "owner", "response_strategy", "response", "trigger", "status",
    "residual_probability", "residual_impact", "review_date", "chance", "delay_hours", "cost",
)  # fmt: skip


def _validate_risk(data: dict[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    if "title" in data:
        data["title"] = str(data["title"] or "").strip()
        if not data["title"] or len(data["title"]) > 200:
            errors.append(FieldError("title", "must be 1 to 200 characters"))
    choices = {"kind": RiskKind, "category": RiskCategory, "proximity": Proximity,
               "status": RiskStatus}  # fmt: skip
    for name, enum in choices.items():
        if name in data and data[name] not in enum.values:
            errors.append(FieldError(name, f"must be one of {', '.join(enum.values)}"))
    errors.extend(
        FieldError(name, "must be a whole number from 1 to 5")
        for name in ("probability", "impact")
        if name in data and not (isinstance(data[name], int) and 1 <= data[name] <= 5)
    )
    for name in ("residual_probability", "residual_impact"):
        value = data.get(name)
        if value is not None and not (isinstance(value, int) and 1 <= value <= 5):
            errors.append(FieldError(name, "must be a whole number from 1 to 5, or empty"))
    kind = data.get("kind", RiskKind.THREAT)
    strategy = data.get("response_strategy")
    if strategy is not None:
        allowed = OPPORTUNITY_STRATEGIES if kind == RiskKind.OPPORTUNITY else THREAT_STRATEGIES
        if strategy not in allowed:
            errors.append(FieldError(
                "response_strategy", f"for a{'n opportunity' if kind == 'opportunity' else ' threat'}"
                f" one of {', '.join(sorted(allowed))}"))  # fmt: skip
    if data.get("chance") is not None:
        try:
            chance = Decimal(str(data["chance"]))
        except InvalidOperation:
            chance = Decimal(-1)
        if not Decimal(0) <= chance <= Decimal(1):
            errors.append(FieldError("chance", "must be a probability from 0 to 1"))
        else:
            data["chance"] = chance.quantize(Decimal("0.001"))
    if "delay_hours" in data and not (
        isinstance(data["delay_hours"], int) and 0 <= data["delay_hours"] <= 100_000
    ):
        errors.append(FieldError("delay_hours", "must be a whole number from 0 to 100000"))
    if "cost" in data:
        try:
            data["cost"] = Decimal(str(data["cost"] if data["cost"] is not None else "0")).quantize(
                Decimal("0.01")
            )
            if abs(data["cost"]) >= Decimal("1e12"):
                raise InvalidOperation
        except InvalidOperation:
            errors.append(FieldError("cost", "must be an amount of money"))
    errors.extend(
        FieldError(name, "at most 10,000 characters")
        for name in ("cause", "event", "effect", "response", "trigger")
        if len(data.get(name) or "") > 10_000
    )
    _errors(errors)
    return data


def risk_create(
    *,
    actor: User,
    project: Project,
    title: str,
    category: str,
    delay_tasks: list[Task] | None = None,
    response_tasks: list[Task] | None = None,
    **fields: Any,
) -> Risk:
    require_role(actor, project, Role.MEMBER)
    unknown = set(fields) - set(RISK_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "is not a risk field")
    data = _validate_risk({"title": title, "category": category, **fields})
    if "response_strategy" not in data and data.get("kind") == RiskKind.OPPORTUNITY:
        data["response_strategy"] = "exploit"
    _member(project, data.get("owner"), "owner")
    named = _project_tasks(project, delay_tasks, "delay_tasks")
    responses = _project_tasks(project, response_tasks, "response_tasks")
    with transaction.atomic():
        risk = Risk(project=project, number=_next_number(Risk, project), **data)
        risk.save()
        if named:
            risk.delay_tasks.set(named)
        if responses:
            risk.response_tasks.set(responses)
            data["response_tasks"] = [t.pk for t in responses]
        audit(actor=actor, action="risk.create", obj=risk, project=project,
              changes={k: [None, json_value(v)] for k, v in data.items() if v not in ("", None)})  # fmt: skip
    return risk


def risk_update(
    *,
    actor: User,
    risk: Risk,
    version: int | None,
    data: dict[str, Any],
    delay_tasks: list[Task] | None = None,
    response_tasks: list[Task] | None = None,
) -> Risk:
    """Change a risk's fields; ``delay_tasks`` and ``response_tasks`` (existing tasks of the
    plan that carry out the response), when given, replace the linked tasks."""
    unknown = set(data) - set(RISK_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    project = risk.project
    require_role(actor, project, Role.MEMBER)
    merged = {"kind": risk.kind, "response_strategy": risk.response_strategy, **data}
    if "kind" in data and "response_strategy" not in data:
        allowed = OPPORTUNITY_STRATEGIES if data["kind"] == "opportunity" else THREAT_STRATEGIES
        if risk.response_strategy not in allowed:
            merged["response_strategy"] = "exploit" if data["kind"] == "opportunity" else "mitigate"
            data["response_strategy"] = merged["response_strategy"]
    _validate_risk(merged)
    data.update({k: merged[k] for k in data if k in merged})
    _member(project, data.get("owner"), "owner")
    named = _project_tasks(project, delay_tasks, "delay_tasks") if delay_tasks is not None else None
    responses = (
        _project_tasks(project, response_tasks, "response_tasks")
        if response_tasks is not None
        else None
    )
    with transaction.atomic():
        risk = Risk.objects.select_for_update().get(pk=risk.pk)
        check_version(risk, version)
        changes = apply_changes(risk, data)
        _m2m(risk, "delay_tasks", named, changes)
        _m2m(risk, "response_tasks", responses, changes)
        if changes:
            save_versioned(risk, [n for n in changes if n not in ("delay_tasks", "response_tasks")])
            audit(actor=actor, action="risk.update", obj=risk, project=project, changes=changes)
    return risk


def risk_escalate(*, actor: User, risk: Risk, version: int | None, escalated: bool = True) -> Risk:
    """Raise a risk to the portfolio (shown on the portfolio view), or take it back."""
    project = risk.project
    require_role(actor, project, Role.MANAGER)
    with transaction.atomic():
        risk = Risk.objects.select_for_update().get(pk=risk.pk)
        check_version(risk, version)
        changes = apply_changes(risk, {"escalated": escalated})
        if changes:
            save_versioned(risk, ["escalated"])
            audit(actor=actor, action="risk.escalate" if escalated else "risk.deescalate",
                  obj=risk, project=project, changes=changes)  # fmt: skip
    return risk


def risk_delete(*, actor: User, risk: Risk) -> None:
    project = risk.project
    require_role(actor, project, Role.MANAGER)
    with transaction.atomic():
        audit(actor=actor, action="risk.delete", obj=risk, project=project,
              changes={"title": [risk.title, None]})  # fmt: skip
        risk.delete()


def risk_add_response_task(
    *, actor: User, risk: Risk, name: str, duration_hours: int = 8, parent: Task | None = None
) -> Task:
    """Create a response action as a task of the plan and link it to the risk."""
    project = risk.project
    require_role(actor, project, Role.MEMBER)
    with transaction.atomic():
        task = task_create(actor=actor, project=project, name=name,
                           duration_hours=duration_hours, parent=parent,
                           description=f"Response to {risk.code} {risk.title}")  # fmt: skip
        risk.response_tasks.add(task)
        audit(actor=actor, action="risk.add_response_task", obj=risk, project=project,
              changes={"response_tasks": [None, task.pk]})  # fmt: skip
    return task


def risk_to_issue(*, actor: User, risk: Risk, version: int | None) -> Issue:
    """The risk happened: mark it occurred and open an issue linked to it."""
    project = risk.project
    require_role(actor, project, Role.MEMBER)
    with transaction.atomic():
        risk = Risk.objects.select_for_update().get(pk=risk.pk)
        check_version(risk, version)
        if risk.status == RiskStatus.OCCURRED and risk.issues.exists():
            raise Conflict(f"{risk.code} has occurred already and has an issue")
        changes = apply_changes(risk, {"status": RiskStatus.OCCURRED})
        if changes:
            save_versioned(risk, ["status"])
            audit(actor=actor, action="risk.occurred", obj=risk, project=project, changes=changes)
        severity = "critical" if risk.impact >= 5 else "high" if risk.impact >= 4 else (
            "medium" if risk.impact >= 3 else "low")  # fmt: skip
        issue = issue_create(
            actor=actor, project=project, title=risk.title, severity=severity,
            description=f"Risk {risk.code} occurred.\n\nEvent: {risk.event}\n\nEffect: {risk.effect}",
            owner=risk.owner, risks=[risk], tasks=list(risk.delay_tasks.all()),
        )  # fmt: skip
    return issue


# ---------------------------------------------------------------------------- estimates
def task_estimate_set(
    *, actor: User, task: Task, optimistic: int, most_likely: int, pessimistic: int
) -> TaskEstimate:
    project = task.project
    require_role(actor, project, Role.MEMBER)
    values = {"optimistic_hours": optimistic, "most_likely_hours": most_likely,
              "pessimistic_hours": pessimistic}  # fmt: skip
    for name, value in values.items():
        if not isinstance(value, int) or not 0 <= value <= 100_000:
            raise Invalid.field(name, "must be a whole number of hours from 0 to 100000")
    if not optimistic <= most_likely <= pessimistic:
        raise Invalid.field("most_likely_hours", "needs optimistic ≤ most likely ≤ pessimistic")
    if task.milestone:
        raise Invalid.field("task", "a milestone has no duration to estimate")
    if task.children.exists():
        raise Invalid.field("task", "a summary task takes its duration from its subtasks")
    with transaction.atomic():
        estimate = TaskEstimate.objects.select_for_update().filter(task=task).first()
        if estimate is None:
            estimate = TaskEstimate.objects.create(task=task, **values)
            audit(actor=actor, action="estimate.create", obj=estimate, project=project,
                  changes={k: [None, v] for k, v in values.items()})  # fmt: skip
            return estimate
        changes = apply_changes(estimate, values)
        if changes:
            save_versioned(estimate, list(changes))
            audit(actor=actor, action="estimate.update", obj=estimate, project=project,
                  changes=changes)  # fmt: skip
    return estimate


def task_estimate_delete(*, actor: User, task: Task) -> None:
    require_role(actor, task.project, Role.MEMBER)
    with transaction.atomic():
        estimate = TaskEstimate.objects.filter(task=task).first()
        if estimate is None:
            raise NotFound("this task has no three-point estimate")
        audit(actor=actor, action="estimate.delete", obj=estimate, project=task.project,
              changes={"estimate": [str(estimate), None]})  # fmt: skip
        estimate.delete()


# ---------------------------------------------------------------------------- forecast
def forecast_run_request(
    *,
    actor: User,
    project: Project,
    iterations: int = 5000,
    seed: int | None = None,
    distribution: str = "triangular",
    background: bool | None = None,
) -> ForecastRun:
    """Freeze the inputs and run the forecast: in the request when small, else as a job."""
    require_role(actor, project, Role.MEMBER)
    if not isinstance(iterations, int) or not 100 <= iterations <= MAX_ITERATIONS:
        raise Invalid.field("iterations", f"must be a whole number from 100 to {MAX_ITERATIONS}")
    if distribution not in ("triangular", "pert"):
        raise Invalid.field("distribution", "must be triangular or pert")
    if seed is not None and not (isinstance(seed, int) and 0 <= seed < 2**63):
        raise Invalid.field("seed", "must be a whole number from 0 to 2^63-1")
    inputs = forecasting.forecast_inputs(project)
    if not inputs["tasks"]:
        raise Invalid.field("tasks", f"{project.key} has no tasks to forecast")
    seed = secrets.randbelow(2**31) if seed is None else seed
    inline = (background is False) or (
        background is None and len(inputs["tasks"]) * iterations <= INLINE_FORECAST_WORK
    )
    with transaction.atomic():
        run = ForecastRun.objects.create(
            project=project, requested_by=actor, iterations=iterations, seed=seed,
            distribution=distribution, inputs=inputs,
        )  # fmt: skip
        audit(actor=actor, action="forecast.request", obj=run, project=project,
              changes={"iterations": [None, iterations], "seed": [None, seed],
                       "distribution": [None, distribution]})  # fmt: skip
        if not inline:
            from itpm.control.tasks import forecast_job

            run_id = run.pk
            transaction.on_commit(lambda: forecast_job.enqueue(run_id))
    if inline:
        forecast_run_execute(run=run)
        run.refresh_from_db()
    return run


def forecast_run_execute(*, run: ForecastRun) -> None:
    """Compute a run from its stored inputs and seed (the job, or inline for small plans)."""
    ForecastRun.objects.filter(pk=run.pk).update(status=ForecastStatus.RUNNING, progress=1)

    def progress(percent: int) -> None:
        ForecastRun.objects.filter(pk=run.pk).update(progress=max(1, min(99, percent)))

    try:
        results = forecasting.forecast_compute(
            run.project, run.inputs, iterations=run.iterations, seed=run.seed,
            distribution=run.distribution, progress=progress,
        )  # fmt: skip
    except (ValueError, Invalid) as exc:
        ForecastRun.objects.filter(pk=run.pk).update(
            status=ForecastStatus.FAILED, error=str(exc), finished_at=timezone.now()
        )
        return
    ForecastRun.objects.filter(pk=run.pk).update(
        status=ForecastStatus.DONE, progress=100, results=results, finished_at=timezone.now()
    )


# ---------------------------------------------------------------------------- issues
ISSUE_FIELDS = ("title", "description", "severity", "status", "owner", "due_date", "resolution")


def _validate_issue(data: dict[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    if "title" in data:
        data["title"] = str(data["title"] or "").strip()
        if not data["title"] or len(data["title"]) > 200:
            errors.append(FieldError("title", "must be 1 to 200 characters"))
    if "severity" in data and data["severity"] not in IssueSeverity.values:
        errors.append(FieldError("severity", f"must be one of {', '.join(IssueSeverity.values)}"))
    if "status" in data and data["status"] not in IssueStatus.values:
        errors.append(FieldError("status", f"must be one of {', '.join(IssueStatus.values)}"))
    _errors(errors)
    return data


def issue_create(
    *,
    actor: User,
    project: Project,
    title: str,
    severity: str = IssueSeverity.MEDIUM,
    description: str = "",
    owner: User | None = None,
    due_date: dt.date | None = None,
    tasks: list[Task] | None = None,
    risks: list[Risk] | None = None,
    deliverable: Deliverable | None = None,
) -> Issue:
    require_role(actor, project, Role.MEMBER)
    data = _validate_issue({"title": title, "severity": severity, "description": description,
                            "owner": owner, "due_date": due_date})  # fmt: skip
    _member(project, owner, "owner")
    linked_tasks = _project_tasks(project, tasks, "tasks")
    for risk in risks or []:
        if risk.project_id != project.pk:
            raise Invalid.field("risks", f"risk {risk.pk} is not a risk of {project.key}")
    with transaction.atomic():
        issue = Issue.objects.create(project=project, number=_next_number(Issue, project),
                                     deliverable=deliverable, **data)  # fmt: skip
        if linked_tasks:
            issue.tasks.set(linked_tasks)
        if risks:
            issue.risks.set(risks)
        audit(actor=actor, action="issue.create", obj=issue, project=project,
              changes={k: [None, json_value(v)] for k, v in data.items() if v not in ("", None)})  # fmt: skip
    return issue


def issue_update(
    *,
    actor: User,
    issue: Issue,
    version: int | None,
    data: dict[str, Any],
    tasks: list[Task] | None = None,
    risks: list[Risk] | None = None,
) -> Issue:
    unknown = set(data) - set(ISSUE_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    project = issue.project
    require_role(actor, project, Role.MEMBER)
    _validate_issue(data)
    _member(project, data.get("owner"), "owner")
    if data.get("status") in (IssueStatus.RESOLVED, IssueStatus.CLOSED) and not (
        data.get("resolution") or issue.resolution
    ):
        raise Invalid.field("resolution", "say how the issue was resolved before resolving it")
    linked = _project_tasks(project, tasks, "tasks") if tasks is not None else None
    for risk in risks or []:
        if risk.project_id != project.pk:
            raise Invalid.field("risks", f"risk {risk.pk} is not a risk of {project.key}")
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue.pk)
        check_version(issue, version)
        changes = apply_changes(issue, data)
        if "status" in changes:
            resolved = issue.status in (IssueStatus.RESOLVED, IssueStatus.CLOSED)
            changes.update(
                apply_changes(issue, {"resolved_at": timezone.now() if resolved else None})
            )
        _m2m(issue, "tasks", linked, changes)
        _m2m(issue, "risks", risks, changes)
        if changes:
            save_versioned(issue, [n for n in changes if n not in ("tasks", "risks")])
            audit(actor=actor, action="issue.update", obj=issue, project=project, changes=changes)
    return issue


# ---------------------------------------------------------------------------- decisions
def _validate_decision(data: dict[str, Any]) -> dict[str, Any]:
    """The rules of a decision's fields, for create and update alike (the page's edit form
    reaches the update, so the column widths are checked here, not only in the API schema)."""
    errors: list[FieldError] = []
    if "date" in data and not isinstance(data["date"], dt.date):
        errors.append(FieldError("date", "a date such as 2027-03-01"))
    if "decision" in data:
        data["decision"] = str(data["decision"] or "").strip()
        if not data["decision"]:
            errors.append(FieldError("decision", "must not be empty"))
        elif len(data["decision"]) > 10_000:
            errors.append(FieldError("decision", "at most 10,000 characters"))
    if "made_by" in data:
        data["made_by"] = str(data["made_by"] or "").strip()
        if not data["made_by"] or len(data["made_by"]) > 200:
            errors.append(FieldError("made_by", "must be 1 to 200 characters"))
    if "links" in data:
        data["links"] = [str(link).strip() for link in data["links"] or [] if str(link).strip()]
        if len(data["links"]) > 50 or any(len(link) > 500 for link in data["links"]):
            errors.append(FieldError("links", "at most 50 links of 500 characters"))
    _errors(errors)
    return data


def decision_create(
    *,
    actor: User,
    project: Project,
    date: dt.date,
    decision: str,
    made_by: str,
    rationale: str = "",
    links: list[str] | None = None,
) -> Decision:
    require_role(actor, project, Role.MEMBER)
    clean = _validate_decision(
        {"date": date, "decision": decision, "made_by": made_by, "links": links or []}
    )
    date, decision, made_by, links = (clean[k] for k in ("date", "decision", "made_by", "links"))
    with transaction.atomic():
        row = Decision.objects.create(project=project, date=date, decision=decision,
                                      made_by=made_by, rationale=rationale, links=links,
                                      recorded_by=actor)  # fmt: skip
        audit(actor=actor, action="decision.create", obj=row, project=project,
              changes={"decision": [None, row.decision], "made_by": [None, row.made_by],
                       "date": [None, date.isoformat()]})  # fmt: skip
    return row


def decision_update(
    *, actor: User, decision: Decision, version: int | None, data: dict[str, Any]
) -> Decision:
    unknown = set(data) - {"date", "decision", "made_by", "rationale", "links"}
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    require_role(actor, decision.project, Role.MEMBER)
    data = _validate_decision(dict(data))
    with transaction.atomic():
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        check_version(decision, version)
        changes = apply_changes(decision, data)
        if changes:
            save_versioned(decision, list(changes))
            audit(actor=actor, action="decision.update", obj=decision, project=decision.project,
                  changes=changes)  # fmt: skip
    return decision


# ---------------------------------------------------------------------------- deliverables
def _criteria(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    items = [str(v).strip() for v in value or [] if str(v).strip()]
    if len(items) > 100 or any(len(i) > 1000 for i in items):
        raise Invalid.field("acceptance_criteria", "at most 100 criteria of 1,000 characters")
    return items


def deliverable_create(
    *,
    actor: User,
    project: Project,
    name: str,
    description: str = "",
    acceptance_criteria: list[str] | str | None = None,
    owner: User | None = None,
    task: Task | None = None,
    due_date: dt.date | None = None,
) -> Deliverable:
    require_role(actor, project, Role.MEMBER)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise Invalid.field("name", "must be 1 to 200 characters")
    _member(project, owner, "owner")
    if task is not None:
        _project_tasks(project, [task], "task")
    criteria = _criteria(acceptance_criteria)
    with transaction.atomic():
        row = Deliverable.objects.create(project=project, name=name, description=description,
                                         acceptance_criteria=criteria, owner=owner, task=task,
                                         due_date=due_date)  # fmt: skip
        audit(actor=actor, action="deliverable.create", obj=row, project=project,
              changes={"name": [None, name], "acceptance_criteria": [None, criteria]})  # fmt: skip
    return row


def deliverable_update(
    *, actor: User, deliverable: Deliverable, version: int | None, data: dict[str, Any]
) -> Deliverable:
    unknown = set(data) - {"name", "description", "acceptance_criteria", "owner", "task",
                           "due_date", "status"}  # fmt: skip
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    project = deliverable.project
    require_role(actor, project, Role.MEMBER)
    if "acceptance_criteria" in data:
        data["acceptance_criteria"] = _criteria(data["acceptance_criteria"])
    if "name" in data:
        data["name"] = str(data["name"] or "").strip()
        if not data["name"] or len(data["name"]) > 200:
            raise Invalid.field("name", "must be 1 to 200 characters")
    if "status" in data and data["status"] not in ("planned", "in_review"):
        raise Invalid.field("status", "planned or in_review here; accept or reject to decide")
    _member(project, data.get("owner"), "owner")
    if data.get("task") is not None:
        _project_tasks(project, [data["task"]], "task")
    with transaction.atomic():
        deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
        check_version(deliverable, version)
        changes = apply_changes(deliverable, data)
        if changes:
            save_versioned(deliverable, list(changes))
            audit(actor=actor, action="deliverable.update", obj=deliverable, project=project,
                  changes=changes)  # fmt: skip
    return deliverable


def deliverable_decide(
    *, actor: User, deliverable: Deliverable, version: int | None, accept: bool, comment: str = ""
) -> Deliverable:
    """Acceptance sign-off by the sponsor, the project's named acceptors (see
    ``closing.closure_acceptors_set``), or its managers and owners. A rejection needs a reason
    and comes back to the team as a rework task carrying it, as a rejected project does;
    the returned deliverable then carries that task as ``rework`` (not stored: the audit
    event names it)."""
    project = deliverable.project
    if project.sponsor_id == actor.pk or closing.may_accept(actor, project):
        require_role(actor, project, Role.VIEWER)
    else:
        require_role(actor, project, Role.MANAGER)
    if project.archived:
        raise Conflict(f"project {project.key} is archived and read-only")
    comment = (comment or "").strip()
    if not accept and not comment:
        raise Invalid.field("comment", "say why the deliverable is rejected")
    with transaction.atomic():
        deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
        check_version(deliverable, version)
        status = AcceptanceStatus.ACCEPTED if accept else AcceptanceStatus.REJECTED
        changes = apply_changes(deliverable, {
            "status": status, "accepted_by": actor if accept else None,
            "accepted_at": timezone.now() if accept else None, "acceptance_comment": comment,
        })  # fmt: skip
        if changes:
            save_versioned(deliverable, list(changes))
        if not accept:
            # The acceptor may be a viewer (a sponsor, a business owner): the rework task is
            # then filed in the manager's name, as for a rejected project.
            role = project_role(actor, project)
            creator = actor if role and ROLE_RANK[role] >= ROLE_RANK[Role.MEMBER] else None
            rework = task_create(
                actor=creator or project.manager or actor, project=project,
                name=f"Rework {deliverable.name}: {comment}"[:300],
                description=f"{actor.display_name} rejected {deliverable.name}: {comment}",
                duration_hours=8,
            )  # fmt: skip
            changes["rework_task"] = [None, rework.pk]
            deliverable.rework = rework  # type: ignore[attr-defined]
        audit(actor=actor, action="deliverable.accept" if accept else "deliverable.reject",
              obj=deliverable, project=project, changes=changes)  # fmt: skip
    return deliverable


def quality_check_record(
    *,
    actor: User,
    deliverable: Deliverable,
    kind: str,
    result: str,
    checked_on: dt.date,
    reviewer: User | None = None,
    notes: str = "",
    evidence_url: str = "",
) -> QualityCheck:
    project = deliverable.project
    require_role(actor, project, Role.MEMBER)
    errors = []
    if result not in CheckResult.values:
        errors.append(FieldError("result", f"must be one of {', '.join(CheckResult.values)}"))
    if not (kind or "").strip() or len(kind) > 80:
        errors.append(FieldError("kind", "must be 1 to 80 characters"))
    evidence_url = (evidence_url or "").strip()
    if evidence_url and (
        not evidence_url.startswith(("https://", "http://")) or len(evidence_url) > 500
    ):
        errors.append(
            FieldError("evidence_url", "must be an http(s) link of at most 500 characters")
        )
    if reviewer is not None and project_role(reviewer, project) is None:
        errors.append(FieldError("reviewer", f"{reviewer.username} cannot see {project.key}"))
    _errors(errors)
    reviewer = reviewer or actor
    with transaction.atomic():
        check = QualityCheck.objects.create(deliverable=deliverable, kind=kind.strip(),
                                            result=result, checked_on=checked_on,
                                            reviewer=reviewer, notes=notes,
                                            evidence_url=evidence_url)  # fmt: skip
        if deliverable.status == AcceptanceStatus.PLANNED:
            Deliverable.objects.filter(pk=deliverable.pk).update(
                status=AcceptanceStatus.IN_REVIEW, version=deliverable.version + 1
            )
        audit(actor=actor, action="quality_check.record", obj=deliverable, project=project,
              changes={"check": [None, f"{kind}: {result}"], "evidence": [None, evidence_url]})  # fmt: skip
    return check


def defect_raise(
    *,
    actor: User,
    deliverable: Deliverable,
    title: str,
    as_task: bool = False,
    severity: str = IssueSeverity.MEDIUM,
    hours: int = 8,
) -> Issue | Task:
    """A defect found in review becomes an issue of the log, or a task of the plan."""
    project = deliverable.project
    require_role(actor, project, Role.MEMBER)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise Invalid.field("title", "must be 1 to 200 characters")
    if not isinstance(hours, int) or not 0 <= hours <= 100_000:
        raise Invalid.field("hours", "must be a whole number of hours from 0 to 100000")
    if as_task:
        with transaction.atomic():
            task = task_create(actor=actor, project=project, name=f"Fix: {title}",
                               duration_hours=hours, parent=None,
                               description=f"Defect found in review of {deliverable.name}")  # fmt: skip
            audit(actor=actor, action="deliverable.defect_task", obj=deliverable, project=project,
                  changes={"task": [None, task.pk]})  # fmt: skip
        return task
    return issue_create(actor=actor, project=project, title=title, severity=severity,
                        description=f"Defect found in review of {deliverable.name}",
                        deliverable=deliverable,
                        tasks=[deliverable.task] if deliverable.task else None)  # fmt: skip
