"""Pages: Risks & changes (risks + heat map, issues, change requests, decisions), Forecast,
Quality. Thin: parse, call one service or selector, redirect or render.

A refused change (validation, role, state) redirects back with the message shown on the
page; what the user may not see is 404.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import request_user
from itpm.control import changes, charts, selectors, services
from itpm.control.models import (
    IMPACT_SCALE,
    PROBABILITY_SCALE,
    AcceptanceStatus,
    ChangeRequest,
    ChangeStatus,
    CheckResult,
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
from itpm.core.errors import Invalid, ServiceError
from itpm.planning.models import Task
from itpm.portfolio.models import Project
from itpm.web.guards import deny_if_forbidden, require_page_role
from itpm.web.views import _context, _project


def _get(model: Any, project: Project, ident: int) -> Any:
    if not 0 < ident < 2**63:  # a bigger number names no row (and overflows the database)
        raise Http404("not found")
    found = model._default_manager.filter(project=project, pk=ident).first()
    if found is None:
        raise Http404("not found")
    return found


def _attempt(request: HttpRequest, call: Callable[[], Any], done: str = "") -> Any:
    try:
        result = call()
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
        return None
    if done:
        messages.success(request, done)
    return result if result is not None else True


def _int(value: str | None) -> int | None:
    """A whole number from a form field; None when blank, malformed or beyond 64 bits."""
    try:
        number = int(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is None or abs(number) < 2**63 else None


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _members(project: Project) -> list[User]:
    return [m.user for m in project.memberships.select_related("user").order_by("user__username")]


def _member(project: Project, username: str | None) -> User | None:
    if not username:
        return None
    return next((u for u in _members(project) if u.username == username), None)


def _tasks(project: Project, ids: list[str]) -> list[Task]:
    wanted = [i for i in (_int(x) for x in ids) if i is not None]
    return list(Task.objects.filter(project=project, pk__in=wanted))


def _leaf_tasks(project: Project) -> list[Task]:
    return list(
        Task.objects.filter(project=project, children__isnull=True).order_by("wbs_sort").distinct()
    )


# ---------------------------------------------------------------------------- risks
def _link_choices(project: Project, risk: Risk) -> list[Task]:
    """The tasks a response may link: the plan's leaf tasks and whatever is linked already
    (a linked task that has since become a summary stays listed, so saving keeps it)."""
    leaves = _leaf_tasks(project)
    have = {t.pk for t in leaves}
    return leaves + [t for t in risk.response_tasks.all() if t.pk not in have]


def _risk_form(request: HttpRequest, project: Project) -> dict[str, Any]:
    post = request.POST
    data: dict[str, Any] = {
        "title": post.get("title", ""), "kind": post.get("kind") or "threat",
        "cause": post.get("cause", ""), "event": post.get("event", ""),
        "effect": post.get("effect", ""), "category": post.get("category", ""),
        "probability": _int(post.get("probability")), "impact": _int(post.get("impact")),
        "proximity": post.get("proximity") or "project",
        "owner": _member(project, post.get("owner")),
        "response": post.get("response", ""), "trigger": post.get("trigger", ""),
        "residual_probability": _int(post.get("residual_probability")),
        "residual_impact": _int(post.get("residual_impact")),
        "review_date": _date(post.get("review_date")),
        "chance": post.get("chance") or None, "delay_hours": _int(post.get("delay_hours")) or 0,
        "cost": post.get("cost") or "0",
    }  # fmt: skip
    if post.get("response_strategy"):
        data["response_strategy"] = post["response_strategy"]
    if post.get("status"):
        data["status"] = post["status"]
    return data


@login_required
@require_http_methods(["GET", "POST"])
def risks(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    here = reverse("control:risks", args=[project.key])
    if request.method == "POST":
        if request.POST.get("template"):
            chosen = next((s for s in suggestions(project.category)
                           if s["title"] == request.POST["template"]), None)  # fmt: skip
            if chosen is None:
                messages.error(request, "template: no such suggestion for this category")
                return redirect(here)
            data = dict(chosen)
            _attempt(request, lambda: services.risk_create(
                actor=request_user(request), project=project, **data), f"Added “{data['title']}”.")  # fmt: skip
            return redirect(here)
        data = _risk_form(request, project)
        _attempt(request, lambda: services.risk_create(
            actor=request_user(request), project=project,
            delay_tasks=_tasks(project, request.POST.getlist("delay_tasks")), **data,
        ), "Risk added.")  # fmt: skip
        return redirect(here)
    view = "after" if request.GET.get("view") == "after" else "before"
    status = request.GET.get("status") or None
    category = request.GET.get("category") or None
    probability = _int(request.GET.get("probability"))
    impact = _int(request.GET.get("impact"))
    today = timezone.localdate()
    review_due = today if request.GET.get("review") == "due" else None
    register = list(selectors.risk_list(project, status=status, category=category,
                                        probability=probability, impact=impact, view=view,
                                        review_due=review_due))  # fmt: skip
    existing = set(Risk.objects.filter(project=project).values_list("title", flat=True))
    return render(request, "control/risks.html", _context(
        request, project, "control", sub="risks", register=register,
        before=selectors.heat_map(project, "before", here),
        after=selectors.heat_map(project, "after", here),
        filters={"view": view, "status": status or "", "category": category or "",
                 "probability": probability, "impact": impact, "review_due": bool(review_due)},
        filtered=bool(status or category or probability or impact or review_due), today=today,
        categories=RiskCategory.choices, statuses=RiskStatus.choices, kinds=RiskKind.choices,
        strategies=ResponseStrategy.choices, proximities=Proximity.choices,
        probability_scale=sorted(PROBABILITY_SCALE.items()), impact_scale=sorted(IMPACT_SCALE.items()),
        members=_members(project), leaf_tasks=_leaf_tasks(project),
        suggestions=[s for s in suggestions(project.category) if s["title"] not in existing],
    ))  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def risk_detail(request: HttpRequest, key: str, risk_id: int) -> HttpResponse:
    project = _project(request, key)
    risk = _get(Risk, project, risk_id)
    if request.method == "POST":
        data = _risk_form(request, project)
        _attempt(request, lambda: services.risk_update(
            actor=request_user(request), risk=risk, version=_int(request.POST.get("version")),
            data=data, delay_tasks=_tasks(project, request.POST.getlist("delay_tasks")),
            response_tasks=_tasks(project, request.POST.getlist("response_tasks"))
            if request.POST.get("response_links") else None,
        ), "Risk saved.")  # fmt: skip
        return redirect("control:risk_detail", project.key, risk.pk)
    return render(request, "control/risk_detail.html", _context(
        request, project, "control", sub="risks", risk=risk,
        categories=RiskCategory.choices, statuses=RiskStatus.choices, kinds=RiskKind.choices,
        strategies=ResponseStrategy.choices, proximities=Proximity.choices,
        probability_scale=sorted(PROBABILITY_SCALE.items()), impact_scale=sorted(IMPACT_SCALE.items()),
        members=_members(project), leaf_tasks=_leaf_tasks(project),
        delay_ids={t.pk for t in risk.delay_tasks.all()},
        response_tasks=list(risk.response_tasks.all()), issues=list(risk.issues.all()),
        link_tasks=_link_choices(project, risk),
    ))  # fmt: skip


@login_required
@require_POST
def risk_action(request: HttpRequest, key: str, risk_id: int) -> HttpResponse:
    project = _project(request, key)
    risk = _get(Risk, project, risk_id)
    actor = request_user(request)
    action = request.POST.get("action")
    version = _int(request.POST.get("version"))
    back = redirect("control:risk_detail", project.key, risk.pk)
    if action in ("escalate", "deescalate"):
        _attempt(request, lambda: services.risk_escalate(actor=actor, risk=risk, version=version,
                 escalated=action == "escalate"), "Escalated to the portfolio." if action == "escalate"
                 else "No longer escalated.")  # fmt: skip
    elif action == "issue":
        issue = _attempt(
            request, lambda: services.risk_to_issue(actor=actor, risk=risk, version=version)
        )
        if isinstance(issue, Issue):
            messages.success(request, f"{risk.code} occurred: {issue.code} opened.")
            return redirect(reverse("control:issues", args=[project.key]) + f"#issue-{issue.pk}")
    elif action == "response_task":
        _attempt(request, lambda: services.risk_add_response_task(
            actor=actor, risk=risk, name=request.POST.get("name", ""),
            duration_hours=_int(request.POST.get("duration_hours")) or 8,
        ), "Response task added to the plan.")  # fmt: skip
    elif action == "delete":
        if _attempt(request, lambda: services.risk_delete(actor=actor, risk=risk), "Risk deleted."):
            return redirect("control:risks", project.key)
    else:
        messages.error(request, "action: unknown")
    return back


# ---------------------------------------------------------------------------- issues
@login_required
@require_http_methods(["GET", "POST"])
def issues(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    if request.method == "POST":
        post = request.POST
        _attempt(request, lambda: services.issue_create(
            actor=request_user(request), project=project, title=post.get("title", ""),
            severity=post.get("severity") or "medium", description=post.get("description", ""),
            owner=_member(project, post.get("owner")), due_date=_date(post.get("due_date")),
            tasks=_tasks(project, post.getlist("tasks")),
            risks=list(Risk.objects.filter(project=project, pk__in=[
                i for i in (_int(x) for x in post.getlist("risks")) if i])),
        ), "Issue logged.")  # fmt: skip
        return redirect("control:issues", project.key)
    status = request.GET.get("status", "open")
    return render(request, "control/issues.html", _context(
        request, project, "control", sub="issues",
        issues=list(selectors.issue_list(project, status=status or None)), status=status,
        severities=IssueSeverity.choices, statuses=IssueStatus.choices, members=_members(project),
        # Every task, summaries too: an issue may concern a whole phase (the API allows it),
        # and an edit form that did not list a linked summary would drop it on save.
        plan_tasks=list(Task.objects.filter(project=project).order_by("wbs_sort")),
        risks=list(Risk.objects.filter(project=project)),
    ))  # fmt: skip


@login_required
@require_POST
def issue_update(request: HttpRequest, key: str, issue_id: int) -> HttpResponse:
    """Save an issue: the row's quick form sends status and resolution; the row's Edit form
    also sends title, description, severity, owner, due date and the linked tasks and risks
    (``links=1`` says the two lists were on the form, so an empty list clears them)."""
    project = _project(request, key)
    issue = _get(Issue, project, issue_id)
    post = request.POST
    back = redirect(reverse("control:issues", args=[project.key]) + f"?status=#issue-{issue.pk}")
    data: dict[str, Any] = {"status": post.get("status") or issue.status,
                            "resolution": post.get("resolution", issue.resolution)}  # fmt: skip
    for name in ("title", "description"):
        if name in post:
            data[name] = post[name]
    if post.get("owner") is not None:
        data["owner"] = _member(project, post.get("owner"))
    if post.get("severity"):
        data["severity"] = post["severity"]
    if "due_date" in post:
        data["due_date"] = _date(post["due_date"])
        if post["due_date"] and data["due_date"] is None:
            messages.error(request, "due_date: a date such as 2027-03-01")
            return back
    tasks = risks = None
    if post.get("links"):
        tasks = _tasks(project, post.getlist("tasks"))
        wanted = [i for i in (_int(x) for x in post.getlist("risks")) if i]
        risks = list(Risk.objects.filter(project=project, pk__in=wanted))
    _attempt(request, lambda: services.issue_update(
        actor=request_user(request), issue=issue, version=_int(post.get("version")), data=data,
        tasks=tasks, risks=risks,
    ), f"{issue.code} saved.")  # fmt: skip
    return back


# ---------------------------------------------------------------------------- changes
def _change_json(request: HttpRequest) -> tuple[Any, Any] | None:
    """The change form's JSON fields (operations, budget changes); None, with the error
    flashed, when they are not valid JSON."""
    try:
        return (
            json.loads(request.POST.get("operations") or "[]"),
            json.loads(request.POST.get("budget_changes") or "[]"),
        )
    except json.JSONDecodeError as exc:
        messages.error(request, f"operations: not valid JSON ({exc.msg} at line {exc.lineno})")
        return None


@login_required
@require_http_methods(["GET", "POST"])
def change_list(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    if request.method == "POST":
        post = request.POST
        parsed = _change_json(request)
        if parsed is None:
            return redirect("control:changes", project.key)
        operations, budget = parsed
        board = [u for u in _members(project) if u.username in post.getlist("board")]
        change = _attempt(request, lambda: changes.change_request_create(
            actor=request_user(request), project=project, title=post.get("title", ""),
            description=post.get("description", ""), reason=post.get("reason", ""),
            operations=operations, budget_changes=budget, board=board,
            scope_impact=post.get("scope_impact", ""), risk_impact=post.get("risk_impact", ""),
            save_baseline=post.get("save_baseline") == "on",
            baseline_name=post.get("baseline_name", ""),
        ), "Change request drafted; its impact is computed below.")  # fmt: skip
        if isinstance(change, ChangeRequest):
            return redirect("control:change_detail", project.key, change.pk)
        return redirect("control:changes", project.key)
    status = request.GET.get("status") or ""
    return render(request, "control/changes.html", _context(
        request, project, "control", sub="changes", status=status,
        statuses=ChangeStatus.choices,
        changes=list(selectors.change_list(project, status=status or None)),
        members=_members(project), leaf_tasks=_leaf_tasks(project),
        example=json.dumps(_example_ops(project), indent=1),
    ))  # fmt: skip


def _example_ops(project: Project) -> list[dict[str, Any]]:
    first = (
        Task.objects.filter(project=project, children__isnull=True, milestone=False)
        .order_by("wbs_sort")
        .first()
    )
    if first is None:
        return [{"op": "add_task", "name": "New work", "hours": 8}]
    return [{"op": "change_duration", "task": first.pk, "hours": first.duration_hours + 8}]


@login_required
def change_detail(request: HttpRequest, key: str, cr_id: int) -> HttpResponse:
    project = _project(request, key)
    change = _get(ChangeRequest, project, cr_id)
    names = dict(Task.objects.filter(project=project).values_list("id", "name"))
    user = request.user
    return render(request, "control/change_detail.html", _context(
        request, project, "control", sub="changes", change=change,
        operations=[_describe(op, names) for op in change.operations],
        board=list(change.board.all()), votes=list(change.votes.select_related("approver")),
        on_board=change.board.filter(pk=getattr(user, "pk", None)).exists(),
        voted=change.votes.filter(approver_id=getattr(user, "pk", None)).exists(),
        members=_board_choices(project, change), leaf_tasks=_leaf_tasks(project),
        operations_json=json.dumps(change.operations, indent=1),
        budget_json=json.dumps(change.budget_changes, indent=1),
    ))  # fmt: skip


def _describe(op: dict[str, Any], names: dict[int, str]) -> str:
    def name(value: Any) -> str:
        return f"“{names.get(value, value)}”" if isinstance(value, int) else f"new task “{value}”"

    kind = op.get("op")
    if kind == "change_duration":
        return f"Change the duration of {name(op['task'])} to {op['hours']} h"
    if kind == "add_task":
        after = ", ".join(name(a) for a in op.get("after", []))
        return f"Add task “{op['name']}” ({op['hours']} h)" + (f" after {after}" if after else "")
    if kind == "remove_task":
        return f"Remove {name(op['task'])}"
    if kind == "add_dependency":
        return f"Link {name(op['predecessor'])} → {name(op['successor'])} ({op.get('type', 'FS')})"
    if kind == "remove_dependency":
        return f"Unlink {name(op['predecessor'])} → {name(op['successor'])}"
    return f"Constrain {name(op.get('task'))}: {op.get('constraint_type')} {op.get('constraint_date') or ''}"


@login_required
@require_POST
def change_action(request: HttpRequest, key: str, cr_id: int) -> HttpResponse:
    project = _project(request, key)
    change = _get(ChangeRequest, project, cr_id)
    actor = request_user(request)
    action = request.POST.get("action")
    version = _int(request.POST.get("version"))
    comment = request.POST.get("comment", "")
    if action == "edit":
        _change_edit(request, project, change, version)
        return redirect("control:change_detail", project.key, change.pk)
    calls: dict[str, tuple[Callable[[], Any], str]] = {
        "submit": (lambda: changes.change_request_submit(actor=actor, change=change, version=version),
                   "Submitted to the change board."),
        "approve": (lambda: changes.change_request_vote(actor=actor, change=change, approve=True,
                                                        comment=comment), "Your approval is recorded."),
        "reject": (lambda: changes.change_request_vote(actor=actor, change=change, approve=False,
                                                       comment=comment), "Your rejection is recorded."),
        "apply": (lambda: changes.change_request_apply(actor=actor, change=change, version=version),
                  "Applied to the plan."),
    }  # fmt: skip
    if action not in calls:
        messages.error(request, "action: unknown")
    else:
        call, done = calls[action]
        _attempt(request, call, done)
    return redirect("control:change_detail", project.key, change.pk)


def _board_choices(project: Project, change: ChangeRequest) -> list[User]:
    """Who may be on the board: the members, and anyone on it already (named through the
    API: a sponsor or an admin), so saving the draft's form keeps them."""
    members = _members(project)
    have = {u.pk for u in members}
    return members + [u for u in change.board.all() if u.pk not in have]


def _change_edit(
    request: HttpRequest, project: Project, change: ChangeRequest, version: int | None
) -> None:
    """Save the draft's form (the same fields as drafting); the impact is recomputed."""
    post = request.POST
    parsed = _change_json(request)
    if parsed is None:
        return
    operations, budget = parsed
    board = [u for u in _board_choices(project, change) if u.username in post.getlist("board")]
    texts = ("title", "description", "reason", "scope_impact", "risk_impact", "baseline_name")
    data: dict[str, Any] = {name: post.get(name, "") for name in texts}
    data.update(operations=operations, budget_changes=budget,
                save_baseline=post.get("save_baseline") == "on")  # fmt: skip
    _attempt(request, lambda: changes.change_request_update(
        actor=request_user(request), change=change, version=version, data=data, board=board,
    ), "Draft saved; its impact is recomputed.")  # fmt: skip


# ---------------------------------------------------------------------------- decisions
@login_required
@require_http_methods(["GET", "POST"])
def decisions(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    if request.method == "POST":
        post = request.POST
        _attempt(request, lambda: services.decision_create(
            actor=request_user(request), project=project,
            date=_date(post.get("date")) or timezone.localdate(), decision=post.get("decision", ""),
            made_by=post.get("made_by", ""), rationale=post.get("rationale", ""),
            links=post.get("links", "").split(),
        ), "Decision recorded.")  # fmt: skip
        return redirect("control:decisions", project.key)
    return render(request, "control/decisions.html", _context(
        request, project, "control", sub="decisions",
        decisions=list(selectors.decision_list(project)), today=timezone.localdate(),
    ))  # fmt: skip


def _htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def _decision_values(decision: Decision) -> dict[str, Any]:
    return {"date": decision.date.isoformat(), "decision": decision.decision,
            "made_by": decision.made_by, "rationale": decision.rationale,
            "links": " ".join(decision.links)}  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def decision_edit(request: HttpRequest, key: str, decision_id: int) -> HttpResponse:
    """GET: the decision as a form (a table row for htmx, or a page). POST: save it; htmx
    gets the refreshed row back, a plain form post goes back to the log."""
    project = _project(request, key)
    decision = _get(Decision, project, decision_id)
    require_page_role(request.user, project, Role.MEMBER)
    values = _decision_values(decision)
    error = ""
    if request.method == "POST":
        post = request.POST
        values = {name: post.get(name, "") for name in values}
        day = _date(values["date"])
        try:
            if day is None:
                raise Invalid.field("date", "a date such as 2027-03-01")
            decision = services.decision_update(
                actor=request_user(request), decision=decision, version=_int(post.get("version")),
                data={"date": day, "decision": values["decision"], "made_by": values["made_by"],
                      "rationale": values["rationale"], "links": values["links"].split()},
            )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            error = exc.detail
        else:
            if _htmx(request):
                return render(request, "control/_decision_row.html",
                              _context(request, project, "control", d=decision, saved=True))  # fmt: skip
            messages.success(request, "Decision saved.")
            return redirect("control:decisions", project.key)
    template = "control/_decision_form.html" if _htmx(request) else "control/decision_edit.html"
    status = 422 if error and not _htmx(request) else 200
    return render(request, template, _context(request, project, "control", sub="decisions",
                  d=decision, values=values, error=error), status=status)  # fmt: skip


# ---------------------------------------------------------------------------- forecast
@login_required
@require_http_methods(["GET", "POST"])
def forecast(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    if request.method == "POST":
        post = request.POST
        run = _attempt(request, lambda: services.forecast_run_request(
            actor=request_user(request), project=project,
            iterations=_int(post.get("iterations")) or 5000, seed=_int(post.get("seed")),
            distribution=post.get("distribution") or "triangular",
        ))  # fmt: skip
        if isinstance(run, ForecastRun):
            return redirect("control:forecast_run", project.key, run.pk)
        return redirect("control:forecast", project.key)
    run = selectors.forecast_runs(project).first()
    return _forecast_page(request, project, run)


@login_required
def forecast_run(request: HttpRequest, key: str, run_id: int) -> HttpResponse:
    project = _project(request, key)
    return _forecast_page(request, project, _get(ForecastRun, project, run_id))


def _forecast_page(request: HttpRequest, project: Project, run: ForecastRun | None) -> HttpResponse:
    results = run.results if run is not None and run.status == "done" else {}
    estimates = {e.task_id: e for e in TaskEstimate.objects.filter(task__project=project)}
    # Finished work keeps its actual duration in the simulation: only open tasks are estimated.
    open_tasks = [t for t in _leaf_tasks(project)
                  if not t.milestone and t.status not in ("done", "cancelled")]  # fmt: skip
    rows = [{"task": t, "estimate": estimates.get(t.pk)} for t in open_tasks]
    if results:
        open_ids = {str(t.pk) for t in Task.objects.filter(project=project).exclude(
            status__in=["done", "cancelled"])}  # fmt: skip
        results = {**results, "criticality": [
            c for c in results.get("criticality", []) if c["task"] in open_ids]}  # fmt: skip
    context = _context(
        request, project, "forecast", run=run, results=results,
        hist=charts.histogram(results) if results else {},
        tornado=charts.tornado(results) if results else {},
        estimate_rows=rows, runs=list(selectors.forecast_runs(project)[:10]),
        quantified=[r for r in Risk.objects.filter(project=project, status="open") if r.quantified],
    )  # fmt: skip
    template = (
        "control/_forecast_status.html"
        if request.headers.get("HX-Request")
        else "control/forecast.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def forecast_estimates(request: HttpRequest, key: str) -> HttpResponse:
    """Save the three-point estimates of the grid (blank rows are left alone)."""
    project = _project(request, key)
    actor = request_user(request)
    saved = 0
    for task in _leaf_tasks(project):
        values = [_int(request.POST.get(f"{p}_{task.pk}")) for p in ("o", "m", "p")]
        if all(v is None for v in values):
            continue
        if any(v is None for v in values):
            messages.error(request, f"{task.wbs_code} {task.name}: give all three estimates")
            continue
        o, m, p = (int(v or 0) for v in values)
        try:
            services.task_estimate_set(actor=actor, task=task, optimistic=o, most_likely=m,
                                       pessimistic=p)  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            messages.error(request, f"{task.wbs_code} {task.name}: {exc.detail}")
            continue
        saved += 1
    if saved:
        messages.success(request, f"{saved} estimates saved.")
    return redirect(reverse("control:forecast", args=[project.key]) + "#estimates")


# ---------------------------------------------------------------------------- quality
@login_required
@require_http_methods(["GET", "POST"])
def quality(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    if request.method == "POST":
        post = request.POST
        task_id = _int(post.get("task"))
        _attempt(request, lambda: services.deliverable_create(
            actor=request_user(request), project=project, name=post.get("name", ""),
            description=post.get("description", ""),
            acceptance_criteria=post.get("acceptance_criteria", ""),
            owner=_member(project, post.get("owner")), due_date=_date(post.get("due_date")),
            task=Task.objects.filter(project=project, pk=task_id).first() if task_id else None,
        ), "Deliverable added.")  # fmt: skip
        return redirect("control:quality", project.key)
    deliverables = list(selectors.deliverable_list(project))
    accepted = sum(1 for d in deliverables if d.status == AcceptanceStatus.ACCEPTED)
    return render(request, "control/quality.html", _context(
        request, project, "quality", deliverables=deliverables, accepted=accepted,
        results=CheckResult.choices, members=_members(project), leaf_tasks=_leaf_tasks(project),
        today=timezone.localdate(), severities=IssueSeverity.choices,
        may_accept=services_may_accept(request.user, project),
    ))  # fmt: skip


def services_may_accept(user: Any, project: Project) -> bool:
    """Who sees the accept/reject buttons: as ``services.deliverable_decide`` decides."""
    from itpm.accounts.models import Role
    from itpm.accounts.permissions import project_role
    from itpm.portfolio.closing import may_accept

    role = project_role(user, project)
    return not project.archived and (
        role in (Role.MANAGER, Role.OWNER)
        or project.sponsor_id == getattr(user, "pk", None)
        or (role is not None and may_accept(user, project))
    )


def _deliverable_values(deliverable: Deliverable) -> dict[str, Any]:
    return {"name": deliverable.name, "description": deliverable.description,
            "acceptance_criteria": "\n".join(deliverable.acceptance_criteria),
            "owner": deliverable.owner.username if deliverable.owner else "",
            "due_date": deliverable.due_date.isoformat() if deliverable.due_date else "",
            "task": str(deliverable.task_id or ""), "status": deliverable.status}  # fmt: skip


def _deliverable_partial(
    request: HttpRequest,
    project: Project,
    deliverable_id: int,
    flash: str = "",
    error: bool = False,
) -> HttpResponse:
    found = selectors.deliverable_list(project).get(pk=deliverable_id)
    return render(request, "control/_deliverable.html", _context(
        request, project, "quality", d=found, results=CheckResult.choices,
        severities=IssueSeverity.choices, today=timezone.localdate(), flash=flash,
        flash_error=error, may_accept=services_may_accept(request.user, project),
    ))  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def deliverable_edit(request: HttpRequest, key: str, deliverable_id: int) -> HttpResponse:
    """GET: the deliverable as a form (in place with htmx, or a page). POST: save it."""
    project = _project(request, key)
    deliverable = _get(Deliverable, project, deliverable_id)
    require_page_role(request.user, project, Role.MEMBER)
    values = _deliverable_values(deliverable)
    error = ""
    if request.method == "POST":
        post = request.POST
        values = {name: post.get(name, "") for name in values}
        data: dict[str, Any] = {
            "name": values["name"], "description": values["description"],
            "acceptance_criteria": values["acceptance_criteria"],
            "owner": _member(project, values["owner"]), "due_date": _date(values["due_date"]),
            "task": Task.objects.filter(project=project, pk=_int(values["task"]) or 0).first(),
        }  # fmt: skip
        if deliverable.status in (AcceptanceStatus.PLANNED, AcceptanceStatus.IN_REVIEW):
            data["status"] = values["status"] or deliverable.status
        try:
            services.deliverable_update(actor=request_user(request), deliverable=deliverable,
                                        version=_int(post.get("version")), data=data)  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            error = exc.detail
        else:
            if _htmx(request):
                return _deliverable_partial(request, project, deliverable.pk, "Saved.")
            messages.success(request, "Deliverable saved.")
            return redirect(
                reverse("control:quality", args=[project.key]) + f"#deliverable-{deliverable.pk}"
            )
    template = (
        "control/_deliverable_form.html" if _htmx(request) else "control/deliverable_edit.html"
    )
    status = 422 if error and not _htmx(request) else 200
    return render(request, template, _context(
        request, project, "quality", d=deliverable, values=values, error=error,
        members=_members(project), leaf_tasks=_leaf_tasks(project),
    ), status=status)  # fmt: skip


@login_required
@require_POST
def deliverable_action(request: HttpRequest, key: str, deliverable_id: int) -> HttpResponse:
    """Record a quality check, raise a defect, or accept/reject. With htmx the deliverable's
    card comes back with the outcome in it; a plain post goes back to the page."""
    project = _project(request, key)
    deliverable = _get(Deliverable, project, deliverable_id)
    actor = request_user(request)
    post = request.POST
    action = post.get("action")
    version = _int(post.get("version"))
    call: Callable[[], Any] | None = None
    done = ""
    if action == "check":
        call, done = lambda: services.quality_check_record(
            actor=actor, deliverable=deliverable, kind=post.get("kind") or "Review",
            result=post.get("result", ""), checked_on=_date(post.get("checked_on")) or timezone.localdate(),
            notes=post.get("notes", ""), evidence_url=post.get("evidence_url", ""),
        ), "Check recorded."  # fmt: skip
    elif action in ("accept", "reject"):
        call, done = lambda: services.deliverable_decide(
            actor=actor, deliverable=deliverable, version=version, accept=action == "accept",
            comment=post.get("comment", ""),
        ), "Accepted." if action == "accept" else "Rejected."  # fmt: skip
    elif action == "defect":
        call, done = lambda: services.defect_raise(
            actor=actor, deliverable=deliverable, title=post.get("title", ""),
            as_task=post.get("as") == "task", severity=post.get("severity") or "medium",
        ), "Defect recorded."  # fmt: skip
    failure = "action: unknown" if call is None else ""
    if call is not None:
        try:
            result = call()
        except ServiceError as exc:
            deny_if_forbidden(exc)
            failure = exc.detail
        else:
            rework = getattr(result, "rework", None)
            if rework is not None:
                done = (
                    f"Rejected. Rework task {rework.wbs_code} “{rework.name}” is on the plan "
                    "for the team."
                )
    if _htmx(request):
        return _deliverable_partial(
            request, project, deliverable.pk, failure or done, bool(failure)
        )
    if failure:
        messages.error(request, failure)
    else:
        messages.success(request, done)
    return redirect(
        reverse("control:quality", args=[project.key]) + f"#deliverable-{deliverable.pk}"
    )
