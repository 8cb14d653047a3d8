"""Decisions and deliverables are edited on the pages (in place with htmx, or as a page),
and deliverables are checked and accepted there."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from itpm.control import services
from itpm.control.models import Decision, Deliverable, QualityCheck
from itpm.core.models import AuditEvent

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
    accept = client_for("manager").post(
        url,
        {"action": "accept", "version": Deliverable.objects.get(pk=deliverable.pk).version},
        **HX,
    )
    assert b"Accepted." in accept.content
    assert Deliverable.objects.get(pk=deliverable.pk).status == "accepted"
    refused = client_for("member").post(url, {"action": "accept"}, **HX)
    assert refused.status_code == 403
