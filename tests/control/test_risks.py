"""Risk register: heat map counts, filters, templates, risk → issue, closure hooks."""

from __future__ import annotations

import pytest

from itpm.control import selectors, services
from itpm.core.errors import Invalid
from itpm.portfolio.closing import closure_checklist


def _risk(project, people, title, p, i, **extra):
    return services.risk_create(actor=people["member"], project=project, title=title,
                                category="technical", probability=p, impact=i, **extra)  # fmt: skip


def test_heat_map_counts_open_risks_per_cell_before_and_after_response(project, people) -> None:
    _risk(project, people, "A", 4, 5, residual_probability=2, residual_impact=3)
    _risk(project, people, "B", 4, 5)
    _risk(project, people, "C", 1, 1)
    closed = _risk(project, people, "D", 4, 5)
    services.risk_update(actor=people["member"], risk=closed, version=None,
                         data={"status": "closed"})  # fmt: skip
    assert selectors.heat_counts(project, "before") == {(4, 5): 2, (1, 1): 1}
    # A risk without a residual assessment stays where it was.
    assert selectors.heat_counts(project, "after") == {(2, 3): 1, (4, 5): 1, (1, 1): 1}
    grid = selectors.heat_map(project, "before", "/x/")
    cell = next(c for c in grid["cells"] if (c["probability"], c["impact"]) == (4, 5))
    assert cell["count"] == 2 and "probability=4&impact=5" in cell["url"]
    listed = selectors.risk_list(project, probability=4, impact=5, status="open")
    assert [r.title for r in listed] == ["A", "B"]


def test_an_opportunity_takes_opportunity_strategies(project, people) -> None:
    with pytest.raises(Invalid, match="response_strategy"):
        _risk(project, people, "Bulk discount", 3, 3, kind="opportunity", response_strategy="avoid")
    risk = _risk(project, people, "Bulk discount", 3, 3, kind="opportunity")
    assert risk.response_strategy == "exploit"


def test_a_risk_that_occurs_becomes_an_issue(project, people, tasks) -> None:
    risk = _risk(project, people, "Switch failure", 3, 4, delay_tasks=[tasks["code"]])
    issue = services.risk_to_issue(actor=people["member"], risk=risk, version=risk.version)
    risk.refresh_from_db()
    assert risk.status == "occurred"
    assert list(issue.risks.all()) == [risk]
    assert list(issue.tasks.all()) == [tasks["code"]]
    assert issue.severity == "high"


def test_response_actions_are_tasks_of_the_plan(project, people, tasks) -> None:
    risk = _risk(project, people, "Vendor late", 3, 4)
    task = services.risk_add_response_task(actor=people["member"], risk=risk,
                                           name="Order from a second vendor")  # fmt: skip
    assert task.project_id == project.pk
    assert list(risk.response_tasks.all()) == [task]


def test_closure_checklist_reads_deliverables_and_open_risks(project, people) -> None:
    items = {i.key: i for i in closure_checklist(project)}
    assert items["deliverables"].state == "not_applicable"
    assert items["risks_issues"].state == "done"
    _risk(project, people, "Open one", 2, 2)
    deliverable = services.deliverable_create(actor=people["member"], project=project,
                                              name="Runbook", acceptance_criteria="Reviewed\nSigned")  # fmt: skip
    items = {i.key: i for i in closure_checklist(project)}
    assert items["deliverables"].state == "open"
    assert items["risks_issues"].state == "open"
    services.deliverable_decide(actor=people["manager"], deliverable=deliverable,
                                version=deliverable.version, accept=True)  # fmt: skip
    items = {i.key: i for i in closure_checklist(project)}
    assert items["deliverables"].state == "done"


def test_a_defect_found_in_review_becomes_an_issue_or_a_task(project, people) -> None:
    deliverable = services.deliverable_create(
        actor=people["member"], project=project, name="Portal"
    )
    services.quality_check_record(actor=people["member"], deliverable=deliverable, kind="UAT",
                                  result="failed", checked_on=project.start_date,
                                  evidence_url="https://wiki.example.com/uat-1")  # fmt: skip
    deliverable.refresh_from_db()
    assert deliverable.status == "in_review"
    issue = services.defect_raise(actor=people["member"], deliverable=deliverable,
                                  title="Login fails on Safari")  # fmt: skip
    assert issue.deliverable_id == deliverable.pk
    task = services.defect_raise(actor=people["member"], deliverable=deliverable,
                                 title="Fix typo", as_task=True)  # fmt: skip
    assert task.name == "Fix: Fix typo"


def test_status_report_hook_lists_top_risks(project, people) -> None:
    _risk(project, people, "Big", 5, 5)
    _risk(project, people, "Small", 1, 2)
    items = selectors.status_report_items(project)
    assert [r["score"] for r in items["risks"]] == [25, 2]


def test_open_risks_due_for_review_are_listed_and_flagged(project, people, api, client) -> None:
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    _risk(project, people, "Due", 3, 3, review_date=today - dt.timedelta(days=1))
    _risk(project, people, "Due today", 2, 2, review_date=today)
    _risk(project, people, "Later", 3, 3, review_date=today + dt.timedelta(days=7))
    _risk(project, people, "Never", 3, 3)
    closed = _risk(project, people, "Closed", 3, 3, review_date=today - dt.timedelta(days=9))
    services.risk_update(actor=people["member"], risk=closed, version=None,
                         data={"status": "closed"})  # fmt: skip
    due = selectors.risk_list(project, review_due=today)
    assert [r.title for r in due] == ["Due", "Due today"]
    listed = api("viewer").get(f"/api/v1/projects/APL/risks?review_due={today.isoformat()}")
    assert [r["title"] for r in listed.json()["items"]] == ["Due", "Due today"]
    client.force_login(people["viewer"])
    page = client.get("/projects/APL/risks/?review=due").content.decode()
    assert "R-1 Due" in page and "R-2 Due today" in page and "R-3 Later" not in page
    assert page.count("(due)</span>") == 2
    everything = client.get("/projects/APL/risks/").content.decode()
    assert "R-3 Later" in everything and everything.count("(due)</span>") == 2
