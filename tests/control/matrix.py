"""Objects, path parameters and expectations of the control routes for the permission matrix
and the mass-assignment sweep.

``build_control`` runs inside ``tests.world.build_world`` (before the world's baseline picture
of the database): per site, APL ("own", by its owner) and ZED ("foreign", by zoe), a risk, an
issue, a decision, a deliverable, a three-point estimate on "test", a stored forecast, and
three change requests: a draft, a submitted one (its board is every actor who can see the
project, so the role rules decide) and an approved one with no operations.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from itpm.control import changes, services
from itpm.control.models import (
    ChangeRequest,
    ChangeVote,
    Decision,
    Deliverable,
    ForecastRun,
    Issue,
    QualityCheck,
    Risk,
    TaskEstimate,
)

OBJECTS: dict[str, dict[str, Any]] = {}


def _site_objects(world: Any, target: str) -> dict[str, Any]:
    users = world.users
    owner = users["zoe"] if target == "foreign" else users["owner"]
    site = world.sites[target]
    project = site.project
    test_task = site.tasks["test"]
    risk = services.risk_create(actor=owner, project=project, title="Matrix risk",
                                category="vendor", chance="0.2", delay_hours=8,
                                delay_tasks=[test_task])  # fmt: skip
    issue = services.issue_create(actor=owner, project=project, title="Matrix issue")
    decision = services.decision_create(actor=owner, project=project, date=dt.date(2027, 1, 4),
                                        decision="Matrix decision", made_by="Board")  # fmt: skip
    deliverable = services.deliverable_create(actor=owner, project=project, name="Matrix deliverable",
                                              acceptance_criteria=["Works"])  # fmt: skip
    services.task_estimate_set(actor=owner, task=test_task, optimistic=16, most_likely=24,
                               pessimistic=40)  # fmt: skip
    run = services.forecast_run_request(actor=owner, project=project, iterations=100, seed=1)
    voters = ["admin"] if target == "foreign" else ["admin", "owner", "manager", "member", "viewer"]
    board = [users[name] for name in voters]
    draft = changes.change_request_create(actor=owner, project=project, title="Matrix draft",
                                          board=board)  # fmt: skip
    submitted = changes.change_request_create(actor=owner, project=project, title="Matrix vote",
                                              board=board)  # fmt: skip
    submitted = changes.change_request_submit(actor=owner, change=submitted, version=None)
    approved = changes.change_request_create(actor=owner, project=project, title="Matrix apply",
                                             board=[owner])  # fmt: skip
    ChangeRequest.objects.filter(pk=approved.pk).update(status="approved")
    return {"risk": risk, "issue": issue, "decision": decision, "deliverable": deliverable,
            "run": run, "draft": draft, "submitted": submitted, "approved": approved}  # fmt: skip


def build_control(world: Any) -> None:
    OBJECTS.clear()
    for target in ("own", "foreign"):
        OBJECTS[target] = _site_objects(world, target)


def destroy_control() -> None:
    for model in (ChangeVote, ChangeRequest, QualityCheck, Issue, Risk, Deliverable, Decision,
                  ForecastRun, TaskEstimate):  # fmt: skip
        model.objects.all().delete()


def _get(case: Any, name: str) -> Any:
    obj = OBJECTS["foreign" if case.target == "foreign" else "own"][name]
    return type(obj).objects.get(pk=obj.pk)


CONTROL_PARAMS: dict[str, Any] = {
    "risk_id": lambda c, o: _get(c, "risk").pk,
    "issue_id": lambda c, o: _get(c, "issue").pk,
    "decision_id": lambda c, o: _get(c, "decision").pk,
    "deliverable_id": lambda c, o: _get(c, "deliverable").pk,
    "run_id": lambda c, o: _get(c, "run").pk,
    "cr_id": lambda c, o: _get(c, o or "draft").pk,
}


def versioned(obj: str, /, **extra: Any) -> Any:
    return lambda c: {"version": _get(c, obj).version, **extra}


def estimate_form(c: Any) -> dict[str, Any]:
    pk = c.site.tasks["test"].pk
    return {f"o_{pk}": "20", f"m_{pk}": "30", f"p_{pk}": "50"}


def routes(
    V1: str, READ: Any, WRITE: Any, MANAGE: Any, Expect: Any, PAGE: dict[str, Any]
) -> dict[tuple[str, str], Any]:  # noqa: N803 - the matrix's own names
    """The table entries (built here so the matrix file only merges them)."""
    P = f"{V1}/projects/{{key}}"  # noqa: N806
    vote = {"params": {"cr_id": "submitted"}}
    return {
        ("GET", f"{P}/risks"): READ(),
        ("POST", f"{P}/risks"): WRITE(201, body=lambda c: {"title": "New", "category": "cost"}),
        ("GET", f"{P}/risks/heat-map"): READ(),
        ("GET", f"{P}/risks/suggestions"): READ(),
        ("GET", f"{P}/risks/{{risk_id}}"): READ(),
        ("PATCH", f"{P}/risks/{{risk_id}}"): WRITE(200, body=versioned("risk", impact=5)),
        ("DELETE", f"{P}/risks/{{risk_id}}"): MANAGE(204),
        ("POST", f"{P}/risks/{{risk_id}}/escalate"): MANAGE(200, body=versioned("risk", escalated=True)),
        ("POST", f"{P}/risks/{{risk_id}}/response-tasks"): WRITE(201, body=lambda c: {"name": "Mitigate"}),
        ("POST", f"{P}/risks/{{risk_id}}/issue"): WRITE(201, body=versioned("risk")),
        ("GET", f"{P}/issues"): READ(),
        ("POST", f"{P}/issues"): WRITE(201, body=lambda c: {"title": "New issue"}),
        ("GET", f"{P}/issues/{{issue_id}}"): READ(),
        ("PATCH", f"{P}/issues/{{issue_id}}"): WRITE(200, body=versioned("issue", severity="high")),
        ("GET", f"{P}/estimates"): READ(),
        ("PUT", f"{P}/estimates/{{task_id}}"): WRITE(200, body=lambda c: {
            "optimistic_hours": 20, "most_likely_hours": 30, "pessimistic_hours": 50}),
        ("DELETE", f"{P}/estimates/{{task_id}}"): WRITE(204),
        ("POST", f"{P}/forecast"): WRITE(201, body=lambda c: {"iterations": 100, "seed": 2}),
        ("GET", f"{P}/forecast"): READ(),
        ("GET", f"{P}/forecast/{{run_id}}"): READ(),
        ("GET", f"{P}/change-requests"): READ(),
        ("POST", f"{P}/change-requests"): WRITE(201, body=lambda c: {"title": "New change"}),
        ("GET", f"{P}/change-requests/{{cr_id}}"): READ(),
        ("PATCH", f"{P}/change-requests/{{cr_id}}"): WRITE(200, body=versioned("draft", reason="R")),
        ("POST", f"{P}/change-requests/{{cr_id}}/submit"): WRITE(200, body=versioned("draft")),
        # Only the change board votes; the submitted request's board is every actor who sees
        # the project, so the outcome follows visibility.
        ("POST", f"{P}/change-requests/{{cr_id}}/approve"): Expect("viewer", 200, body=lambda c: {}, **vote),
        ("POST", f"{P}/change-requests/{{cr_id}}/reject"): Expect(
            "viewer", 200, body=lambda c: {"comment": "No"}, **vote),
        ("POST", f"{P}/change-requests/{{cr_id}}/apply"): MANAGE(
            200, body=lambda c: {}, params={"cr_id": "approved"}),
        ("GET", f"{P}/decisions"): READ(),
        ("POST", f"{P}/decisions"): WRITE(201, body=lambda c: {
            "date": "2027-01-05", "decision": "Go", "made_by": "Board"}),
        ("PATCH", f"{P}/decisions/{{decision_id}}"): WRITE(200, body=versioned("decision", made_by="CAB")),
        ("GET", f"{P}/deliverables"): READ(),
        ("POST", f"{P}/deliverables"): WRITE(201, body=lambda c: {"name": "New deliverable"}),
        ("GET", f"{P}/deliverables/{{deliverable_id}}"): READ(),
        ("PATCH", f"{P}/deliverables/{{deliverable_id}}"): WRITE(
            200, body=versioned("deliverable", name="Renamed")),
        ("POST", f"{P}/deliverables/{{deliverable_id}}/checks"): WRITE(201, body=lambda c: {
            "result": "passed", "checked_on": "2027-01-05"}),
        ("POST", f"{P}/deliverables/{{deliverable_id}}/accept"): MANAGE(
            200, body=versioned("deliverable", accept=True)),
        ("POST", f"{P}/deliverables/{{deliverable_id}}/defects"): WRITE(201, body=lambda c: {"title": "Bug"}),
        # --- pages; refused forms redirect with the message and change nothing
        ("GET", "/projects/{key}/risks/"): READ(**PAGE),
        ("POST", "/projects/{key}/risks/"): WRITE(302, body=lambda c: {
            "title": "Paged risk", "category": "cost", "probability": "2", "impact": "2"}, **PAGE),
        ("GET", "/projects/{key}/risks/{risk_id}/"): READ(**PAGE),
        ("POST", "/projects/{key}/risks/{risk_id}/"): WRITE(302, body=lambda c: {
            "version": _get(c, "risk").version, "title": "Renamed", "category": "vendor",
            "probability": "3", "impact": "3", "chance": "0.200", "delay_hours": "8",
            "delay_tasks": [c.site.tasks["test"].pk]}, **PAGE),
        ("POST", "/projects/{key}/risks/{risk_id}/action/"): WRITE(302, body=lambda c: {
            "action": "response_task", "name": "Mitigate"}, **PAGE),
        ("GET", "/projects/{key}/issues/"): READ(**PAGE),
        ("POST", "/projects/{key}/issues/"): WRITE(302, body=lambda c: {"title": "Paged"}, **PAGE),
        ("POST", "/projects/{key}/issues/{issue_id}/"): WRITE(302, body=lambda c: {
            "version": _get(c, "issue").version, "status": "in_progress"}, **PAGE),
        ("GET", "/projects/{key}/changes/"): READ(**PAGE),
        ("POST", "/projects/{key}/changes/"): WRITE(302, body=lambda c: {
            "title": "Paged change", "operations": "[]"}, **PAGE),
        ("GET", "/projects/{key}/changes/{cr_id}/"): READ(**PAGE),
        ("POST", "/projects/{key}/changes/{cr_id}/action/"): WRITE(302, body=lambda c: {
            "action": "submit"}, **PAGE),
        ("GET", "/projects/{key}/decisions/"): READ(**PAGE),
        ("POST", "/projects/{key}/decisions/"): WRITE(302, body=lambda c: {
            "date": "2027-01-05", "decision": "Go", "made_by": "Board"}, **PAGE),
        ("GET", "/projects/{key}/decisions/{decision_id}/edit/"): WRITE(200, **PAGE),
        ("POST", "/projects/{key}/decisions/{decision_id}/edit/"): WRITE(302, body=lambda c: {
            "version": _get(c, "decision").version, "date": "2027-01-06", "decision": "Go on",
            "made_by": "Board", "rationale": "", "links": ""}, **PAGE),
        ("GET", "/projects/{key}/forecast/"): READ(**PAGE),
        ("POST", "/projects/{key}/forecast/"): WRITE(302, body=lambda c: {
            "iterations": "100", "seed": "3"}, **PAGE),
        ("POST", "/projects/{key}/forecast/estimates/"): WRITE(302, body=estimate_form, **PAGE),
        ("GET", "/projects/{key}/forecast/{run_id}/"): READ(**PAGE),
        ("GET", "/projects/{key}/quality/"): READ(**PAGE),
        ("POST", "/projects/{key}/quality/"): WRITE(302, body=lambda c: {"name": "Paged"}, **PAGE),
        ("POST", "/projects/{key}/quality/{deliverable_id}/action/"): WRITE(302, body=lambda c: {
            "action": "check", "result": "passed", "kind": "Review"}, **PAGE),
        ("GET", "/projects/{key}/quality/{deliverable_id}/edit/"): WRITE(200, **PAGE),
        ("POST", "/projects/{key}/quality/{deliverable_id}/edit/"): WRITE(302, body=lambda c: {
            "version": _get(c, "deliverable").version, "name": "Renamed deliverable",
            "description": "", "acceptance_criteria": "", "owner": "", "due_date": "", "task": "",
            "status": "planned"}, **PAGE),
    }  # fmt: skip


def writes(V1: str) -> dict[tuple[str, str], Any]:  # noqa: N803
    """Mass-assignment: the model each control body writes to."""
    P = f"{V1}/projects/{{key}}"  # noqa: N806
    return {
        ("POST", f"{P}/risks"): Risk,
        ("PATCH", f"{P}/risks/{{risk_id}}"): Risk,
        ("POST", f"{P}/risks/{{risk_id}}/escalate"): Risk,
        ("POST", f"{P}/risks/{{risk_id}}/response-tasks"): Risk,
        ("POST", f"{P}/risks/{{risk_id}}/issue"): Issue,
        ("POST", f"{P}/issues"): Issue,
        ("PATCH", f"{P}/issues/{{issue_id}}"): Issue,
        ("PUT", f"{P}/estimates/{{task_id}}"): TaskEstimate,
        ("POST", f"{P}/forecast"): ForecastRun,
        ("POST", f"{P}/change-requests"): ChangeRequest,
        ("PATCH", f"{P}/change-requests/{{cr_id}}"): ChangeRequest,
        ("POST", f"{P}/change-requests/{{cr_id}}/submit"): ChangeRequest,
        ("POST", f"{P}/change-requests/{{cr_id}}/approve"): ChangeVote,
        ("POST", f"{P}/change-requests/{{cr_id}}/reject"): ChangeVote,
        ("POST", f"{P}/change-requests/{{cr_id}}/apply"): ChangeRequest,
        ("POST", f"{P}/decisions"): Decision,
        ("PATCH", f"{P}/decisions/{{decision_id}}"): Decision,
        ("POST", f"{P}/deliverables"): Deliverable,
        ("PATCH", f"{P}/deliverables/{{deliverable_id}}"): Deliverable,
        ("POST", f"{P}/deliverables/{{deliverable_id}}/checks"): QualityCheck,
        ("POST", f"{P}/deliverables/{{deliverable_id}}/accept"): Deliverable,
        ("POST", f"{P}/deliverables/{{deliverable_id}}/defects"): Issue,
    }
