"""Intake triage, business-case and feasibility API, closure, acceptance, lessons, handoff."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from itpm.accounts.models import Team, TeamKind
from itpm.core.errors import Conflict, Forbidden, Invalid
from itpm.planning.models import Task
from itpm.portfolio import closing, intake
from itpm.portfolio.models import Closure, Project, RequestStatus, Stage

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def pm(people: Any) -> Any:
    group, _ = Group.objects.get_or_create(name=intake.PORTFOLIO_MANAGERS_GROUP)
    people["manager"].groups.add(group)
    return people["manager"]


def test_anyone_submits_and_sees_only_their_own_requests(people: Any, api: Any, pm: Any) -> None:
    response = post(
        api("member"),
        "/api/v1/requests",
        {"title": "SSPR", "problem": "Password calls", "rough_cost": "45000.00"},
    )
    assert response.status_code == 201, response.content
    rid = response.json()["id"]
    assert api("member").get("/api/v1/requests").json()["count"] == 1
    assert api("viewer").get("/api/v1/requests").json()["count"] == 0
    assert api("viewer").get(f"/api/v1/requests/{rid}").status_code == 404
    assert api("manager").get("/api/v1/requests").json()["count"] == 1  # a portfolio manager


def test_accept_creates_the_project_in_initiation_and_links_back(
    people: Any, api: Any, pm: Any
) -> None:
    req = intake.request_submit(actor=people["member"], title="SSPR", problem="calls",
                                category="software")  # fmt: skip
    refused = post(api("owner"), f"/api/v1/requests/{req.pk}/triage",
                   {"action": "accept", "key": "SSPR"})  # fmt: skip
    assert refused.status_code == 404  # not a portfolio manager: not even visible
    response = post(api("manager"), f"/api/v1/requests/{req.pk}/triage",
                    {"action": "accept", "key": "SSPR", "version": req.version})  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted" and response.json()["project"] == "SSPR"
    project = Project.objects.get(key="SSPR")
    assert project.stage == Stage.INITIATION and project.category == "software"
    assert project.memberships.filter(user=people["member"]).exists()  # the requester follows
    assert people["member"].inbox.filter(kind="request").exists()


def test_ask_info_merge_and_reject(people: Any, pm: Any) -> None:
    first = intake.request_submit(actor=people["member"], title="A", problem="p")
    second = intake.request_submit(actor=people["viewer"], title="A again", problem="p")
    asked = intake.request_ask_info(actor=pm, request=first, version=None, question="Budget?")
    assert asked.status == RequestStatus.INFO_REQUESTED
    answered = intake.request_update(actor=people["member"], request=asked, version=None,
                                     data={"rough_cost": 1000})  # fmt: skip
    assert answered.status == RequestStatus.SUBMITTED
    merged = intake.request_merge(actor=pm, request=second, version=None, into=first)
    assert merged.status == RequestStatus.MERGED and merged.merged_into == first
    with pytest.raises(Invalid):
        intake.request_reject(actor=pm, request=first, version=None, reason="")
    rejected = intake.request_reject(actor=pm, request=first, version=None, reason="Not now")
    assert rejected.status == RequestStatus.REJECTED
    with pytest.raises(Conflict):
        intake.request_reject(actor=pm, request=rejected, version=None, reason="again")


def test_business_case_put_and_get_with_metrics(project: Project, api: Any) -> None:
    body = {
        "periodicity": "year", "discount_rate": "10", "strategic_fit": 4,
        "lines": [
            {"kind": "one_off_cost", "category": "hardware", "period": 0, "amount": "1000"},
            {"kind": "benefit", "category": "savings", "period": 1, "amount": "300"},
            {"kind": "benefit", "period": 2, "amount": "400"},
            {"kind": "benefit", "period": 3, "amount": "500"},
        ],
    }  # fmt: skip
    assert api("member").put("/api/v1/projects/APL/business-case", json.dumps(body),
                             content_type="application/json").status_code == 403  # fmt: skip
    response = api("manager").put("/api/v1/projects/APL/business-case", json.dumps(body),
                                  content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    metrics = response.json()["metrics"]
    assert metrics["npv"] == "-21.04"
    assert metrics["payback_periods"] == pytest.approx(2.6)
    assert response.json()["currency"] == "USD"
    changed = {**body, "version": 1, "discount_rate": "8"}
    put = api("manager").put("/api/v1/projects/APL/business-case", json.dumps(changed),
                             content_type="application/json")  # fmt: skip
    assert put.status_code == 200 and put.json()["version"] == 2
    stale = api("manager").put("/api/v1/projects/APL/business-case", json.dumps(changed),
                               content_type="application/json")  # fmt: skip
    assert stale.status_code == 409
    got = api("viewer").get("/api/v1/projects/APL/business-case")
    assert got.status_code == 200 and got.json()["version"] == 2
    bad = api("manager").put(
        "/api/v1/projects/APL/business-case",
        json.dumps({"version": 2, "lines": [{"kind": "gift", "period": 0, "amount": "1"}]}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("lines.0.kind")


def test_feasibility_weighted_score(project: Project, api: Any) -> None:
    body = {"recommendation": "proceed", "scores": [
        {"dimension": "technical", "score": 4, "weight": "2"},
        {"dimension": "security", "score": 1, "weight": "1",
         "evidence": ["https://wiki.example.com/sec"]},
    ]}  # fmt: skip
    response = api("manager").put("/api/v1/projects/APL/feasibility", json.dumps(body),
                                  content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["weighted_score"] == "3.00"


def _to_closing(project: Project, people: Any) -> Project:
    Project.objects.filter(pk=project.pk).update(stage=Stage.CLOSING, sponsor=people["viewer"])
    project.refresh_from_db()
    return project


def test_closure_checklist_computes_tasks_and_marks_the_rest_not_applicable(
    project: Project, tasks: Any
) -> None:
    items = {item.key: item for item in closing.closure_checklist(project)}
    assert items["tasks"].state == "open"
    assert items["purchase_orders"].state == "not_applicable"
    Task.objects.filter(project=project).update(status="done")
    assert closing.closure_checklist(project)[0].state == "done"


def test_only_the_sponsor_accepts_and_a_rejection_becomes_a_task(
    project: Project, people: Any
) -> None:
    project = _to_closing(project, people)
    with pytest.raises(Forbidden):
        closing.project_accept(actor=people["owner"], project=project, accepted=True)
    decision = closing.project_accept(actor=people["viewer"], project=project, accepted=False,
                                      comment="Runbook missing")  # fmt: skip
    assert decision.task is not None and "Runbook missing" in decision.task.name
    closing.project_accept(actor=people["viewer"], project=project, accepted=True)
    assert Closure.objects.get(project=project).accepted_at is not None


def test_lessons_are_searchable_across_projects_and_offered_to_new_ones(
    project: Project, foreign_project: Project, people: Any, api: Any
) -> None:
    closing.lesson_create(actor=people["member"], project=project, title="Order switches early",
                          went_badly="Lead time 12 weeks", tags=["procurement"])  # fmt: skip
    found = api("outsider").get("/api/v1/lessons?search=switches").json()
    assert found["count"] == 1 and found["items"][0]["project"] == "APL"
    assert api("outsider").get("/api/v1/lessons?search=nothing-like-it").json()["count"] == 0
    Project.objects.filter(pk=foreign_project.pk).update(category=project.category)
    foreign_project.refresh_from_db()
    assert [x.title for x in closing.lessons_for(foreign_project)] == ["Order switches early"]


def test_handoff_needs_the_closed_stage_and_acceptance_then_archives(
    project: Project, people: Any
) -> None:
    ops = Team.objects.create(name="Operations", kind=TeamKind.OPERATIONS)
    with pytest.raises(Conflict):
        closing.handoff_create(actor=people["owner"], project=project, operations_team=ops,
                               services=[])  # fmt: skip
    project = _to_closing(project, people)
    closing.project_accept(actor=people["viewer"], project=project, accepted=True)
    Project.objects.filter(pk=project.pk).update(stage=Stage.CLOSED)
    project.refresh_from_db()
    with pytest.raises(Forbidden):
        closing.handoff_create(actor=people["manager"], project=project, operations_team=ops,
                               services=[])  # fmt: skip
    handoff = closing.handoff_create(
        actor=people["owner"], project=project, operations_team=ops,
        services=[closing.ServiceSpec("Apollo ERP", hours="24x7")], queue_name="ERP desk",
        hypercare_until=timezone.localdate() + dt.timedelta(days=30),
    )  # fmt: skip
    project.refresh_from_db()
    assert project.archived and handoff.queue_name == "ERP desk"
    assert [s["name"] for s in handoff.services] == ["Apollo ERP"]
