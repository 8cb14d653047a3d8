"""Agents' views: bulk assign and close, saved filters, and the reports' numbers on a
hand-computed week (calendar Mon-Fri 09:00-13:00, 14:00-18:00 UTC; 2027-01-04 is a Monday).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from itpm.helpdesk import report_views
from itpm.helpdesk.models import SavedFilter, Ticket, TicketStatus
from itpm.helpdesk.services import ticket_comment_add, ticket_create, ticket_update
from tests.helpdesk.conftest import MONDAY_9

H = dt.timedelta(hours=1)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _raise(desk: dict[str, Any], title: str, *, impact: str = "high", queue: Any = None) -> Ticket:
    return ticket_create(actor=desk["requester"], queue=queue or desk["queue"], title=title,
                         impact=impact, urgency="medium", now=MONDAY_9)  # fmt: skip


def _resolve(desk: dict[str, Any], ticket: Ticket, at: dt.datetime) -> None:
    ticket.refresh_from_db()
    ticket_update(actor=desk["agent"], ticket=ticket, version=ticket.version,
                  data={"status": "resolved"}, now=at)  # fmt: skip


def test_bulk_assign_then_close_changes_every_ticket_with_history(desk: dict[str, Any]) -> None:
    first, second = _raise(desk, "Printer jam"), _raise(desk, "Monitor flickers")
    pages = _client(desk["agent"])
    ids = [str(first.pk), str(second.pk)]
    response = pages.post("/helpdesk/tickets/bulk/",
                          {"ticket": ids, "action": "assign", "assignee": "agnes"})  # fmt: skip
    assert response.status_code == 302
    for ticket in Ticket.objects.filter(pk__in=ids):
        assert ticket.assignee == desk["agent"] and ticket.status == TicketStatus.OPEN
    pages.post("/helpdesk/tickets/bulk/", {"ticket": ids, "action": "close"})
    for ticket in Ticket.objects.filter(pk__in=ids):
        assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None


def test_bulk_assign_is_all_or_nothing(desk: dict[str, Any]) -> None:
    first, second = _raise(desk, "Printer jam"), _raise(desk, "Monitor flickers")
    # otto is an agent of NETOPS, not of SDESK: the whole action is refused.
    response = _client(desk["agent"]).post("/helpdesk/tickets/bulk/", {
        "ticket": [str(first.pk), str(second.pk)], "action": "assign", "assignee": "otto",
    }, follow=True)  # fmt: skip
    assert "not an agent of SDESK" in response.content.decode()
    assert not Ticket.objects.filter(pk__in=[first.pk, second.pk], assignee__isnull=False).exists()


def test_bulk_actions_skip_tickets_of_other_queues(desk: dict[str, Any]) -> None:
    mine = _raise(desk, "Printer jam")
    theirs = _raise(desk, "Switch port dead", queue=desk["netq"])
    _client(desk["agent"]).post("/helpdesk/tickets/bulk/",
                                {"ticket": [str(mine.pk), str(theirs.pk)], "action": "close"})  # fmt: skip
    assert Ticket.objects.get(pk=mine.pk).status == TicketStatus.CLOSED
    assert Ticket.objects.get(pk=theirs.pk).status == TicketStatus.NEW


def test_a_saved_filter_comes_back_on_the_list(desk: dict[str, Any]) -> None:
    _raise(desk, "P2 printer")  # high x medium = P2
    _raise(desk, "P3 mouse", impact="medium")
    pages = _client(desk["agent"])
    response = pages.post("/helpdesk/filters/", {"name": "Open P2", "query": "?priority=P2&open=1"})
    assert response.status_code == 302 and response["Location"].endswith("?priority=P2&open=1")
    assert (
        SavedFilter.objects.get(owner=desk["agent"], name="Open P2").query == "priority=P2&open=1"
    )
    listing = pages.get("/helpdesk/tickets/").content.decode()
    assert 'href="?priority=P2&amp;open=1"' in listing and "Open P2" in listing
    filtered = pages.get(response["Location"]).content.decode()
    assert "P2 printer" in filtered and "P3 mouse" not in filtered
    # Saving under the same name replaces the query; another agent does not see it.
    pages.post("/helpdesk/filters/", {"name": "Open P2", "query": "priority=P2"})
    assert SavedFilter.objects.get(owner=desk["agent"], name="Open P2").query == "priority=P2"
    other = _client(desk["other_agent"]).get("/helpdesk/tickets/").content.decode()
    assert "Open P2" not in other


@pytest.fixture
def week(desk: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Ticket]:
    """Three SDESK tickets raised Monday 09:00, read on Friday 12:00.

    - fast (P2): replied Mon 10:00 (1 h), resolved Mon 15:00 (5 h, the lunch hour skipped):
      both targets met (P2: 2 h to respond, 8 h to resolve).
    - slow (P2): replied Mon 14:00 (4 h), resolved Tue 15:00 (8 h + 5 h = 13 h): both late.
    - waiting (P3): never answered, still open on Friday: both targets breached.
    And one NETOPS ticket, which is not agnes's to report on.
    """
    agent = desk["agent"]
    fast, slow = _raise(desk, "fast"), _raise(desk, "slow")
    waiting = _raise(desk, "waiting", impact="medium")
    _raise(desk, "elsewhere", queue=desk["netq"])
    ticket_comment_add(actor=agent, ticket=fast, body="On it", now=MONDAY_9 + H)
    ticket_comment_add(actor=agent, ticket=slow, body="On it", now=MONDAY_9 + 5 * H)
    _resolve(desk, fast, MONDAY_9 + 6 * H)
    _resolve(desk, slow, MONDAY_9 + 30 * H)
    friday_noon = MONDAY_9 + 4 * 24 * H + 3 * H
    monkeypatch.setattr(report_views, "_now", lambda: friday_noon)
    return {"fast": fast, "slow": slow, "waiting": waiting}


def test_reports_count_volume_backlog_attainment_and_mean_times(
    desk: dict[str, Any], week: dict[str, Ticket]
) -> None:
    response = _client(desk["agent"]).get("/helpdesk/reports/")
    assert response.status_code == 200
    context = response.context
    assert context["total"] == 3  # NETOPS is not agnes's queue
    rows = {row["priority"]: row for row in context["rows"]}
    assert {row["queue"] for row in context["rows"]} == {"SDESK"}
    assert rows["P2"] == {
        "queue": "SDESK", "priority": "P2", "volume": 2, "backlog": 0,
        "measured": 4, "attainment": 50, "respond_hours": 2.5, "resolve_hours": 9.0,
    }  # fmt: skip
    assert rows["P3"] == {
        "queue": "SDESK", "priority": "P3", "volume": 1, "backlog": 1,
        "measured": 2, "attainment": 0, "respond_hours": None, "resolve_hours": None,
    }  # fmt: skip
    # The week of 04 Jan: three raised, two resolved; the seven weeks before are empty.
    columns = context["volume"]["columns"]
    assert len(columns) == 8
    assert (columns[-1]["label"], columns[-1]["created"], columns[-1]["resolved"]) == (
        "04 Jan",
        3,
        2,
    )
    assert all(c["created"] == 0 and c["resolved"] == 0 for c in columns[:-1])
    # Attainment per queue: 2 of 6 clocks met.
    bars = {bar["label"]: bar["value"] for bar in context["attainment_chart"]["bars"]}
    assert bars == {"SDESK": 33}
    # Mean time to resolve: P2 only; P3 resolved nothing, so it has no bar (not a 0 h one)
    # and its table cells say "—".
    resolve = {bar["label"]: bar["value"] for bar in context["resolve_chart"]["bars"]}
    assert resolve == {"SDESK P2": 9.0}
    page = response.content.decode()
    p3_row = page[page.index("<td>SDESK</td><td>P3</td>") :].split("</tr>")[0]
    assert p3_row.count("—") == 2


def test_reports_count_the_period_asked_for_and_the_backlog_of_today(
    desk: dict[str, Any], week: dict[str, Ticket]
) -> None:
    client = _client(desk["agent"])
    # A period before the week: nothing raised in it, but the waiting ticket is still open.
    before = client.get("/helpdesk/reports/?from=2026-12-01&to=2026-12-31")
    assert before.status_code == 200 and before.context["total"] == 0
    assert [(r["priority"], r["volume"], r["backlog"]) for r in before.context["rows"]] == [
        ("P3", 0, 1)
    ]
    assert all(c["created"] == 0 for c in before.context["volume"]["columns"])
    assert before.context["volume"]["columns"][-1]["label"] == "28 Dec"
    # The week itself: the three tickets.
    during = client.get("/helpdesk/reports/?from=2027-01-04&to=2027-01-08")
    assert during.context["total"] == 3
    # A bad or reversed period is named on the page; the default period (which holds the
    # week) is shown instead.
    for query, message in (("from=soon", "from: a date such as"),
                           ("from=2027-02-01&to=2027-01-01", "from: must not be after to")):  # fmt: skip
        page = client.get(f"/helpdesk/reports/?{query}")
        assert page.status_code == 200 and message in page.content.decode()
        assert page.context["total"] == 3


def test_reports_show_nothing_to_someone_who_is_no_agent(
    desk: dict[str, Any], week: dict[str, Ticket], people: dict[str, Any]
) -> None:
    response = _client(people["member"]).get("/helpdesk/reports/")
    assert response.status_code == 200
    assert response.context["total"] == 0 and response.context["rows"] == []
