"""Ticket use cases: priority matrix, SLA clock effects of status changes, replies, sweep."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from itpm.core.errors import Conflict, Forbidden, Invalid
from itpm.core.models import AuditEvent
from itpm.helpdesk.models import SlaEvent, TicketStatus
from itpm.helpdesk.services import (
    sla_sweep,
    ticket_comment_add,
    ticket_create,
    ticket_escalate,
    ticket_update,
)
from itpm.notifications.models import Notification
from itpm.planning.models import Task
from tests.helpdesk.conftest import MONDAY_9

H = dt.timedelta(hours=1)


def _ticket(desk: dict[str, Any], **extra: Any) -> Any:
    return ticket_create(
        actor=desk["requester"], queue=desk["queue"], title="Laptop will not boot",
        impact="high", urgency="medium", now=MONDAY_9, **extra,
    )  # fmt: skip


def test_priority_follows_the_queue_matrix(desk: dict[str, Any]) -> None:
    ticket = _ticket(desk)
    assert ticket.priority == "P2"  # high impact x medium urgency
    # P2: 2 business hours to respond, 8 to resolve (09-13, 14-18 calendar)
    assert ticket.first_response_due == MONDAY_9 + 2 * H
    assert ticket.resolution_due == dt.datetime(2027, 1, 4, 18, tzinfo=dt.UTC)


def test_a_configured_matrix_changes_the_priority(desk: dict[str, Any]) -> None:
    queue = desk["queue"]
    queue.priority_matrix["high"]["medium"] = "P1"
    queue.save()
    assert _ticket(desk).priority == "P1"


def test_pending_on_requester_pauses_and_their_reply_resumes(desk: dict[str, Any]) -> None:
    ticket = _ticket(desk)
    agent = desk["agent"]
    ticket_comment_add(actor=agent, ticket=ticket, body="Which model?", now=MONDAY_9 + H)
    ticket.refresh_from_db()
    assert ticket.first_responded_at == MONDAY_9 + H and ticket.status == TicketStatus.OPEN
    ticket = ticket_update(actor=agent, ticket=ticket, version=ticket.version,
                           data={"status": "pending_requester"}, now=MONDAY_9 + 2 * H)  # fmt: skip
    assert ticket.resolution_due is None  # the clock is held
    # The requester answers the next morning at 10:00: 2h used, 6h remain -> Tue 17:00.
    ticket_comment_add(actor=desk["requester"], ticket=ticket, body="X1 Carbon",
                       now=dt.datetime(2027, 1, 5, 10, tzinfo=dt.UTC))  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.resolution_due == dt.datetime(2027, 1, 5, 17, tzinfo=dt.UTC)


def test_reopening_within_the_window_resumes_the_clock(desk: dict[str, Any]) -> None:
    ticket = _ticket(desk)
    agent = desk["agent"]
    ticket = ticket_update(actor=agent, ticket=ticket, version=None,
                           data={"status": "resolved"}, now=MONDAY_9 + 2 * H)  # fmt: skip
    ticket_comment_add(actor=desk["requester"], ticket=ticket, body="Still broken",
                       now=dt.datetime(2027, 1, 5, 9, tzinfo=dt.UTC))  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.sla_cycle == 1
    # 2h used before the resolution; 6h from Tue 09:00 -> Tue 16:00.
    assert ticket.resolution_due == dt.datetime(2027, 1, 5, 16, tzinfo=dt.UTC)


def test_reopening_after_the_window_starts_a_new_clock(desk: dict[str, Any]) -> None:
    ticket = _ticket(desk)
    ticket = ticket_update(actor=desk["agent"], ticket=ticket, version=None,
                           data={"status": "resolved"}, now=MONDAY_9 + 2 * H)  # fmt: skip
    later = dt.datetime(2027, 1, 18, 9, tzinfo=dt.UTC)  # two weeks later, window is 7 days
    ticket = ticket_update(actor=desk["agent"], ticket=ticket, version=None,
                           data={"status": "open"}, now=later)  # fmt: skip
    assert ticket.sla_cycle == 2
    assert ticket.resolution_due == dt.datetime(2027, 1, 18, 18, tzinfo=dt.UTC)


def test_a_closed_ticket_cannot_be_reopened(desk: dict[str, Any]) -> None:
    ticket = _ticket(desk)
    ticket = ticket_update(actor=desk["agent"], ticket=ticket, version=None,
                           data={"status": "closed"})  # fmt: skip
    with pytest.raises(Conflict):
        ticket_update(actor=desk["agent"], ticket=ticket, version=None, data={"status": "open"})


def test_only_agents_change_tickets_and_write_notes(desk: dict[str, Any]) -> None:
    ticket = _ticket(desk)
    with pytest.raises(Forbidden):
        ticket_update(actor=desk["other_agent"], ticket=ticket, version=None,
                      data={"status": "closed"})  # fmt: skip
    with pytest.raises(Forbidden):
        ticket_comment_add(actor=desk["requester"], ticket=ticket, body="x", public=False)


def test_assignee_must_be_an_agent_of_the_queue(desk: dict[str, Any]) -> None:
    ticket = _ticket(desk)
    with pytest.raises(Invalid) as exc:
        ticket_update(actor=desk["agent"], ticket=ticket, version=None,
                      data={"assignee": desk["other_agent"]})  # fmt: skip
    assert exc.value.errors[0].field == "assignee"


def test_another_outside_requester_cannot_watch_a_ticket(desk: dict[str, Any]) -> None:
    ticket = _ticket(desk)
    with pytest.raises(Invalid) as exc:
        ticket_update(actor=desk["agent"], ticket=ticket, version=None,
                      data={"watchers": [desk["stranger"]]})  # fmt: skip
    assert exc.value.errors[0].field == "watchers"
    assert not ticket.watchers.filter(pk=desk["stranger"].pk).exists()
    # The ticket's own requester and colleagues may follow it.
    ticket_update(actor=desk["agent"], ticket=ticket, version=None,
                  data={"watchers": [desk["requester"], desk["other_agent"]]})  # fmt: skip
    assert set(ticket.watchers.all()) == {desk["requester"], desk["other_agent"]}


def test_every_change_is_in_the_history(desk: dict[str, Any]) -> None:
    ticket = _ticket(desk)
    ticket_update(actor=desk["agent"], ticket=ticket, version=None,
                  data={"assignee": desk["agent"], "urgency": "high"})  # fmt: skip
    actions = list(
        AuditEvent.objects.filter(object_type="ticket", object_id=str(ticket.pk))
        .order_by("id").values_list("action", flat=True)
    )  # fmt: skip
    assert actions == ["ticket.create", "ticket.update"]
    change = AuditEvent.objects.filter(action="ticket.update").get().changes
    assert change["priority"] == ["P2", "P1"] and change["status"] == ["new", "open"]


def test_sla_sweep_notifies_once_per_threshold(
    desk: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    ticket = _ticket(desk)
    ticket_update(actor=desk["agent"], ticket=ticket, version=None,
                  data={"assignee": desk["agent"]})  # fmt: skip
    Notification.objects.all().delete()
    mail.outbox.clear()
    # 1h45 into a 2h first-response target: the warning only.
    with django_capture_on_commit_callbacks(execute=True):
        first = sla_sweep(now=MONDAY_9 + dt.timedelta(minutes=105))
    assert first["warnings"] == 1 and first["breaches"] == 0
    # Past both targets: breaches (and the resolution warning) once each.
    late = dt.datetime(2027, 1, 5, 12, tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        second = sla_sweep(now=late)
    assert second["breaches"] == 2 and second["warnings"] == 1
    assert sla_sweep(now=late) == {"tickets": 1, "warnings": 0, "breaches": 0}
    assert SlaEvent.objects.filter(ticket=ticket).count() == 4
    ticket.refresh_from_db()
    assert ticket.response_breached and ticket.resolution_breached
    assert Notification.objects.filter(recipient=desk["agent"]).count() == 4
    assert len(mail.outbox) == 4 and "breached" in mail.outbox[-1].subject


def test_escalated_ticket_keeps_its_task_link_both_ways(
    desk: dict[str, Any], project: Any, people: dict[str, Any]
) -> None:
    from itpm.accounts.models import Role
    from itpm.accounts.services import membership_set

    membership_set(actor=people["owner"], project=project, user=desk["agent"], role=Role.MEMBER)
    ticket = _ticket(desk)
    ticket = ticket_escalate(actor=desk["agent"], ticket=ticket, project=project, kind="task")
    task = Task.objects.get(pk=ticket.escalated_task_id)
    assert task.project == project and ticket.ref in task.name
    assert list(task.escalated_tickets.all()) == [ticket]
    with pytest.raises(Conflict):
        ticket_escalate(actor=desk["agent"], ticket=ticket, project=project, kind="task")


def test_escalation_to_a_project_request_keeps_its_link(desk: dict[str, Any]) -> None:
    from itpm.helpdesk.services import escalated_request

    ticket = ticket_escalate(actor=desk["agent"], ticket=_ticket(desk), kind="request")
    request = escalated_request(ticket)
    assert request is not None and ticket.ref in request.problem
    ticket.refresh_from_db()
    assert ticket.escalated_request_id == request.pk


def test_problem_links_many_incidents(desk: dict[str, Any]) -> None:
    problem = ticket_create(actor=desk["agent"], queue=desk["queue"], title="DHCP exhaustion",
                            ticket_type="problem")  # fmt: skip
    for _ in range(3):
        ticket_update(actor=desk["agent"], ticket=_ticket(desk), version=None,
                      data={"problem": problem})  # fmt: skip
    assert problem.incidents.count() == 3
    with pytest.raises(Invalid):
        ticket_update(actor=desk["agent"], ticket=_ticket(desk), version=None,
                      data={"problem": _ticket(desk)})  # fmt: skip
