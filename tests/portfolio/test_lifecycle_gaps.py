"""Named acceptors, the requester's answer page, budget costs in the business case, and
actual costs in the realized ROI."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from itpm.core.errors import Conflict, Forbidden
from itpm.core.models import AuditEvent
from itpm.portfolio import business_case as cases
from itpm.portfolio import closing, intake
from itpm.portfolio.models import (
    BusinessCase,
    Closure,
    Project,
    RequestStatus,
    Scenario,
    Stage,
)
from itpm.tracking.services import budget_line_create, expense_create

pytestmark = pytest.mark.django_db


def put(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.put(url, json.dumps(body), content_type="application/json")


def page(people: Any, name: str) -> Client:
    client = Client()
    client.force_login(people[name])
    return client


@pytest.fixture
def pm(people: Any) -> Any:
    group, _ = Group.objects.get_or_create(name=intake.PORTFOLIO_MANAGERS_GROUP)
    people["manager"].groups.add(group)
    return people["manager"]


# ---------------------------------------------------------------------------- acceptors
def test_manager_names_acceptors_through_the_api_and_only_they_sign(
    people: Any, project: Project, api: Any
) -> None:
    url = f"/api/v1/projects/{project.key}/closure/acceptors"
    assert put(api("member"), url, {"acceptors": ["vic"]}).status_code == 403
    assert put(api("outsider"), url, {"acceptors": ["vic"]}).status_code == 404
    bad = put(api("manager"), url, {"acceptors": ["nobody"]})
    assert bad.status_code == 422 and "acceptors" in bad.content.decode()
    response = put(api("manager"), url, {"acceptors": ["vic", "oscar"]})
    assert response.status_code == 200, response.content
    assert sorted(response.json()["acceptors"]) == ["oscar", "vic"]
    version = response.json()["version"]
    stale = put(api("manager"), url, {"acceptors": ["vic"], "version": version - 1})
    assert stale.status_code == 409
    Project.objects.filter(pk=project.pk).update(stage=Stage.CLOSING)
    project.refresh_from_db()
    with pytest.raises(Forbidden):  # the owner is no longer an acceptor once some are named
        closing.project_accept(actor=people["owner"], project=project, accepted=True)
    closing.project_accept(actor=people["viewer"], project=project, accepted=True)
    assert Closure.objects.get(project=project).accepted_by == people["viewer"]
    assert AuditEvent.objects.filter(action="closure.acceptors", project=project).count() == 1


def test_acceptors_page_form_saves_and_refuses_a_member(people: Any, project: Project) -> None:
    Project.objects.filter(pk=project.pk).update(stage=Stage.CLOSING)
    gates_page = page(people, "manager").get(f"/projects/{project.key}/gates/")
    assert b"Name the acceptors" in gates_page.content
    url = f"/projects/{project.key}/acceptors/"
    refused = page(people, "member").post(url, {"acceptors": [people["viewer"].pk]})
    assert refused.status_code == 403
    assert not Closure.objects.filter(project=project).exists()
    saved = page(people, "manager").post(url, {"acceptors": [people["viewer"].pk]})
    assert saved.status_code == 302
    assert list(closing.acceptors(project)) == [people["viewer"]]


# ---------------------------------------------------------------------------- the answer page
def test_requester_answers_on_the_page_and_the_request_returns_to_triage(
    people: Any, pm: Any
) -> None:
    req = intake.request_submit(actor=people["member"], title="SSPR", problem="calls")
    intake.request_ask_info(actor=pm, request=req, version=None, question="What does it cost?")
    req.refresh_from_db()
    detail = page(people, "member").get(f"/requests/{req.pk}/")
    assert b"Answer the question" in detail.content
    assert b"Answer the question" not in page(people, "manager").get(f"/requests/{req.pk}/").content
    url = f"/requests/{req.pk}/answer/"
    form = {"title": "SSPR", "problem": "calls", "category": "other", "currency": "USD",
            "urgency": "medium", "version": req.version}  # fmt: skip
    empty = page(people, "member").post(url, {**form, "answer": ""})
    assert empty.status_code == 422
    req.refresh_from_db()
    assert req.status == RequestStatus.INFO_REQUESTED
    refused = page(people, "manager").post(url, {**form, "answer": "I know"})
    assert refused.status_code == 403
    answered = page(people, "member").post(
        url, {**form, "answer": "About 45k a year", "rough_cost": "45000"}
    )
    assert answered.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.SUBMITTED and req.rough_cost == Decimal("45000.00")
    assert req.comments.filter(author=people["member"], body="About 45k a year").exists()
    assert pm.inbox.filter(text__contains="About 45k").exists()
    with pytest.raises(Conflict):  # answered already
        intake.request_answer(actor=people["member"], request=req, version=None, answer="more")


# ---------------------------------------------------------------------------- the budget
def _budget(people: Any, project: Project) -> None:
    manager = people["manager"]
    budget_line_create(actor=manager, project=project, category="hardware", name="Servers",
                       months={"2027-01": "10000", "2027-02": "5000"})  # fmt: skip
    budget_line_create(actor=manager, project=project, category="internal_labour",
                       name="Team", months={"2027-03": "3000", "2028-02": "2000"})  # fmt: skip


def test_pull_costs_from_the_budget_by_category_and_period(
    people: Any, project: Project, api: Any
) -> None:
    _budget(people, project)
    cases.business_case_save(
        actor=people["manager"], project=project, version=None,
        data={"periodicity": "year"},
        lines=[{"kind": "one_off_cost", "period": 0, "amount": "99", "category": "other"},
               {"kind": "benefit", "period": 1, "amount": "40000", "category": "savings"}],
    )  # fmt: skip
    case = BusinessCase.objects.get(project=project)
    url = f"/api/v1/projects/{project.key}/business-case/pull-budget"
    low = api("member").post(url, json.dumps({"version": case.version}),
                             content_type="application/json")  # fmt: skip
    assert low.status_code == 403
    response = api("manager").post(url, json.dumps({"version": case.version}),
                                   content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    lines = sorted((x["kind"], x["category"], x["period"], Decimal(x["amount"]))
                   for x in response.json()["lines"])  # fmt: skip
    # Project starts 2027-01-04: period 0 is 2027, period 1 is 2028; the old 99 is replaced.
    assert lines == [
        ("benefit", "savings", 1, Decimal("40000.00")),
        ("one_off_cost", "hardware", 0, Decimal("15000.00")),
        ("one_off_cost", "internal_labour", 0, Decimal("3000.00")),
        ("one_off_cost", "internal_labour", 1, Decimal("2000.00")),
    ]
    assert response.json()["metrics"]["total_cost"] == "20000.00"


def test_pull_budget_by_month_on_the_page(people: Any, project: Project) -> None:
    _budget(people, project)
    cases.business_case_save(actor=people["manager"], project=project, version=None,
                             data={"periodicity": "month"}, lines=[])  # fmt: skip
    url = f"/projects/{project.key}/business-case/pull-budget/"
    assert page(people, "member").post(url, {}).status_code == 403
    assert page(people, "manager").post(url, {}).status_code == 302
    case = BusinessCase.objects.get(project=project)
    periods = sorted((x.period, x.amount) for x in case.lines.all())
    assert periods == [(0, Decimal("10000.00")), (1, Decimal("5000.00")),
                       (2, Decimal("3000.00")), (13, Decimal("2000.00"))]  # fmt: skip
    shown = page(people, "manager").get(f"/projects/{project.key}/business-case/")
    assert b"Pull costs from the budget" in shown.content


def test_pull_budget_without_a_budget_is_a_field_error(people: Any, project: Project) -> None:
    response = page(people, "manager").post(
        f"/projects/{project.key}/business-case/pull-budget/", {}, follow=True
    )
    assert b"no budget lines yet" in response.content
    assert not BusinessCase.objects.filter(project=project, lines__isnull=False).exists()


def test_realized_roi_counts_actual_costs_from_tracking(
    people: Any, project: Project, pm: Any
) -> None:
    _budget(people, project)
    cases.business_case_save(
        actor=people["manager"], project=project, version=None, data={"periodicity": "year"},
        lines=[{"kind": "one_off_cost", "period": 0, "amount": "20000"},
               {"kind": "benefit", "period": 1, "amount": "30000"}],
    )  # fmt: skip
    case = BusinessCase.objects.get(project=project)
    cases.business_case_record_realized(
        actor=pm, project=project, version=case.version,
        lines=[{"kind": "benefit", "period": 1, "amount": "12000"}],
    )  # fmt: skip
    line = project.budget_lines.get(name="Servers")
    expense_create(actor=people["manager"], project=project, line=line,
                   date=dt.date(2027, 2, 3), amount="8000", description="Rack")  # fmt: skip
    case = BusinessCase.objects.prefetch_related("lines").get(project=project)
    realized = cases.compute(case, Scenario.REALIZED)
    assert realized is not None
    assert realized.total_cost == Decimal("8000.00")
    assert realized.roi == pytest.approx((12000 - 8000) / 8000)
    shown = page(people, "manager").get(f"/projects/{project.key}/business-case/")
    assert b"actual costs from time entries" in shown.content
