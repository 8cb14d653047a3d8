"""Every write path checks its fields, not only the API schema: the page forms reach the
same services, and a value wider than its column must be a 422 naming the field (on
PostgreSQL it would otherwise be a DataError, a 500)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from itpm.control import changes, services
from itpm.control.models import ChangeRequest, Decision, Deliverable, QualityCheck
from itpm.core.errors import Invalid
from itpm.planning.models import Task

pytestmark = pytest.mark.django_db
LONG = "x" * 201
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rows(project: Any, people: Any) -> dict[str, Any]:
    member = people["member"]
    return {
        "decision": services.decision_create(actor=member, project=project,
                                             date=dt.date(2027, 1, 10), decision="Buy Cisco",
                                             made_by="Board"),
        "deliverable": services.deliverable_create(actor=member, project=project, name="Runbook"),
        "change": changes.change_request_create(actor=member, project=project, title="More code"),
    }  # fmt: skip


def _update_decision(**data: Any) -> Callable[[Any, Any], Any]:
    return lambda p, r: services.decision_update(actor=p["member"], decision=r["decision"],
                                                 version=None, data=data)  # fmt: skip


CASES: list[tuple[str, Callable[[Any, Any], Any], str]] = [
    ("decision made_by too long", _update_decision(made_by=LONG), "made_by"),
    ("decision made_by blank", _update_decision(made_by="  "), "made_by"),
    ("decision text blank", _update_decision(decision=""), "decision"),
    ("decision text too long", _update_decision(decision="x" * 10_001), "decision"),
    ("decision too many links", _update_decision(links=[f"R-{n}" for n in range(51)]), "links"),
    ("decision link too long", _update_decision(links=["https://" + "x" * 500]), "links"),
    ("deliverable name too long", lambda p, r: services.deliverable_update(
        actor=p["member"], deliverable=r["deliverable"], version=None, data={"name": LONG}),
     "name"),
    ("evidence link too long", lambda p, r: services.quality_check_record(
        actor=p["member"], deliverable=r["deliverable"], kind="Review", result="passed",
        checked_on=dt.date(2027, 1, 11), evidence_url="https://e.example/" + "x" * 500),
     "evidence_url"),
    ("reviewer outside the project", lambda p, r: services.quality_check_record(
        actor=p["member"], deliverable=r["deliverable"], kind="Review", result="passed",
        checked_on=dt.date(2027, 1, 11), reviewer=p["outsider"]), "reviewer"),
    ("defect task without a title", lambda p, r: services.defect_raise(
        actor=p["member"], deliverable=r["deliverable"], title=" ", as_task=True), "title"),
    ("defect title too long", lambda p, r: services.defect_raise(
        actor=p["member"], deliverable=r["deliverable"], title=LONG, as_task=True), "title"),
    ("change title too long", lambda p, r: changes.change_request_update(
        actor=p["member"], change=r["change"], version=None, data={"title": LONG}), "title"),
    ("baseline name too long", lambda p, r: changes.change_request_update(
        actor=p["member"], change=r["change"], version=None, data={"baseline_name": "b" * 121}),
     "baseline_name"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_value_is_refused_naming_its_field_and_changes_nothing(
    project: Any, people: Any, rows: dict[str, Any], call: Any, field: str
) -> None:
    before = {
        "decision": Decision.objects.values().get(pk=rows["decision"].pk),
        "deliverable": Deliverable.objects.values().get(pk=rows["deliverable"].pk),
        "change": ChangeRequest.objects.values().get(pk=rows["change"].pk),
        "tasks": Task.objects.filter(project=project).count(),
        "checks": QualityCheck.objects.count(),
    }
    with pytest.raises(Invalid) as refused:
        call(people, rows)
    assert [e.field for e in refused.value.errors] == [field]
    after = {
        "decision": Decision.objects.values().get(pk=rows["decision"].pk),
        "deliverable": Deliverable.objects.values().get(pk=rows["deliverable"].pk),
        "change": ChangeRequest.objects.values().get(pk=rows["change"].pk),
        "tasks": Task.objects.filter(project=project).count(),
        "checks": QualityCheck.objects.count(),
    }
    assert after == before


def test_values_are_stripped_on_update_as_on_create(people: Any, rows: dict[str, Any]) -> None:
    decision = services.decision_update(actor=people["member"], decision=rows["decision"],
                                        version=None, data={"made_by": "  CAB ",
                                                            "links": [" CR-1 ", "", "R-2"]})  # fmt: skip
    assert (decision.made_by, decision.links) == ("CAB", ["CR-1", "R-2"])
    deliverable = services.deliverable_update(actor=people["member"],
                                              deliverable=rows["deliverable"], version=None,
                                              data={"name": " Runbook v2 "})  # fmt: skip
    assert Deliverable.objects.get(pk=deliverable.pk).name == "Runbook v2"


def test_the_edit_pages_answer_a_too_long_value_with_the_field(
    people: Any, rows: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(people["member"])
    decision = rows["decision"]
    answer = client.post(f"/projects/APL/decisions/{decision.pk}/edit/", {
        "version": decision.version, "date": "2027-01-12", "decision": "Buy Juniper",
        "made_by": LONG, "rationale": "", "links": ""})  # fmt: skip
    assert answer.status_code == 422 and b"made_by: must be 1 to 200 characters" in answer.content
    assert Decision.objects.get(pk=decision.pk).decision == "Buy Cisco"
    deliverable = rows["deliverable"]
    answer = client.post(f"/projects/APL/quality/{deliverable.pk}/edit/", {
        "version": deliverable.version, "name": LONG, "description": "",
        "acceptance_criteria": "", "owner": "", "due_date": "", "task": "", "status": "planned",
    })  # fmt: skip
    assert answer.status_code == 422 and b"name: must be 1 to 200 characters" in answer.content
    action = f"/projects/APL/quality/{deliverable.pk}/action/"
    check = client.post(action, {"action": "check", "kind": "Review", "result": "passed",
                                 "evidence_url": "https://e.example/" + "x" * 500}, **HX)  # fmt: skip
    assert check.status_code == 200 and b'role="alert"' in check.content
    assert b"evidence_url" in check.content and not QualityCheck.objects.exists()
    tasks = Task.objects.count()
    defect = client.post(action, {"action": "defect", "title": "", "as": "task"}, **HX)
    assert b"title: must be 1 to 200 characters" in defect.content
    assert Task.objects.count() == tasks
