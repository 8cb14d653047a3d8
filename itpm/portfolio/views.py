"""Lifecycle pages: requests, portfolio pipeline, business case, feasibility, gates, closing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from itpm.accounts.models import Team, TeamKind
from itpm.accounts.permissions import get_visible_project, request_user, visible_projects
from itpm.accounts.selectors import user_by_username
from itpm.core.errors import NotFound, ServiceError
from itpm.portfolio import business_case as cases
from itpm.portfolio import closing, feasibility, gates, intake
from itpm.portfolio.forms import (
    AcceptorsForm,
    AnswerForm,
    CaseForm,
    FeasibilityForm,
    GateDecisionForm,
    HandoffForm,
    LessonForm,
    LineFormSet,
    RequestForm,
    TriageForm,
)
from itpm.portfolio.lifecycle_api import triage
from itpm.portfolio.models import (
    BusinessCase,
    Category,
    Dimension,
    Feasibility,
    GateChecklistItem,
    GateStatus,
    Project,
    RequestStatus,
    Scenario,
    Stage,
)
from itpm.web.guards import deny_if_forbidden
from itpm.web.views import _add_errors, _context


def _project(request: HttpRequest, key: str) -> Project:
    try:
        return get_visible_project(request.user, key)
    except NotFound:
        raise Http404("project not found") from None


def _gate(request: HttpRequest, gate_id: int) -> Any:
    try:
        return gates.gate_get(user=request.user, gate_id=gate_id)
    except NotFound:
        raise Http404("gate review not found") from None


# ---------------------------------------------------------------------------- portfolio
def portfolio_projects(user: Any) -> QuerySet[Project]:
    """Portfolio managers see the whole portfolio here; everyone else their own projects."""
    if intake.is_portfolio_manager(user):
        return Project.objects.all()
    return visible_projects(user)


def _open_risks(project: Project) -> int | None:
    """Open risks from the control app once it exists (issue 7); None until then."""
    if not apps.is_installed("itpm.control"):
        return None
    try:
        risk = apps.get_model("control", "Risk")
    except LookupError:
        return None
    risks = risk._default_manager.filter(project=project)
    if any(f.name == "status" for f in risk._meta.fields):
        risks = risks.exclude(status__in=["closed", "retired"])
    return int(risks.count())


def _ranking(projects: list[Project]) -> list[dict[str, Any]]:
    case_by = {
        c.project_id: c
        for c in BusinessCase.objects.filter(project__in=projects).prefetch_related("lines")
    }
    study_by = {
        f.project_id: f
        for f in Feasibility.objects.filter(project__in=projects).prefetch_related("scores")
    }
    rows = []
    for project in projects:
        case = case_by.get(project.pk)
        metrics = cases.compute(case) if case else None
        study = study_by.get(project.pk)
        rows.append(
            {
                "project": project,
                "npv": metrics.npv if metrics else None,
                "irr": metrics.irr_yearly if metrics else None,
                "roi": metrics.roi if metrics else None,
                "payback": metrics.payback_periods if metrics else None,
                "periodicity": case.get_periodicity_display().lower() if case else "",
                "bcr": metrics.benefit_cost_ratio if metrics else None,
                "score": feasibility.weighted_score(study) if study else None,
                "recommendation": study.get_recommendation_display() if study else "",
                "fit": case.strategic_fit if case else None,
                "risks": _open_risks(project),
                "total_cost": metrics.total_cost if metrics else None,
            }
        )
    return rows


SORTS = {"npv": "npv", "score": "score", "fit": "fit", "risks": "risks"}


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    projects = list(portfolio_projects(request.user).select_related("manager").order_by("key"))
    active = [p for p in projects if not p.archived]
    rows = _ranking(active)
    sort = str(request.GET.get("sort")) if request.GET.get("sort") in SORTS else "npv"
    # Highest first; risk ranks the other way round (fewest open risks first).
    rows.sort(key=lambda r: (r[sort] is None, r[sort] if sort == "risks" else -(r[sort] or 0)))
    pipeline = [
        (value, label, [p for p in active if p.stage == value]) for value, label in Stage.choices
    ]
    return render(
        request,
        "portfolio/portfolio.html",
        {
            "pipeline": pipeline,
            "rows": rows,
            "sort": sort,
            "archived": [p for p in projects if p.archived],
            "waiting": gates.approvals_waiting_for(user=request.user)[:20],
            "risk_app": apps.is_installed("itpm.control"),
            "is_pm": intake.is_portfolio_manager(request.user),
            "member_of": _member_of(request.user),
        },
    )


def _member_of(user: Any) -> set[int]:
    """Projects whose pages the user opens; a portfolio manager's links to the others go to
    the business case, the one page of them portfolio managers read."""
    return set(visible_projects(user).values_list("pk", flat=True))


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    keys = [k.upper() for k in request.GET.getlist("key")][:6]
    projects = list(portfolio_projects(request.user).filter(key__in=keys).order_by("key"))
    return render(
        request,
        "portfolio/compare.html",
        {"rows": _ranking(projects), "member_of": _member_of(request.user)},
    )


# ---------------------------------------------------------------------------- requests
@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    status = status if status in RequestStatus.values else None
    is_pm = intake.is_portfolio_manager(request.user)
    mine = intake.request_list(user=request.user, mine=True)
    everything = intake.request_list(user=request.user, status=status) if is_pm else None
    page = Paginator(everything if everything is not None else mine, 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portfolio/request_list.html",
        {
            "is_pm": is_pm,
            "mine": mine[:20] if is_pm else None,
            "page": page,
            "triage_count": intake.triage_queue(user=request.user).count(),
            "statuses": RequestStatus.choices,
            "status": status,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            req = intake.request_submit(actor=request_user(request), **form.cleaned_data)
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, f"Request {req} submitted; the portfolio managers triage it.")
            return redirect("portfolio:request_detail", request_id=req.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "portfolio/request_form.html", {"form": form}, status=status)


def _request(request: HttpRequest, request_id: int) -> Any:
    try:
        return intake.request_get(user=request.user, request_id=request_id)
    except NotFound:
        raise Http404("request not found") from None


@login_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    req = _request(request, request_id)
    return render(
        request,
        "portfolio/request_detail.html",
        {
            "req": req,
            "comments": req.comments.select_related("author"),
            "is_pm": intake.is_portfolio_manager(request.user),
            "form": TriageForm(initial={"version": req.version}),
            "open": req.status in (RequestStatus.SUBMITTED, RequestStatus.INFO_REQUESTED),
            "answer_form": _answer_form(req) if _may_answer(request, req) else None,
        },
    )


def _may_answer(request: HttpRequest, req: Any) -> bool:
    return bool(req.requester_id == request.user.pk and req.status == RequestStatus.INFO_REQUESTED)


def _answer_form(req: Any, data: Any = None) -> AnswerForm:
    initial = {name: getattr(req, name) for name in intake.REQUEST_FIELDS}
    return AnswerForm(data, initial={**initial, "version": req.version})


@login_required
@require_POST
def request_answer(request: HttpRequest, request_id: int) -> HttpResponse:
    """The requester answers "more information, please" and sends the request back."""
    req = _request(request, request_id)
    form = _answer_form(req, request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        answer, version = data.pop("answer"), data.pop("version")
        try:
            intake.request_answer(actor=request_user(request), request=req, version=version,
                                  answer=answer, data=data)  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, f"Answer sent; {req} is back in triage.")
            return redirect("portfolio:request_detail", request_id=req.pk)
    return render(
        request,
        "portfolio/request_detail.html",
        {"req": req, "comments": req.comments.select_related("author"), "is_pm": False,
         "open": False, "answer_form": form},
        status=422,
    )  # fmt: skip


@login_required
@require_POST
def request_triage(request: HttpRequest, request_id: int) -> HttpResponse:
    req = _request(request, request_id)
    form = TriageForm(request.POST)
    if form.is_valid():
        try:
            req = triage(request_user(request), req, form.cleaned_data)
        except ServiceError as exc:
            deny_if_forbidden(exc)
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"{req}: {req.get_status_display()}.")
    else:
        messages.error(request, "Choose a triage action.")
    return redirect("portfolio:request_detail", request_id=req.pk)


# ---------------------------------------------------------------------------- business case
def _lines_initial(case: BusinessCase | None, scenario: str) -> list[dict[str, Any]]:
    if case is None:
        return []
    return [
        {"kind": x.kind, "category": x.category, "period": x.period, "amount": x.amount,
         "description": x.description}
        for x in case.lines.all() if x.scenario == scenario
    ]  # fmt: skip


def _line_rows(formset: Any) -> list[dict[str, Any]]:
    """The filled rows of a cash-flow formset (empty rows are ignored)."""
    return [
        {**row, "category": row.get("category") or "other"}
        for row in formset.cleaned_data
        if row and row.get("kind") and row.get("amount") is not None
        and row.get("period") is not None
    ]  # fmt: skip


def _case_page(
    request: HttpRequest,
    project: Project,
    *,
    form: CaseForm | None = None,
    lines: Any = None,
    realized_lines: Any = None,
    status: int = 200,
) -> HttpResponse:
    case = BusinessCase.objects.filter(project=project).prefetch_related("lines").first()
    if form is None:
        initial: dict[str, Any] = {"version": case.version if case else None,
                                   "periodicity": "year", "discount_rate": Decimal(8)}  # fmt: skip
        if case:
            initial.update(periodicity=case.periodicity, discount_rate=case.discount_rate,
                           strategic_fit=case.strategic_fit, summary=case.summary)  # fmt: skip
        form = CaseForm(initial=initial)
    if lines is None:
        lines = LineFormSet(initial=_lines_initial(case, Scenario.PLANNED), prefix="line")
    # Portfolio managers record realized benefits and running costs, also after the handoff.
    if realized_lines is None and case is not None and intake.is_portfolio_manager(request.user):
        realized_lines = LineFormSet(
            initial=_lines_initial(case, Scenario.REALIZED), prefix="realized"
        )
    metrics = cases.compute(case) if case else None
    realized = cases.compute(case, Scenario.REALIZED) if case else None
    return render(
        request,
        "portfolio/business_case.html",
        _context(
            request, project, "gates", form=form, lines=lines, case=case, metrics=metrics,
            realized=realized, chart=cases.chart(metrics, realized),
            realized_lines=realized_lines,
            budget_available=cases.budget_cost_lines(project) is not None,
            actual_costs=cases.actual_cost_lines(project, case.periodicity) if case else [],
        ),
        status=status,
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def business_case(request: HttpRequest, key: str) -> HttpResponse:
    if request.method == "GET":
        try:
            return _case_page(request, cases.case_project(user=request.user, key=key))
        except NotFound:
            raise Http404("project not found") from None
    project = _project(request, key)
    form = CaseForm(request.POST)
    lines = LineFormSet(request.POST, prefix="line")
    if form.is_valid() and lines.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            cases.business_case_save(actor=request_user(request), project=project,
                                     version=version, data=data, lines=_line_rows(lines))  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, "Business case saved.")
            return redirect("portfolio:business_case", key=project.key)
    return _case_page(request, project, form=form, lines=lines, status=422)


@login_required
@require_POST
def business_case_realized(request: HttpRequest, key: str) -> HttpResponse:
    """Portfolio managers replace the realized lines (benefits and running costs as they
    come in); the actual costs from tracking are added to them, not entered here."""
    try:
        project = cases.case_project(user=request.user, key=key)
    except NotFound:
        raise Http404("project not found") from None
    if not intake.is_portfolio_manager(request.user):
        raise PermissionDenied("only portfolio managers record realized benefits")
    realized_lines = LineFormSet(request.POST, prefix="realized")
    version = request.POST.get("version", "")
    if realized_lines.is_valid():
        try:
            cases.business_case_record_realized(
                actor=request_user(request), project=project,
                version=int(version) if version.isdigit() else None,
                lines=_line_rows(realized_lines),
            )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            messages.error(request, exc.detail)
        else:
            messages.success(request, "Realized figures saved.")
            return redirect("portfolio:business_case", key=project.key)
    return _case_page(request, project, realized_lines=realized_lines, status=422)


@login_required
@require_POST
def business_case_pull_budget(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    version = request.POST.get("version", "")
    try:
        cases.business_case_pull_budget(
            actor=request_user(request), project=project,
            version=int(version) if version.isdigit() else None,
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Costs pulled from the budget; benefits and running costs kept.")
    return redirect("portfolio:business_case", key=project.key)


# ---------------------------------------------------------------------------- feasibility
@login_required
@require_http_methods(["GET", "POST"])
def feasibility_page(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    study = Feasibility.objects.filter(project=project).prefetch_related("scores").first()
    initial: dict[str, Any] = {"version": study.version if study else None}
    if study:
        initial.update(recommendation=study.recommendation, summary=study.summary)
        for s in study.scores.all():
            initial.update({f"{s.dimension}_score": s.score, f"{s.dimension}_weight": s.weight,
                            f"{s.dimension}_notes": s.notes,
                            f"{s.dimension}_evidence": "\n".join(s.evidence)})  # fmt: skip
    form = FeasibilityForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            scores = [
                {"dimension": d, "score": data[f"{d}_score"], "weight": data[f"{d}_weight"],
                 "notes": data[f"{d}_notes"], "evidence": data[f"{d}_evidence"].split()}
                for d in Dimension.values if data.get(f"{d}_score")
            ]  # fmt: skip
            try:
                feasibility.feasibility_save(
                    actor=request_user(request), project=project, version=data["version"],
                    data={"recommendation": data["recommendation"], "summary": data["summary"]},
                    scores=scores,
                )  # fmt: skip
            except ServiceError as exc:
                deny_if_forbidden(exc)
                _add_errors(form, exc)
            else:
                messages.success(request, "Feasibility study saved.")
                return redirect("portfolio:feasibility", key=project.key)
        status = 422
    dimensions = [
        (label, form[f"{value}_score"], form[f"{value}_weight"], form[f"{value}_notes"],
         form[f"{value}_evidence"])
        for value, label in Dimension.choices
    ]  # fmt: skip
    return render(
        request,
        "portfolio/feasibility.html",
        _context(
            request,
            project,
            "gates",
            form=form,
            study=study,
            dimensions=dimensions,
            score=feasibility.weighted_score(study) if study else None,
        ),  # fmt: skip
        status=status,
    )


# ---------------------------------------------------------------------------- gates
def _gate_rows(request: HttpRequest, gate_list: list[Any]) -> list[Any]:
    for gate in gate_list:
        gate.blocking = gates.blockers(gate) if gate.status == GateStatus.OPEN else []
        gate.mine = [a for a in gate.approvals.all() if a.state == "pending"
                     and gates.may_approve(request.user, a)]  # fmt: skip
        gate.decision_form = GateDecisionForm(initial={"version": gate.version, "decision": "go"})
    return gate_list


@login_required
def gate_page(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    gate_list = _gate_rows(request, list(gates.gate_list(project=project)))
    open_gate = next((g for g in gate_list if g.status == GateStatus.OPEN), None)
    upcoming = gates.next_gate(project)
    template = gates.gate_template(project, upcoming) if upcoming and not open_gate else None
    template_gaps = gates.gate_template_gaps(project, upcoming) if template and upcoming else []
    closing_view = project.stage in (Stage.CLOSING, Stage.CLOSED) or project.archived
    case = BusinessCase.objects.filter(project=project).prefetch_related("lines").first()
    study = Feasibility.objects.filter(project=project).prefetch_related("scores").first()
    handoff_form = None
    if closing_view:
        handoff_form = HandoffForm(initial={"operations_team": Team.objects.filter(
            kind=TeamKind.OPERATIONS).first()})  # fmt: skip
        handoff_form.fields["operations_team"].queryset = Team.objects.filter(  # type: ignore[attr-defined]
            kind=TeamKind.OPERATIONS
        )
        handoff_form.fields["queue"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (q.pk, f"{q.name} ({q.team})") for q in closing.handoff_queues()
        ]
    return render(
        request,
        "portfolio/gates.html",
        _context(
            request, project, "gates", gates=gate_list, open_gate=open_gate,
            upcoming=upcoming, upcoming_label=Stage(upcoming).label if upcoming else "",
            template=template, template_gaps=template_gaps, teams=Team.objects.order_by("name"),
            metrics=cases.compute(case) if case else None, case=case,
            study=study, score=feasibility.weighted_score(study) if study else None,
            closing_view=closing_view,
            closure=closing.closure_checklist(project) if closing_view else [],
            acceptors=closing.acceptors(project), may_accept=closing.may_accept(
                request.user, project),
            acceptors_form=_acceptors_form(project) if closing_view else None,
            decisions=getattr(getattr(project, "closure", None), "decisions", None),
            lessons=project.lessons.select_related("author"),
            lesson_form=LessonForm(), handoff_form=handoff_form,
            handoff=getattr(project, "handoff", None) if hasattr(project, "handoff") else None,
            assets=closing.project_assets(project) if closing_view else [],
        ),
    )  # fmt: skip


def _acceptors_form(project: Project) -> AcceptorsForm:
    closure = getattr(project, "closure", None) if hasattr(project, "closure") else None
    named = [u.pk for u in closure.acceptors.all()] if closure else []
    return AcceptorsForm(initial={"version": closure.version if closure else None,
                                  "acceptors": named})  # fmt: skip


@login_required
@require_POST
def gate_open(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    try:
        gate = gates.gate_open(actor=request_user(request), project=project)
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Gate review to {gate.get_to_stage_display()} opened; "
                         "the approvers were notified.")  # fmt: skip
    return redirect("portfolio:gates", key=project.key)


@login_required
def gate_detail(request: HttpRequest, gate_id: int) -> HttpResponse:
    gate = _gate(request, gate_id)
    _gate_rows(request, [gate])
    return render(
        request,
        "portfolio/gate_detail.html",
        {"gate": gate, "project": gate.project,
         "member": visible_projects(request.user).filter(pk=gate.project_id).exists()},
    )  # fmt: skip


def _back(request: HttpRequest, gate: Any) -> HttpResponse:
    if visible_projects(request.user).filter(pk=gate.project_id).exists():
        return redirect("portfolio:gates", key=gate.project.key)
    return redirect("portfolio:gate_detail", gate_id=gate.pk)


@login_required
@require_POST
def gate_approve(request: HttpRequest, gate_id: int) -> HttpResponse:
    gate = _gate(request, gate_id)
    approve = request.POST.get("decision") == "approve"
    try:
        gates.gate_approve(actor=request_user(request), gate=gate, approve=approve,
                           comment=request.POST.get("comment", ""))  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Approved." if approve else "Rejected; the manager is told.")
    return _back(request, gate)


@login_required
@require_POST
def gate_decide(request: HttpRequest, gate_id: int) -> HttpResponse:
    gate = _gate(request, gate_id)
    form = GateDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a decision.")
        return _back(request, gate)
    try:
        gates.gate_decide(actor=request_user(request), gate=gate, **form.cleaned_data)
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Gate decided: {form.cleaned_data['decision']}.")
    return _back(request, gate)


@login_required
@require_POST
def gate_item_add(request: HttpRequest, gate_id: int) -> HttpResponse:
    """A manager adds an item to the open review's checklist (the template is a start)."""
    gate = _gate(request, gate_id)
    _gate_edit(request, lambda: gates.gate_item_add(
        actor=request_user(request), gate=gate, text=request.POST.get("text", ""),
    ), lambda item: f"Checklist item added: {item.text}")  # fmt: skip
    return _back(request, gate)


def _gate_edit(request: HttpRequest, call: Callable[[], Any], done: Callable[[Any], str]) -> None:
    """Run a manager's edit of an open review; flash its outcome. An approver from outside
    the project sees the review, no more: the edit answers 404 to them."""
    try:
        result = call()
    except NotFound:
        raise Http404("gate review not found") from None
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, done(result))


@login_required
@require_POST
def gate_approver_add(request: HttpRequest, gate_id: int) -> HttpResponse:
    """A manager asks one more user (by username) or team to approve the open review."""
    gate = _gate(request, gate_id)
    username = request.POST.get("user", "").strip()
    team_id = request.POST.get("team", "")
    team = Team.objects.filter(pk=int(team_id)).first() if team_id.isdigit() else None
    _gate_edit(request, lambda: gates.gate_approver_add(
        actor=request_user(request), gate=gate, team=team, role=request.POST.get("role", ""),
        user=user_by_username(username, field="user") if username else None,
    ), lambda approval: f"Approval requested from {approval.user or approval.team}.")  # fmt: skip
    return _back(request, gate)


@login_required
@require_POST
def gate_item_toggle(request: HttpRequest, item_id: int) -> HttpResponse:
    item = (
        GateChecklistItem.objects.filter(gate__in=gates.visible_gates(request.user), pk=item_id)
        .select_related("gate__project")
        .first()
    )
    if item is None:
        raise Http404("checklist item not found")
    version = request.POST.get("version", "")
    try:
        gates.gate_item_update(
            actor=request_user(request), item=item,
            version=int(version) if version.isdigit() else None,
            data={"done": request.POST.get("done") == "1"},
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    return _back(request, item.gate)


# ---------------------------------------------------------------------------- closing
@login_required
@require_POST
def acceptance(request: HttpRequest, key: str) -> HttpResponse:
    project = Project.objects.filter(key=key.upper()).first()
    if project is None or not closing.may_accept(request.user, project):
        project = _project(request, key)
    try:
        closing.project_accept(
            actor=request_user(request), project=project,
            accepted=request.POST.get("decision") == "accept",
            comment=request.POST.get("comment", ""),
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Sign-off recorded.")
    if visible_projects(request.user).filter(pk=project.pk).exists():
        return redirect("portfolio:gates", key=project.key)
    return redirect("portfolio:portfolio")


@login_required
@require_POST
def acceptors(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    form = AcceptorsForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Acceptors: choose active users.")
        return redirect("portfolio:gates", key=project.key)
    try:
        closing.closure_acceptors_set(
            actor=request_user(request), project=project,
            users=list(form.cleaned_data["acceptors"]), version=form.cleaned_data["version"],
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Acceptors saved.")
    return redirect("portfolio:gates", key=project.key)


@login_required
@require_POST
def lesson_create(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    form = LessonForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        data["tags"] = [t for t in data["tags"].split(",") if t.strip()]
        try:
            closing.lesson_create(actor=request_user(request), project=project, **data)
        except ServiceError as exc:
            deny_if_forbidden(exc)
            messages.error(request, exc.detail)
        else:
            messages.success(request, "Lesson recorded.")
    else:
        messages.error(request, "A lesson needs a title.")
    return redirect("portfolio:gates", key=project.key)


@login_required
@require_POST
def handoff(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    form = HandoffForm(request.POST)
    form.fields["operations_team"].queryset = Team.objects.all()  # type: ignore[attr-defined]
    form.fields["queue"].choices = [("", "—")] + [  # type: ignore[attr-defined]
        (q.pk, q.name) for q in closing.handoff_queues()
    ]
    if not form.is_valid():
        messages.error(request, "Handoff: " + "; ".join(
            f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()))  # fmt: skip
        return redirect("portfolio:gates", key=project.key)
    data = form.cleaned_data
    services = []
    if data["service_name"]:
        services.append(closing.ServiceSpec(
            data["service_name"], data["service_description"], data["service_hours"],
            (data["runbook"],) if data["runbook"] else ()))  # fmt: skip
    try:
        closing.handoff_create(
            actor=request_user(request), project=project,
            operations_team=data["operations_team"], services=services,
            queue_id=data["queue"], queue_name=data["queue_name"],
            hypercare_until=data["hypercare_until"], notes=data["notes"],
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{project.key} handed over to operations and archived.")
    return redirect("portfolio:gates", key=project.key)


@login_required
def lessons(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q") or ""
    category = request.GET.get("category") or None
    found = closing.lesson_search(
        user=request.user, search=search,
        category=category if category in Category.values else None,
    )  # fmt: skip
    page = Paginator(found, 30).get_page(request.GET.get("page"))
    return render(request, "portfolio/lessons.html",
                  {"page": page, "q": search, "category": category,
                   "categories": Category.choices})  # fmt: skip
