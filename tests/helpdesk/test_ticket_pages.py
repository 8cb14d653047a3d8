"""Agents' pages: SLA due times coloured by state, the overview's "my tickets", canned
replies offered per queue."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.test import Client
from django.utils import timezone

from itpm.engine.sla import elapsed_minutes
from itpm.helpdesk.models import Ticket
from itpm.helpdesk.services import (
    canned_reply_create,
    queue_create,
    sla_policy_create,
    ticket_comment_add,
    ticket_create,
    ticket_update,
)
from itpm.helpdesk.sla import queue_calendar


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _row(page: str, ticket: Ticket) -> str:
    """The list row of ``ticket``."""
    rows = [row for row in page.split("<tr") if f"<strong>{ticket.ref}</strong>" in row]
    assert len(rows) == 1, ticket.ref
    return rows[0]


def _states(row: str) -> list[str]:
    """The SLA states of a row: first response, then resolution."""
    return re.findall(r'class="sla sla-(\w+)"', row)


def _raise(desk: dict[str, Any], title: str, now: dt.datetime, queue: Any = None) -> Ticket:
    return ticket_create(actor=desk["requester"], queue=queue or desk["queue"], title=title,
                         impact="high", urgency="medium", now=now)  # fmt: skip


def test_the_list_colours_each_clock_by_its_state(
    desk: dict[str, Any], people: dict[str, Any]
) -> None:
    now = timezone.now()
    agent, admin = desk["agent"], people["admin"]
    breached = _raise(desk, "Old outage", now - dt.timedelta(days=30))
    running = _raise(desk, "Fresh request", now)
    paused = _raise(desk, "Waiting on requester", now)
    ticket_update(actor=agent, ticket=paused, version=paused.version,
                  data={"status": "pending_requester"})  # fmt: skip
    answered = _raise(desk, "Answered", now)
    ticket_comment_add(actor=agent, ticket=answered, body="Looking into it")
    # A queue whose first-response target is set so that 85 % of it has run by now: amber.
    start = now - dt.timedelta(days=7)
    probe = queue_create(actor=admin, key="PROBE", name="Probe", team=desk["team"])
    used = elapsed_minutes(queue_calendar(probe), start, now)
    target = int(used / 0.85)
    targets = {p: {"first_response_minutes": target, "resolution_minutes": 100_000}
               for p in ("P1", "P2", "P3", "P4")}  # fmt: skip
    policy = sla_policy_create(actor=admin, name="Probe policy", targets=targets)
    probe.sla_policy = policy
    probe.save()
    approaching = _raise(desk, "Approaching", start, queue=probe)

    page = _client(agent).get("/helpdesk/tickets/").content.decode()
    assert _states(_row(page, breached)) == ["breached", "breached"]
    assert 'class="sla-row-breached"' in _row(page, breached)
    assert _states(_row(page, running)) == ["running", "running"]
    assert _states(_row(page, paused)) == ["paused", "paused"]
    assert _states(_row(page, answered)) == ["met", "running"]
    assert "✓ met" in _row(page, answered)
    assert _states(_row(page, approaching)) == ["warning", "running"]
    assert 'class="sla-row-warning"' in _row(page, approaching)


def test_the_overview_lists_my_open_tickets_only(desk: dict[str, Any]) -> None:
    now = timezone.now()
    agent = desk["agent"]
    mine = _raise(desk, "Mine and open", now)
    done = _raise(desk, "Mine but closed", now)
    unassigned = _raise(desk, "Nobody's yet", now)
    for ticket in (mine, done):
        ticket_update(actor=agent, ticket=ticket, version=ticket.version,
                      data={"assignee": agent})  # fmt: skip
    done.refresh_from_db()
    ticket_update(actor=agent, ticket=done, version=done.version, data={"status": "closed"})
    page = _client(agent).get("/helpdesk/").content.decode()
    assert "Mine and open" in page
    assert "Mine but closed" not in page and unassigned.title not in page


def test_canned_replies_are_offered_to_agents_of_their_queue(
    desk: dict[str, Any], people: dict[str, Any]
) -> None:
    canned_reply_create(actor=desk["agent"], queue=desk["queue"], title="Reboot first",
                        body="Please restart and tell us if it persists.")  # fmt: skip
    canned_reply_create(actor=desk["other_agent"], queue=desk["netq"], title="Port check",
                        body="Which wall port?")  # fmt: skip
    canned_reply_create(actor=people["admin"], title="Thanks", body="Thank you for waiting.")
    ticket = ticket_create(actor=people["member"], queue=desk["queue"], title="Slow laptop")
    page = _client(desk["agent"]).get(f"/helpdesk/tickets/{ticket.pk}/").content.decode()
    assert "Reboot first" in page and "Thanks" in page
    assert "Port check" not in page  # another queue's
    # The requester (an internal colleague) reads the ticket without the agents' tools.
    theirs = _client(people["member"]).get(f"/helpdesk/tickets/{ticket.pk}/").content.decode()
    assert "Reboot first" not in theirs and 'id="canned-reply"' not in theirs


def test_history_hides_internal_notes_and_files_from_a_requester(
    desk: dict[str, Any], people: dict[str, Any]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from itpm.helpdesk.services import ticket_attachment_add
    from tests.conftest import api_client

    colleague, agent = people["member"], desk["agent"]
    ticket = ticket_create(actor=colleague, queue=desk["queue"], title="VPN drops")
    ticket_comment_add(actor=agent, ticket=ticket, body="Known vendor bug", public=False)
    ticket_attachment_add(actor=agent, ticket=ticket, public=False,
                          upload=SimpleUploadedFile("vendor-quote.txt", b"internal"))  # fmt: skip
    ticket_attachment_add(actor=colleague, ticket=ticket,
                          upload=SimpleUploadedFile("screen.txt", b"public"))  # fmt: skip
    ticket_comment_add(actor=agent, ticket=ticket, body="We are on it")

    def actions(user: Any) -> list[tuple[str, Any]]:
        events = api_client(user).get(f"/api/v1/tickets/{ticket.pk}/history").json()
        return [(e["action"], e["changes"].get("attachment")) for e in events]

    assert ("ticket.note", None) in actions(agent)
    assert ("ticket.attach", [None, "vendor-quote.txt"]) in actions(agent)
    theirs = actions(colleague)
    assert ("ticket.reply", None) in theirs and ("ticket.attach", [None, "screen.txt"]) in theirs
    assert all(action != "ticket.note" for action, _ in theirs)
    assert ("ticket.attach", [None, "vendor-quote.txt"]) not in theirs
    page = _client(colleague).get(f"/helpdesk/tickets/{ticket.pk}/").content.decode()
    assert "screen.txt" in page and "We are on it" in page
    assert "vendor-quote" not in page and "ticket.note" not in page and "vendor bug" not in page
    agent_page = _client(agent).get(f"/helpdesk/tickets/{ticket.pk}/").content.decode()
    assert "vendor-quote.txt" in agent_page and "ticket.note" in agent_page
