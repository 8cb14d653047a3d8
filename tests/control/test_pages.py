"""The control pages render, their forms work, and refusals are shown, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from itpm.control import changes, services
from itpm.control.models import ChangeRequest, Deliverable, Issue, Risk


@pytest.fixture
def client_for(people: Any) -> Any:
    def make(name: str) -> Client:
        client = Client()
        client.force_login(people[name])
        return client

    return make


@pytest.fixture
def filled(project: Any, people: Any, tasks: Any) -> dict[str, Any]:
    member = people["member"]
    risk = services.risk_create(actor=member, project=project, title="Vendor late", category="vendor",
                                probability=4, impact=4, chance="0.4", delay_hours=16,
                                delay_tasks=[tasks["code"]])  # fmt: skip
    services.task_estimate_set(actor=member, task=tasks["code"], optimistic=30, most_likely=40,
                               pessimistic=70)  # fmt: skip
    run = services.forecast_run_request(actor=member, project=project, iterations=500, seed=1)
    change = changes.change_request_create(actor=member, project=project, title="More code",
                                           operations=[{"op": "change_duration",
                                                        "task": tasks["code"].pk, "hours": 48}],
                                           board=[people["manager"]])  # fmt: skip
    deliverable = services.deliverable_create(actor=member, project=project, name="Runbook",
                                              acceptance_criteria=["Reviewed"])  # fmt: skip
    issue = services.issue_create(actor=member, project=project, title="Printer", severity="low")
    return {"risk": risk, "run": run, "change": change, "deliverable": deliverable, "issue": issue}


def test_every_page_renders_for_a_viewer(client_for, project, filled) -> None:
    viewer = client_for("viewer")
    pages = [
        "/projects/APL/risks/", f"/projects/APL/risks/{filled['risk'].pk}/",
        "/projects/APL/risks/?view=after&probability=4&impact=4", "/projects/APL/issues/",
        "/projects/APL/changes/", f"/projects/APL/changes/{filled['change'].pk}/",
        "/projects/APL/decisions/", "/projects/APL/forecast/",
        f"/projects/APL/forecast/{filled['run'].pk}/", "/projects/APL/quality/",
    ]  # fmt: skip
    for url in pages:
        answer = viewer.get(url)
        assert answer.status_code == 200, url
    forecast = viewer.get("/projects/APL/forecast/").content.decode()
    assert "hist-bar" in forecast and "P80 finish" in forecast


def test_outsiders_get_404(client_for, project, filled) -> None:
    outsider = client_for("outsider")
    assert outsider.get("/projects/APL/risks/").status_code == 404
    assert outsider.get(f"/projects/APL/changes/{filled['change'].pk}/").status_code == 404


def test_heat_map_cell_links_to_its_risks(client_for, project, filled) -> None:
    page = client_for("viewer").get("/projects/APL/risks/").content.decode()
    assert "?view=before&amp;probability=4&amp;impact=4" in page
    cell = client_for("viewer").get("/projects/APL/risks/?view=before&probability=1&impact=1")
    assert "Vendor late" not in cell.content.decode().split('id="register"')[1]


def test_add_a_suggested_risk_and_a_bad_risk_shows_the_error(client_for, project) -> None:
    member = client_for("member")
    member.post("/projects/APL/risks/", {"template": "Requirements churn"})
    assert Risk.objects.filter(
        project=project, title="Requirements churn", chance__isnull=False
    ).exists()
    answer = member.post("/projects/APL/risks/", {"title": "", "category": "nope"}, follow=True)
    assert answer.status_code == 200
    assert "title" in answer.content.decode()


def test_change_request_flow_on_the_pages(client_for, project, people, filled) -> None:
    change = filled["change"]
    url = f"/projects/APL/changes/{change.pk}/action/"
    client_for("member").post(url, {"action": "submit", "version": change.version})
    refused = client_for("member").post(url, {"action": "approve"}, follow=True)
    assert "change board" in refused.content.decode()
    client_for("manager").post(url, {"action": "approve"})
    client_for("manager").post(url, {"action": "apply"})
    assert ChangeRequest.objects.get(pk=change.pk).status == "applied"


def test_risk_to_issue_and_deliverable_acceptance_on_the_pages(client_for, project, filled) -> None:
    risk = filled["risk"]
    client_for("member").post(f"/projects/APL/risks/{risk.pk}/action/",
                              {"action": "issue", "version": risk.version})  # fmt: skip
    assert Issue.objects.filter(project=project, risks=risk).exists()
    deliverable = filled["deliverable"]
    client_for("manager").post(f"/projects/APL/quality/{deliverable.pk}/action/",
                               {"action": "accept", "version": deliverable.version})  # fmt: skip
    assert Deliverable.objects.get(pk=deliverable.pk).status == "accepted"


def test_forecast_form_runs_and_estimates_save(client_for, project, tasks) -> None:
    member = client_for("member")
    member.post("/projects/APL/forecast/estimates/",
                {f"o_{tasks['design'].pk}": "8", f"m_{tasks['design'].pk}": "16",
                 f"p_{tasks['design'].pk}": "32"})  # fmt: skip
    answer = member.post("/projects/APL/forecast/", {"iterations": "500", "seed": "3"}, follow=True)
    assert answer.status_code == 200
    assert "seed <strong>3</strong>" in answer.content.decode()


def test_an_escalated_risk_shows_on_the_portfolio_view(client_for, project, people, filled) -> None:
    risk = filled["risk"]
    services.risk_escalate(actor=people["manager"], risk=risk, version=risk.version)
    page = client_for("admin").get("/portfolio/").content.decode()
    assert "Risks escalated to the portfolio" in page and "Vendor late" in page
    assert "Vendor late" not in client_for("outsider").get("/portfolio/").content.decode()


def test_the_change_requests_are_filtered_by_status(client_for, project, filled) -> None:
    viewer = client_for("viewer")
    drafts = viewer.get("/projects/APL/changes/?status=draft").content.decode()
    assert "More code" in drafts and '<option value="draft" selected>' in drafts
    applied = viewer.get("/projects/APL/changes/?status=applied").content.decode()
    assert "More code" not in applied and "No change requests with this status." in applied
    assert "More code" in viewer.get("/projects/APL/changes/").content.decode()
