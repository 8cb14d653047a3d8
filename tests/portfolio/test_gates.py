"""Stage gates: the only way a stage changes; only the named approvers approve."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from itpm.accounts.models import Team, TeamKind
from itpm.core.errors import Conflict, Forbidden, Invalid
from itpm.core.models import AuditEvent
from itpm.portfolio import gates
from itpm.portfolio.models import GateReview, Project, Stage
from itpm.portfolio.services import project_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def security(people: Any) -> Team:
    team = Team.objects.create(name="Security & compliance", kind=TeamKind.SECURITY_COMPLIANCE)
    team.members.add(people["viewer"])
    return team


def _open(project: Project, people: Any, **kw: Any) -> GateReview:
    return gates.gate_open(actor=people["manager"], project=project, **kw)


def _approve_all(gate: GateReview) -> None:
    for item in gate.checklist.all():
        item.done = True
        item.save()


def test_project_update_refuses_a_stage_change(project: Project, people: Any) -> None:
    with pytest.raises(Invalid) as error:
        project_update(actor=people["owner"], project=project, version=None,
                       data={"stage": Stage.PLANNING})  # fmt: skip
    assert error.value.errors[0].field == "stage"
    assert Project.objects.get(pk=project.pk).stage == Stage.INITIATION


def test_api_patch_cannot_change_the_stage(project: Project, api: Any) -> None:
    response = api("owner").patch(
        "/api/v1/projects/APL", json.dumps({"version": project.version, "stage": "planning"}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "stage"
    assert Project.objects.get(pk=project.pk).stage == Stage.INITIATION


def test_settings_page_cannot_change_the_stage(project: Project, people: Any) -> None:
    client = Client()
    client.force_login(people["owner"])
    response = client.post(
        "/projects/APL/settings/",
        {"version": project.version, "name": "Apollo", "category": "software",
         "currency": "USD", "stage": "closed"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).stage == Stage.INITIATION


def test_admin_cannot_change_the_stage(project: Project, people: Any) -> None:
    client = Client()
    client.force_login(people["admin"])
    url = f"/admin/portfolio/project/{project.pk}/change/"
    assert client.get(url).status_code == 200  # read-only view
    response = client.post(url, {"key": "APL", "name": "Apollo", "stage": "closed"})
    assert response.status_code == 403
    assert Project.objects.get(pk=project.pk).stage == Stage.INITIATION


def test_go_needs_every_item_and_approval(project: Project, people: Any) -> None:
    project.sponsor = people["viewer"]
    project.save()
    gate = _open(project, people)
    assert gate.to_stage == Stage.PLANNING
    with pytest.raises(Invalid) as error:
        gates.gate_decide(actor=people["manager"], gate=gate, version=gate.version, decision="go")
    assert "checklist" in error.value.detail and "approval" in error.value.detail
    _approve_all(gate)
    gates.gate_approve(actor=people["viewer"], gate=gate, approve=True, comment="ok")
    gates.gate_decide(actor=people["manager"], gate=gate, version=gate.version, decision="go")
    assert Project.objects.get(pk=project.pk).stage == Stage.PLANNING
    assert AuditEvent.objects.filter(action="project.stage", project=project).exists()


def test_approvers_outside_the_required_team_cannot_approve(
    project: Project, people: Any, security: Team
) -> None:
    gate = _open(project, people, approvers=[{"user": None, "team": security, "role": "sec"}])
    for outsider in ("owner", "manager", "member", "admin", "outsider"):
        with pytest.raises(Forbidden):
            gates.gate_approve(actor=people[outsider], gate=gate, approve=True)
    approved = gates.gate_approve(actor=people["viewer"], gate=gate, approve=True, comment="ok")
    assert [a.state for a in approved] == ["approved"]


def test_api_approval_by_a_non_approver_is_403_and_by_an_approver_200(
    project: Project, people: Any, api: Any, security: Team
) -> None:
    gate = _open(project, people, approvers=[{"user": None, "team": security, "role": "sec"}])
    url = f"/api/v1/gates/{gate.pk}/approvals"
    body = json.dumps({"decision": "approve"})
    assert api("member").post(url, body, content_type="application/json").status_code == 403
    assert api("outsider").post(url, body, content_type="application/json").status_code == 404
    ok = api("viewer").post(url, body, content_type="application/json")
    assert ok.status_code == 200, ok.content
    assert ok.json()[0]["state"] == "approved"


def test_an_approver_outside_the_project_sees_and_approves_the_gate(
    project: Project, people: Any, api: Any
) -> None:
    gate = _open(project, people, approvers=[{"user": people["outsider"], "team": None}])
    client = api("outsider")
    assert client.get(f"/api/v1/gates/{gate.pk}").status_code == 200
    assert client.get("/api/v1/projects/APL").status_code == 404
    response = client.post(f"/api/v1/gates/{gate.pk}/approvals",
                           json.dumps({"decision": "reject", "comment": "no DPIA"}),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 200


def test_rejection_needs_a_comment(project: Project, people: Any) -> None:
    gate = _open(project, people, approvers=[{"user": people["viewer"], "team": None}])
    with pytest.raises(Invalid):
        gates.gate_approve(actor=people["viewer"], gate=gate, approve=False)


def test_no_go_cancels_and_archives(project: Project, people: Any) -> None:
    gate = _open(project, people)
    gates.gate_decide(actor=people["manager"], gate=gate, version=gate.version,
                      decision="no_go", comment="No budget")  # fmt: skip
    project.refresh_from_db()
    assert project.archived and project.cancelled_at is not None
    assert project.stage == Stage.INITIATION


def test_recycle_goes_back_one_stage_and_hold_stays(project: Project, people: Any) -> None:
    Project.objects.filter(pk=project.pk).update(stage=Stage.EXECUTION)
    project.refresh_from_db()
    gate = _open(project, people)
    gates.gate_decide(actor=people["manager"], gate=gate, version=gate.version,
                      decision="recycle", comment="Plan incomplete")  # fmt: skip
    assert Project.objects.get(pk=project.pk).stage == Stage.PLANNING
    project.refresh_from_db()
    gate = _open(project, people)
    gates.gate_decide(actor=people["manager"], gate=gate, version=gate.version,
                      decision="hold", comment="Wait for Q3")  # fmt: skip
    assert Project.objects.get(pk=project.pk).stage == Stage.PLANNING


def test_only_one_open_gate_and_only_the_next_stage(project: Project, people: Any) -> None:
    with pytest.raises(Invalid):
        _open(project, people, to_stage=Stage.EXECUTION)
    _open(project, people)
    with pytest.raises(Conflict):
        _open(project, people)


def test_members_cannot_open_or_decide_gates(project: Project, people: Any) -> None:
    with pytest.raises(Forbidden):
        gates.gate_open(actor=people["member"], project=project)
    gate = _open(project, people)
    with pytest.raises(Forbidden):
        gates.gate_decide(actor=people["member"], gate=gate, version=None, decision="hold",
                          comment="x")  # fmt: skip


def test_category_template_adds_security_review_for_network_rollouts(
    project: Project, people: Any, security: Team
) -> None:
    Project.objects.filter(pk=project.pk).update(category="network_cloud", stage="planning")
    project.refresh_from_db()
    items, approvers = gates.gate_template(project, Stage.EXECUTION)
    assert "Security review signed" in items
    assert any(a["team"] == security for a in approvers)


def test_opening_a_gate_notifies_the_approvers_in_app_and_by_mail(
    project: Project,
    people: Any,
    settings: Any,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        _open(project, people, approvers=[{"user": people["viewer"], "team": None}])
    assert people["viewer"].inbox.filter(kind="approval").count() == 1
    assert [m.to for m in mailoutbox] == [["vic@example.com"]]


def test_gate_pages_render_and_the_approver_page_approves(project: Project, people: Any) -> None:
    gate = _open(project, people, approvers=[{"user": people["outsider"], "team": None}])
    client = Client()
    client.force_login(people["manager"])
    assert client.get("/projects/APL/gates/").status_code == 200
    outsider = Client()
    outsider.force_login(people["outsider"])
    assert outsider.get("/projects/APL/gates/").status_code == 404
    assert outsider.get(f"/gates/{gate.pk}/").status_code == 200
    response = outsider.post(f"/gates/{gate.pk}/approve/", {"decision": "approve"})
    assert response.status_code == 302
    assert gate.approvals.get().state == "approved"
