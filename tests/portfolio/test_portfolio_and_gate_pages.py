"""The portfolio ranking (NPV, feasibility, strategic fit, risk), side-by-side comparison,
and editing an open gate review's checklist on the page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from itpm.accounts.models import Team, TeamKind, User
from itpm.control.services import risk_create
from itpm.core.errors import Conflict, Invalid
from itpm.core.models import AuditEvent
from itpm.portfolio import business_case as cases
from itpm.portfolio import feasibility, gates
from itpm.portfolio.models import GateReview, Project

pytestmark = pytest.mark.django_db


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _candidate(owner: User, project: Project, benefit: str, fit: int, score: int) -> None:
    """A one-year case (100,000 now, ``benefit`` a year for three years) and a study."""
    cases.business_case_save(
        actor=owner, project=project, version=None,
        data={"periodicity": "year", "discount_rate": "8", "strategic_fit": fit},
        lines=[{"kind": "one_off_cost", "period": 0, "amount": "100000"}]
        + [{"kind": "benefit", "period": p, "amount": benefit} for p in (1, 2, 3)],
    )  # fmt: skip
    feasibility.feasibility_save(
        actor=owner, project=project, version=None, data={"recommendation": "proceed"},
        scores=[{"dimension": "technical", "score": score}],
    )  # fmt: skip


def ranking(html: str) -> list[str]:
    table = html.split('class="striped ranking"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'name="key" value="([A-Z0-9]+)"', table)


@pytest.fixture
def candidates(
    people: dict[str, User], project: Project, foreign_project: Project
) -> dict[str, Project]:
    """APL: the higher NPV, weaker feasibility and fit, one open risk; ZED the reverse."""
    _candidate(people["owner"], project, "60000", fit=2, score=2)
    _candidate(people["outsider"], foreign_project, "45000", fit=5, score=5)
    risk_create(actor=people["member"], project=project, title="Vendor late",
                category="vendor", probability=3, impact=3)  # fmt: skip
    return {"APL": project, "ZED": foreign_project}


def test_ranking_sorts_by_npv_feasibility_fit_and_risk(
    candidates: dict[str, Project], people: dict[str, User]
) -> None:
    admin = page(people["admin"])  # a site admin is a portfolio manager
    assert ranking(admin.get("/portfolio/").content.decode()) == ["APL", "ZED"]  # NPV first
    assert ranking(admin.get("/portfolio/?sort=score").content.decode()) == ["ZED", "APL"]
    assert ranking(admin.get("/portfolio/?sort=fit").content.decode()) == ["ZED", "APL"]
    assert ranking(admin.get("/portfolio/?sort=risks").content.decode()) == ["ZED", "APL"]
    # Everyone else sees only their own projects in the pipeline and the ranking.
    assert ranking(page(people["member"]).get("/portfolio/").content.decode()) == ["APL"]


def test_compare_puts_candidates_side_by_side_and_only_visible_ones(
    candidates: dict[str, Project], people: dict[str, User]
) -> None:
    apl = cases.compute(candidates["APL"].business_case)
    zed = cases.compute(candidates["ZED"].business_case)
    assert apl is not None and zed is not None and apl.npv > zed.npv  # type: ignore[operator]
    html = page(people["admin"]).get("/portfolio/compare/?key=apl&key=ZED").content.decode()
    header = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert header.index("APL") < header.index("ZED")
    npv_row = next(row for row in html.split("<tr>") if row.startswith("<th>NPV</th>"))
    assert f"{apl.npv:,.0f}" in npv_row and f"{zed.npv:,.0f}" in npv_row
    mine = page(people["member"]).get("/portfolio/compare/?key=APL&key=ZED").content.decode()
    assert "APL" in mine and "Zed secret rollout" not in mine


def test_a_manager_adds_a_checklist_item_on_the_page_and_go_waits_for_it(
    project: Project, people: dict[str, User]
) -> None:
    gate = gates.gate_open(actor=people["manager"], project=project, approvers=[])
    for item in gate.checklist.all():
        gates.gate_item_update(actor=people["member"], item=item, version=item.version,
                               data={"done": True})  # fmt: skip
    shown = page(people["manager"]).get(f"/projects/{project.key}/gates/").content.decode()
    assert "Add item" in shown
    assert (
        "Add item"
        not in page(people["member"]).get(f"/projects/{project.key}/gates/").content.decode()
    )
    url = f"/gates/{gate.pk}/checklist/"
    assert page(people["member"]).post(url, {"text": "Licences counted"}).status_code == 403
    assert page(people["outsider"]).post(url, {"text": "Licences counted"}).status_code == 404
    empty = page(people["manager"]).post(url, {"text": "  "}, follow=True)
    assert b"1 to 200 characters" in empty.content
    added = page(people["manager"]).post(url, {"text": "Vendor contract signed"}, follow=True)
    assert b"Checklist item added: Vendor contract signed" in added.content
    gate = GateReview.objects.get(pk=gate.pk)
    assert gate.checklist.last().text == "Vendor contract signed"  # type: ignore[union-attr]
    assert gates.blockers(gate) == ["checklist: Vendor contract signed"]
    assert AuditEvent.objects.filter(action="gate.item_add", project=project).count() == 1


def test_a_discount_rate_given_as_text_is_stored_as_money_and_bad_text_is_a_field_error(
    project: Project, people: dict[str, User]
) -> None:
    case = cases.business_case_save(
        actor=people["manager"], project=project, version=None, data={"discount_rate": "7.5"},
        lines=[{"kind": "one_off_cost", "period": 0, "amount": "100"},
               {"kind": "benefit", "period": 1, "amount": "150"}],
    )  # fmt: skip
    metrics = cases.compute(case)  # the same instance: the rate is a Decimal on it already
    assert metrics is not None and str(metrics.npv) == "39.53"
    with pytest.raises(Invalid) as refused:
        cases.business_case_save(actor=people["manager"], project=project,
                                 version=case.version, data={"discount_rate": "eight"})  # fmt: skip
    assert refused.value.errors[0].field == "discount_rate"


def test_a_manager_adds_an_approver_and_go_waits_for_them(
    project: Project, people: dict[str, User], api: Any
) -> None:
    finance = Team.objects.create(name="Finance", kind=TeamKind.OTHER)
    finance.members.add(people["outsider"])
    gate = gates.gate_open(actor=people["manager"], project=project, checklist=[], approvers=[])
    assert gates.blockers(gate) == []
    url = f"/api/v1/gates/{gate.pk}/approvers"
    body = {"user": "vic", "role": "sponsor's deputy"}
    assert (
        api("member").post(url, json.dumps(body), content_type="application/json").status_code
        == 403
    )
    bad = api("manager").post(url, json.dumps({"user": "nobody"}), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "user"
    both = api("manager").post(url, json.dumps({"user": "vic", "team": "Finance"}),
                               content_type="application/json")  # fmt: skip
    assert both.status_code == 422
    added = api("manager").post(url, json.dumps(body), content_type="application/json")
    assert added.status_code == 201, added.content
    assert added.json()["user"] == "vic" and added.json()["state"] == "pending"
    again = api("manager").post(url, json.dumps(body), content_type="application/json")
    assert again.status_code == 409
    assert people["viewer"].inbox.filter(text__contains="Your approval is requested").exists()
    # On the page, a team: any one member of it approves, even from outside the project.
    page_url = f"/gates/{gate.pk}/approvers/"
    assert page(people["member"]).post(page_url, {"team": finance.pk}).status_code == 403
    done = page(people["manager"]).post(page_url, {"team": finance.pk, "role": "finance"},
                                        follow=True)  # fmt: skip
    assert b"Approval requested from Finance" in done.content
    gate = GateReview.objects.get(pk=gate.pk)
    assert len(gates.blockers(gate)) == 2
    stale = gate.version - 1
    with pytest.raises(Conflict):  # adding an approver made a prepared decision stale
        gates.gate_decide(actor=people["manager"], gate=gate, version=stale, decision="go")
    gates.gate_approve(actor=people["viewer"], gate=gate, approve=True)
    gates.gate_approve(actor=people["outsider"], gate=gate, approve=True, comment="Budget ok")
    gates.gate_decide(actor=people["manager"], gate=GateReview.objects.get(pk=gate.pk),
                      version=None, decision="go")  # fmt: skip
    project.refresh_from_db()
    assert project.stage == "planning"
    assert AuditEvent.objects.filter(action="gate.approver_add", project=project).count() == 2


def test_the_gates_page_warns_when_the_template_asks_for_an_approval_nobody_can_give(
    project: Project, people: dict[str, User]
) -> None:
    # APL (software) into planning asks for the sponsor; nobody is named.
    html = page(people["manager"]).get(f"/projects/{project.key}/gates/").content.decode()
    assert "no sponsor is named" in html
    Project.objects.filter(pk=project.pk).update(stage="planning", sponsor=people["viewer"])
    project.refresh_from_db()
    # Into execution a software project needs Security & compliance, and no such team exists.
    assert gates.gate_template_gaps(project, "execution") == [
        "no Security & compliance team exists, so its approval is not asked for"
    ]
    Team.objects.create(name="Security", kind=TeamKind.SECURITY_COMPLIANCE)
    assert gates.gate_template_gaps(project, "execution") == []
