"""The control API end to end: risks, forecast, issues, change requests, deliverables."""

from __future__ import annotations

import json
from typing import Any

V1 = "/api/v1"


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, json.dumps(body), content_type="application/json")


def test_risk_crud_heat_map_and_filters(api, project, tasks) -> None:
    member = api("member")
    made = post(member, f"{V1}/projects/APL/risks", {
        "title": "Vendor delivery delay", "category": "vendor", "probability": 4, "impact": 5,
        "chance": "0.3", "delay_hours": 40, "delay_tasks": [tasks["code"].pk], "cost": "1500.00",
    })  # fmt: skip
    assert made.status_code == 201, made.content
    risk = made.json()
    assert (
        risk["code"] == "R-1" and risk["score"] == 20 and risk["delay_tasks"] == [tasks["code"].pk]
    )
    changed = patch(member, f"{V1}/projects/APL/risks/{risk['id']}",
                    {"version": risk["version"], "residual_probability": 2, "residual_impact": 3})  # fmt: skip
    assert changed.status_code == 200 and changed.json()["residual_score"] == 6
    stale = patch(member, f"{V1}/projects/APL/risks/{risk['id']}", {"version": 1, "title": "x"})
    assert stale.status_code == 409
    heat = member.get(f"{V1}/projects/APL/risks/heat-map?view=after").json()
    assert {(c["probability"], c["impact"]): c["count"] for c in heat["cells"] if c["count"]} == {
        (2, 3): 1
    }
    cell = member.get(f"{V1}/projects/APL/risks?probability=4&impact=5").json()
    assert [r["title"] for r in cell["items"]] == ["Vendor delivery delay"]


def test_bad_risk_input_names_the_field(api, project) -> None:
    answer = post(api("member"), f"{V1}/projects/APL/risks",
                  {"title": "X", "category": "weather", "probability": 9})  # fmt: skip
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"category", "probability"} <= fields


def test_outsiders_do_not_see_the_register(api, project) -> None:
    assert api("outsider").get(f"{V1}/projects/APL/risks").status_code == 404
    assert post(api("viewer"), f"{V1}/projects/APL/risks",
                {"title": "X", "category": "cost"}).status_code == 403  # fmt: skip


def test_forecast_post_then_get(api, project, tasks) -> None:
    member = api("member")
    assert member.put(f"{V1}/projects/APL/estimates/{tasks['code'].pk}", json.dumps(
        {"optimistic_hours": 24, "most_likely_hours": 40, "pessimistic_hours": 80}),
        content_type="application/json").status_code == 200  # fmt: skip
    run = post(member, f"{V1}/projects/APL/forecast", {"iterations": 1000, "seed": 5})
    assert run.status_code == 201, run.content
    assert run.json()["status"] == "done"
    latest = member.get(f"{V1}/projects/APL/forecast").json()
    assert latest["id"] == run.json()["id"]
    assert set(latest["results"]["finish"]) == {"p10", "p50", "p80", "p95"}
    again = post(member, f"{V1}/projects/APL/forecast", {"iterations": 1000, "seed": 5}).json()
    assert again["results"] == latest["results"]


def test_change_request_through_the_api(api, project, tasks, people) -> None:
    member, manager = api("member"), api("manager")
    made = post(member, f"{V1}/projects/APL/change-requests", {
        "title": "Longer coding", "reason": "New interface",
        "operations": [{"op": "change_duration", "task": tasks["code"].pk, "hours": 56}],
        "board": ["manny"],
    })  # fmt: skip
    assert made.status_code == 201, made.content
    change = made.json()
    assert change["impact"]["finish_delta_hours"] == 16
    url = f"{V1}/projects/APL/change-requests/{change['id']}"
    assert post(manager, f"{url}/apply", {}).status_code == 409  # still a draft
    assert post(member, f"{url}/submit", {"version": change["version"]}).status_code == 200
    assert post(member, f"{url}/approve", {}).status_code == 403  # not on the board
    approved = post(manager, f"{url}/approve", {"comment": "OK"})
    assert approved.json()["status"] == "approved"
    assert post(manager, f"{url}/apply", {}).json()["status"] == "applied"
    assert post(manager, f"{url}/apply", {}).status_code == 409
    assert member.get(f"{V1}/tasks/{tasks['code'].pk}").json()["duration_hours"] == 56


def test_an_unknown_operation_is_a_422_naming_it(api, project) -> None:
    answer = post(api("member"), f"{V1}/projects/APL/change-requests",
                  {"title": "x", "operations": [{"op": "explode"}]})  # fmt: skip
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "operations[0].op"


def test_deliverable_acceptance_and_defects(api, project) -> None:
    member, manager = api("member"), api("manager")
    made = post(member, f"{V1}/projects/APL/deliverables",
                {"name": "Runbook", "acceptance_criteria": ["Reviewed by ops"]}).json()  # fmt: skip
    url = f"{V1}/projects/APL/deliverables/{made['id']}"
    check = post(member, f"{url}/checks", {"kind": "Peer review", "result": "failed",
                                           "checked_on": "2027-02-01"})  # fmt: skip
    assert check.status_code == 201
    defect = post(member, f"{url}/defects", {"title": "Restore steps missing"})
    assert defect.status_code == 201 and defect.json()["code"] == "I-1"
    assert post(member, f"{url}/accept", {"accept": True}).status_code == 403
    assert post(manager, f"{url}/accept", {"accept": False}).status_code == 422
    accepted = post(manager, f"{url}/accept", {"accept": True})
    assert accepted.json()["status"] == "accepted"


def test_a_named_acceptor_signs_deliverables_and_a_rejection_comes_back_as_a_task(
    api, project, people
) -> None:
    from itpm.core.models import AuditEvent
    from itpm.planning.models import Task
    from itpm.portfolio.closing import closure_acceptors_set

    # The viewer is the business owner named to sign the project off: they sign deliverables
    # too; a member who is not named still may not.
    closure_acceptors_set(actor=people["owner"], project=project, users=[people["viewer"]])
    made = post(api("member"), f"{V1}/projects/APL/deliverables", {"name": "Runbook"}).json()
    url = f"{V1}/projects/APL/deliverables/{made['id']}/accept"
    assert post(api("member"), url, {"accept": True}).status_code == 403
    rejected = post(api("viewer"), url, {"accept": False, "comment": "Restore steps missing"})
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["status"] == "rejected"
    rework = Task.objects.get(project=project, name="Rework Runbook: Restore steps missing")
    assert "rejected Runbook: Restore steps missing" in rework.description
    event = AuditEvent.objects.filter(action="deliverable.reject").get()
    assert event.changes["rework_task"] == [None, rework.pk]
    accepted = post(api("viewer"), url, {"accept": True, "version": rejected.json()["version"]})
    assert accepted.json()["status"] == "accepted" and accepted.json()["accepted_by"] == "vic"


def test_decisions_and_issues(api, project) -> None:
    member = api("member")
    made = post(member, f"{V1}/projects/APL/decisions", {"date": "2027-02-01",
                "decision": "Use vendor B", "made_by": "Steering committee", "links": ["CR-1"]})  # fmt: skip
    assert made.status_code == 201
    issue = post(
        member, f"{V1}/projects/APL/issues", {"title": "Switch DOA", "severity": "high"}
    ).json()
    resolved = patch(member, f"{V1}/projects/APL/issues/{issue['id']}",
                     {"version": issue["version"], "status": "resolved"})  # fmt: skip
    assert resolved.status_code == 422 and resolved.json()["errors"][0]["field"] == "resolution"
    resolved = patch(member, f"{V1}/projects/APL/issues/{issue['id']}",
                     {"version": issue["version"], "status": "resolved", "resolution": "RMA"})  # fmt: skip
    assert resolved.json()["status"] == "resolved"


def test_existing_tasks_are_linked_as_response_actions(
    api, project, people, tasks, foreign_project
) -> None:
    from django.test import Client

    from itpm.control.models import Risk
    from itpm.core.models import AuditEvent
    from itpm.planning.services import task_create

    member = api("member")
    made = post(member, f"{V1}/projects/APL/risks", {
        "title": "Cut-over outage", "category": "operational",
        "response_tasks": [tasks["design"].pk]})  # fmt: skip
    assert made.status_code == 201 and made.json()["response_tasks"] == [tasks["design"].pk]
    url = f"{V1}/projects/APL/risks/{made.json()['id']}"
    both = [tasks["code"].pk, tasks["design"].pk]
    linked = patch(member, url, {"version": made.json()["version"], "response_tasks": both})
    assert linked.status_code == 200
    assert sorted(linked.json()["response_tasks"]) == sorted([tasks["code"].pk, tasks["design"].pk])
    assert linked.json()["version"] == made.json()["version"] + 1
    event = AuditEvent.objects.filter(action="risk.update").latest("id")
    assert "response_tasks" in event.changes
    # Other fields leave the links alone; a task of another project is refused by name.
    untouched = patch(member, url, {"version": linked.json()["version"], "impact": 4})
    assert untouched.status_code == 200 and len(untouched.json()["response_tasks"]) == 2
    alien = task_create(actor=people["outsider"], project=foreign_project, name="Secret",
                        duration_hours=8)  # fmt: skip
    refused = patch(member, url, {"version": untouched.json()["version"],
                                  "response_tasks": [alien.pk]})  # fmt: skip
    assert refused.status_code == 422 and "response_tasks" in refused.content.decode()
    risk = Risk.objects.get(pk=made.json()["id"])
    assert risk.response_tasks.count() == 2
    # On the page: the Edit form lists the plan's tasks; unselecting one unlinks it.
    page = Client()
    page.force_login(people["member"])
    form = page.get(f"/projects/APL/risks/{risk.pk}/").content.decode()
    assert 'name="response_tasks"' in form and 'name="response_links"' in form
    answer = page.post(f"/projects/APL/risks/{risk.pk}/", {
        "version": risk.version, "title": risk.title, "category": risk.category,
        "probability": "3", "impact": "4", "response_links": "1",
        "response_tasks": [str(tasks["code"].pk)]})  # fmt: skip
    assert answer.status_code == 302
    assert list(Risk.objects.get(pk=risk.pk).response_tasks.all()) == [tasks["code"]]
