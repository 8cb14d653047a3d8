"""Decisions and deliverables are edited on the pages (in place with htmx, or as a page),
and deliverables are checked and accepted there."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from itpm.control import changes, services
from itpm.control.models import ChangeRequest, Decision, Deliverable, Issue, QualityCheck
from itpm.core.models import AuditEvent
from itpm.planning.models import Task

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client_for(people: Any) -> Any:
    def make(name: str) -> Client:
        client = Client()
        client.force_login(people[name])
        return client

    return make


@pytest.fixture
def decision(project: Any, people: Any) -> Decision:
    return services.decision_create(actor=people["member"], project=project,
                                    date=dt.date(2027, 1, 10), decision="Buy Cisco",
                                    made_by="Board", links=["CR-1"])  # fmt: skip


@pytest.fixture
def deliverable(project: Any, people: Any) -> Deliverable:
    return services.deliverable_create(actor=people["member"], project=project, name="Runbook",
                                       acceptance_criteria=["Reviewed"])  # fmt: skip


def _decision_form(d: Decision, **extra: str) -> dict[str, Any]:
    return {"version": d.version, "date": "2027-01-12", "decision": "Buy Juniper",
            "made_by": "Steering committee", "rationale": "Price", "links": "CR-2 R-4", **extra}  # fmt: skip


def test_decision_edit_in_place_with_htmx(client_for: Any, decision: Decision) -> None:
    url = f"/projects/APL/decisions/{decision.pk}/edit/"
    form = client_for("member").get(url, **HX)
    assert form.status_code == 200 and b"<tr" in form.content and b"Save decision" in form.content
    assert b"<html" not in form.content  # a fragment for the swap
    saved = client_for("member").post(url, _decision_form(decision), **HX)
    assert (
        saved.status_code == 200 and b"Buy Juniper" in saved.content and b"saved" in saved.content
    )
    decision.refresh_from_db()
    assert decision.made_by == "Steering committee" and decision.links == ["CR-2", "R-4"]
    assert decision.date == dt.date(2027, 1, 12) and decision.version == 2
    assert AuditEvent.objects.filter(action="decision.update").count() == 1
    assert b"Edit" in client_for("member").get("/projects/APL/decisions/").content


def test_decision_edit_errors_stale_versions_and_roles(client_for: Any, decision: Decision) -> None:
    url = f"/projects/APL/decisions/{decision.pk}/edit/"
    empty = client_for("member").post(url, _decision_form(decision, decision=""))
    assert empty.status_code == 422 and b"must not be empty" in empty.content
    stale = client_for("member").post(url, _decision_form(decision, version="9"), **HX)
    assert stale.status_code == 200 and b"changed by someone else" in stale.content
    assert client_for("viewer").post(url, _decision_form(decision)).status_code == 403
    assert client_for("viewer").get(url).status_code == 403
    assert client_for("outsider").get(url).status_code == 404
    decision.refresh_from_db()
    assert decision.decision == "Buy Cisco"
    plain = client_for("member").post(url, _decision_form(decision))
    assert plain.status_code == 302 and plain["Location"] == "/projects/APL/decisions/"
    assert client_for("member").get(url).status_code == 200  # the page without htmx


def test_deliverable_edit_in_place(client_for: Any, deliverable: Deliverable, tasks: Any) -> None:
    url = f"/projects/APL/quality/{deliverable.pk}/edit/"
    assert b"Save deliverable" in client_for("member").get(url, **HX).content
    saved = client_for("member").post(url, {
        "version": deliverable.version, "name": "Runbook v2", "owner": "mia",
        "due_date": "2027-03-01", "task": str(tasks["code"].pk), "status": "in_review",
        "description": "Ops handbook", "acceptance_criteria": "Reviewed\nSigned by ops",
    }, **HX)  # fmt: skip
    assert saved.status_code == 200 and b"Runbook v2" in saved.content
    found = Deliverable.objects.get(pk=deliverable.pk)
    assert found.acceptance_criteria == ["Reviewed", "Signed by ops"]
    assert found.status == "in_review" and found.owner.username == "mia"
    assert found.task == tasks["code"] and found.due_date == dt.date(2027, 3, 1)
    refused = client_for("viewer").post(url, {"version": found.version, "name": "X"})
    assert refused.status_code == 403
    assert Deliverable.objects.get(pk=deliverable.pk).name == "Runbook v2"


def test_checks_and_acceptance_answer_the_card_with_htmx(
    client_for: Any, deliverable: Deliverable
) -> None:
    url = f"/projects/APL/quality/{deliverable.pk}/action/"
    card = client_for("manager").get("/projects/APL/quality/").content
    assert b"none yet; record a check before accepting" in card and b"hx-post" in card
    check = client_for("member").post(url, {"action": "check", "kind": "Peer review",
                                            "result": "failed", "notes": "typos"}, **HX)  # fmt: skip
    assert check.status_code == 200 and b"Check recorded." in check.content
    assert QualityCheck.objects.filter(deliverable=deliverable, result="failed").exists()
    reject = client_for("manager").post(url, {"action": "reject", "comment": ""}, **HX)
    assert b'role="alert"' in reject.content
    # A rejection with its reason names the rework task it put on the plan.
    rejected = client_for("manager").post(
        url,
        {"action": "reject", "comment": "Runbook misses the rollback",
         "version": Deliverable.objects.get(pk=deliverable.pk).version},
        **HX,
    )  # fmt: skip
    rework = Task.objects.get(name__startswith="Rework ")
    assert "Runbook misses the rollback" in rework.name
    assert f"Rework task {rework.wbs_code} “{rework.name}” is on the plan" in (
        rejected.content.decode()
    )
    accept = client_for("manager").post(
        url,
        {"action": "accept", "version": Deliverable.objects.get(pk=deliverable.pk).version},
        **HX,
    )
    assert b"Accepted." in accept.content
    assert Deliverable.objects.get(pk=deliverable.pk).status == "accepted"
    refused = client_for("member").post(url, {"action": "accept"}, **HX)
    assert refused.status_code == 403


def test_an_issue_is_edited_on_the_page(
    client_for: Any, project: Any, people: Any, tasks: Any
) -> None:
    risk = services.risk_create(actor=people["member"], project=project, title="Vendor late",
                                category="vendor")  # fmt: skip
    issue = services.issue_create(actor=people["member"], project=project, title="Printer",
                                  tasks=[tasks["design"]])  # fmt: skip
    page = client_for("member").get("/projects/APL/issues/").content.decode()
    assert "Save I-1" in page and 'name="links" value="1"' in page
    url = f"/projects/APL/issues/{issue.pk}/"
    form = {"version": issue.version, "links": "1", "status": "in_progress", "resolution": "",
            "title": "Printer jams", "description": "Tray 2", "severity": "high",
            "owner": "manny", "due_date": "2027-02-01",
            "tasks": [str(tasks["code"].pk)], "risks": [str(risk.pk)]}  # fmt: skip
    saved = client_for("member").post(url, form)
    assert saved.status_code == 302
    found = Issue.objects.get(pk=issue.pk)
    assert (found.title, found.description, found.severity, found.status) == (
        "Printer jams", "Tray 2", "high", "in_progress")  # fmt: skip
    assert found.owner == people["manager"] and found.due_date == dt.date(2027, 2, 1)
    assert list(found.tasks.all()) == [tasks["code"]] and list(found.risks.all()) == [risk]
    event = AuditEvent.objects.filter(action="issue.update").latest("id")
    assert {"title", "severity", "owner", "due_date", "tasks", "risks"} <= set(event.changes)
    # The row's quick form (status and resolution only) leaves the links alone.
    quick = client_for("member").post(url, {"version": found.version, "status": "resolved",
                                            "resolution": "New tray"})  # fmt: skip
    assert quick.status_code == 302
    found = Issue.objects.get(pk=issue.pk)
    assert found.status == "resolved" and list(found.tasks.all()) == [tasks["code"]]
    # Clearing: the Edit form with nothing selected unlinks; a bad date or a stale version
    # changes nothing and says why.
    cleared = {**form, "version": found.version, "status": "resolved", "resolution": "New tray"}
    cleared.pop("tasks"), cleared.pop("risks")
    client_for("member").post(url, cleared)
    found = Issue.objects.get(pk=issue.pk)
    assert not found.tasks.exists() and not found.risks.exists()
    bad = client_for("member").post(url, {**cleared, "version": found.version,
                                          "due_date": "soon", "title": "X"}, follow=True)  # fmt: skip
    assert b"due_date: a date such as 2027-03-01" in bad.content
    stale = client_for("member").post(url, {**cleared, "version": "1", "title": "X"}, follow=True)
    assert b"changed by someone else" in stale.content
    assert Issue.objects.get(pk=issue.pk).title == "Printer jams"
    refused = client_for("viewer").post(url, {**cleared, "title": "X"})
    assert refused.status_code == 403 and Issue.objects.get(pk=issue.pk).title == "Printer jams"


def test_an_issue_linked_to_a_phase_keeps_it_when_edited_on_the_page(
    client_for: Any, project: Any, people: Any, tasks: Any
) -> None:
    # An issue may concern a whole phase (a summary task); the edit form must list it, selected,
    # or saving the form would silently unlink it.
    issue = services.issue_create(actor=people["member"], project=project, title="Lab late",
                                  tasks=[tasks["phase"]])  # fmt: skip
    page = client_for("member").get("/projects/APL/issues/").content.decode()
    assert f'<option value="{tasks["phase"].pk}" selected>' in page
    form = {"version": issue.version, "links": "1", "status": "open", "resolution": "",
            "title": "Lab late again", "tasks": [str(tasks["phase"].pk)]}  # fmt: skip
    assert client_for("member").post(f"/projects/APL/issues/{issue.pk}/", form).status_code == 302
    found = Issue.objects.get(pk=issue.pk)
    assert found.title == "Lab late again" and list(found.tasks.all()) == [tasks["phase"]]


def test_a_draft_change_request_is_edited_on_its_page(
    client_for: Any, project: Any, people: Any, tasks: Any
) -> None:
    code = tasks["code"]
    change = changes.change_request_create(
        actor=people["member"], project=project, title="More code",
        operations=[{"op": "change_duration", "task": code.pk, "hours": 48}],
        board=[people["admin"]],  # not a member: named through the API
    )  # fmt: skip
    assert change.impact["finish_delta_hours"] == 8
    page = client_for("member").get(f"/projects/APL/changes/{change.pk}/").content.decode()
    assert "Edit the draft" in page and "&quot;change_duration&quot;" in page
    assert 'value="admin" checked' in page and 'value="manny" >' in page
    url = f"/projects/APL/changes/{change.pk}/action/"
    form = {"action": "edit", "version": change.version, "title": "Much more code",
            "reason": "Scope grew", "description": "", "scope_impact": "", "risk_impact": "",
            "operations": json.dumps([{"op": "change_duration", "task": code.pk, "hours": 80}]),
            "budget_changes": "[]", "board": ["admin", "manny", "olivia"], "save_baseline": "on",
            "baseline_name": "After more code"}  # fmt: skip
    saved = client_for("member").post(url, form, follow=True)
    assert b"Draft saved" in saved.content
    found = ChangeRequest.objects.get(pk=change.pk)
    assert (found.title, found.reason, found.save_baseline) == (
        "Much more code",
        "Scope grew",
        True,
    )
    assert found.operations == [{"op": "change_duration", "task": code.pk, "hours": 80}]
    assert found.impact["finish_delta_hours"] == 40  # recomputed on a copy of the plan
    assert sorted(found.board.values_list("username", flat=True)) == ["admin", "manny", "olivia"]
    assert Task.objects.get(pk=code.pk).duration_hours == 40  # the plan is untouched
    bad = client_for("member").post(url, {**form, "version": found.version,
                                          "operations": "[{"}, follow=True)  # fmt: skip
    assert b"operations: not valid JSON" in bad.content
    foreign = client_for("member").post(url, {**form, "version": found.version, "operations":
                                              json.dumps([{"op": "remove_task", "task": 10**9}])},
                                        follow=True)  # fmt: skip
    assert b"operations[0].task" in foreign.content
    assert ChangeRequest.objects.get(pk=change.pk).operations == found.operations
    assert client_for("viewer").post(url, {**form, "version": found.version}).status_code == 403
    changes.change_request_submit(actor=people["member"], change=found, version=None)
    frozen = client_for("member").post(url, {**form, "version": found.version + 1,
                                             "title": "Sneaky"}, follow=True)  # fmt: skip
    assert b"only a draft can be edited" in frozen.content
    assert ChangeRequest.objects.get(pk=change.pk).title == "Much more code"
    assert (
        "Edit the draft"
        not in client_for("member").get(f"/projects/APL/changes/{change.pk}/").content.decode()
    )
