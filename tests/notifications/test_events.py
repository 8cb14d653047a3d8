"""Notices from the other apps' use cases: assignment, description @mentions, approvals
requested (change board, timesheet, purchase request), published status reports, gates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from itpm.notifications.models import Notification
from itpm.planning.resource_services import assignment_create, resource_create
from itpm.planning.services import task_update

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def jobs(settings: Any, django_capture_on_commit_callbacks: Any) -> Any:
    settings.TASKS = IMMEDIATE
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _inbox(user: Any, kind: str | None = None) -> list[str]:
    rows = Notification.objects.filter(recipient=user)
    if kind:
        rows = rows.filter(kind=kind)
    return [n.text for n in rows]


def test_assigning_a_person_to_a_task_notifies_them_by_mail(people: Any, tasks: Any,
                                                            jobs: Any) -> None:  # fmt: skip
    design = tasks["design"]
    with jobs():
        task_update(actor=people["owner"], task=design, version=design.version,
                    data={"assignees": [people["member"], people["owner"]]})  # fmt: skip
    assert _inbox(people["member"], "assignment") == ["You were assigned to APL 1.1 Design"]
    assert _inbox(people["owner"]) == []  # not told about their own act
    assert [m.to for m in mail.outbox] == [["mia@example.com"]]
    notice = Notification.objects.get(recipient=people["member"])
    assert notice.url == f"/tasks/{design.pk}/discussion/" and notice.actor == people["owner"]


def test_assigning_a_resource_linked_to_a_user_notifies_that_user(people: Any, tasks: Any,
                                                                 jobs: Any) -> None:  # fmt: skip
    resource = resource_create(actor=people["admin"], name="Mia", user=people["member"])
    with jobs():
        assignment_create(actor=people["owner"], task=tasks["code"], resource=resource,
                          units="0.5")  # fmt: skip
    assert _inbox(people["member"], "assignment") == ["You were assigned to APL 1.2 Code at 50 %"]
    assert len(mail.outbox) == 1


def test_a_description_mention_notifies_members_once_and_never_outsiders(
    people: Any, tasks: Any, jobs: Any
) -> None:
    design = tasks["design"]
    with jobs():
        design = task_update(actor=people["owner"], task=design, version=design.version,
                             data={"description": "Ask @mia and @oscar (cc @nobody)."})  # fmt: skip
    assert len(_inbox(people["member"], "mention")) == 1
    assert "mentioned you in APL task 1.1 Design" in _inbox(people["member"])[0]
    assert _inbox(people["outsider"]) == []  # oscar cannot see APL
    # Editing the description again does not re-notify mia; a new name is told.
    with jobs():
        task_update(actor=people["owner"], task=design, version=design.version,
                    data={"description": "Ask @mia and @vic."})  # fmt: skip
    assert len(_inbox(people["member"], "mention")) == 1
    assert len(_inbox(people["viewer"], "mention")) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["mia@example.com", "vic@example.com"]


def test_submitting_a_change_request_asks_the_board(project: Any, people: Any, tasks: Any) -> None:
    from itpm.control import changes

    change = changes.change_request_create(
        actor=people["member"], project=project, title="More code", board=[people["manager"]],
        operations=[{"op": "change_duration", "task": tasks["code"].pk, "hours": 48}],
    )  # fmt: skip
    assert _inbox(people["manager"]) == []
    changes.change_request_submit(actor=people["member"], change=change, version=change.version)
    assert _inbox(people["manager"], "approval") == [
        f"Your vote is requested: APL {change.code} More code"
    ]


def test_a_submitted_timesheet_asks_the_project_managers(people: Any, tasks: Any) -> None:
    from itpm.tracking import timesheets

    monday = dt.date(2027, 1, 4)
    timesheets.time_entry_create(actor=people["member"], task=tasks["design"], date=monday,
                                 hours="3")  # fmt: skip
    timesheets.timesheet_submit(actor=people["member"], monday=monday)
    for person in ("owner", "manager"):
        texts = _inbox(people[person], "approval")
        assert len(texts) == 1 and "submitted the APL timesheet" in texts[0]
    assert _inbox(people["viewer"]) == [] and _inbox(people["member"]) == []


def test_publishing_a_status_report_tells_the_team(project: Any, people: Any, tasks: Any) -> None:
    from itpm.tracking import reports

    report = reports.status_report_generate(actor=people["owner"], project=project,
                                            status_date=dt.date(2027, 1, 29))  # fmt: skip
    assert Notification.objects.count() == 0
    reports.status_report_update(actor=people["owner"], report=report, version=report.version,
                                 data={"publish": True})  # fmt: skip
    assert len(_inbox(people["viewer"], "status_report")) == 1
    assert _inbox(people["owner"]) == []


def test_a_gate_decision_is_a_gate_decision_notice(project: Any, people: Any) -> None:
    from itpm.portfolio import gates

    gate = gates.gate_open(actor=people["owner"], project=project,
                           approvers=[{"user": people["viewer"], "team": None}])  # fmt: skip
    assert _inbox(people["viewer"], "approval")
    gates.gate_decide(actor=people["owner"], gate=gate, version=gate.version, decision="hold",
                      comment="Wait for the budget")  # fmt: skip
    assert len(_inbox(people["viewer"], "gate_decision")) == 1


def test_a_submitted_purchase_request_asks_procurement_and_above_the_threshold_the_manager(
    project: Any, people: Any, settings: Any
) -> None:
    from itpm.accounts.models import Team, TeamKind
    from itpm.tracking import procurement, services
    from itpm.tracking.models import PurchaseRequest

    buyers = Team.objects.create(name="Buyers", kind=TeamKind.PROCUREMENT)
    buyers.members.add(people["outsider"])
    line = services.budget_line_create(actor=people["owner"], project=project,
                                       category="hardware", name="Racks")  # fmt: skip
    settings.ITPM_PROCUREMENT_MANAGER_THRESHOLD = 10000

    def request(price: str) -> Any:
        return procurement.purchase_request_create(
            actor=people["member"], project=project, title=f"Servers {price}", vendor="V",
            line=line, justification="j", submit=True,
            items=[{"description": "Server", "quantity": "1", "unit_price": price}],
        )  # fmt: skip

    request("500.00")
    assert len(_inbox(people["outsider"], "approval")) == 1  # procurement, project or not
    assert _inbox(people["manager"]) == []  # below the threshold
    request("20000.00")
    assert len(_inbox(people["outsider"], "approval")) == 2
    second = PurchaseRequest.objects.get(title="Servers 20000.00")
    assert _inbox(people["manager"], "approval") == [
        f"Your approval is requested: APL purchase request {second.number} Servers 20000.00"
    ]


def test_a_resource_whose_person_is_not_on_the_project_is_not_told(people: Any, tasks: Any) -> None:
    # Resources are shared across projects; the outsider's resource works on APL's task.
    resource = resource_create(actor=people["admin"], name="Oscar", user=people["outsider"])
    assignment_create(actor=people["owner"], task=tasks["code"], resource=resource, units=1)
    assert _inbox(people["outsider"]) == []
