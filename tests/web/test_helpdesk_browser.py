"""The help desk in a real browser: a requester submits a ticket in the portal, an agent
answers it, and the requester reads the answer (never the internal note)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from itpm.accounts.models import Team, User
from itpm.helpdesk.models import RequesterProfile, Ticket
from itpm.helpdesk.services import queue_create, sla_policy_create
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, username: str, lands_on: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(lands_on))


def test_a_portal_ticket_is_answered_by_an_agent(page: Any, people: dict[str, User]) -> None:
    agent = User.objects.create_user("agnes", password=PASSWORD, first_name="Agnes")
    requester = User.objects.create_user("rita", password=PASSWORD, first_name="Rita")
    RequesterProfile.objects.create(user=requester)
    team = Team.objects.create(name="Service desk team")
    team.members.set([agent])
    policy = sla_policy_create(actor=people["admin"], name="Business hours")
    queue_create(actor=people["admin"], key="SDESK", name="Service desk", team=team,
                 sla_policy=policy, categories=["Hardware", "Access"])  # fmt: skip

    # A loaded CI machine can be slow to serve the first page; the flow itself is not timed.
    page.set_default_timeout(30_000)
    log_in(page, "rita", r"/portal/$")
    page.click("main >> text=Ask for help")
    page.select_option("select[name=category]", "Hardware")
    page.fill("input[name=title]", "Laptop fan is very loud")
    page.fill("textarea[name=description]", "Since Monday, even when idle.")
    page.select_option("select[name=urgency]", "high")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/tickets/\d+/$"))
    assert "is with Service desk" in page.inner_text(".messages")
    ticket = Ticket.objects.get(title="Laptop fan is very loud")
    assert ticket.requester == requester and ticket.source == "portal"
    page.click("text=Log out")

    log_in(page, "agnes", r"/projects/$")
    page.click("header >> text=Help desk")
    page.click("text=All open")
    page.click(f"text={ticket.ref}")
    page.wait_for_url(re.compile(rf"/helpdesk/tickets/{ticket.pk}/$"))
    page.fill("textarea[name=body]", "Internal: fan replacement part in stock")
    page.uncheck("input[name=public]")
    page.click("form.reply-form button[type=submit]")
    page.wait_for_selector("text=Internal note added.")
    page.fill("textarea[name=body]", "Please bring it to the IT desk, we will swap the fan.")
    page.click("form.reply-form button[type=submit]")
    page.wait_for_selector("text=Reply sent.")
    assert "met" in page.inner_text(".ticket-side")  # first response recorded
    page.click("text=Log out")

    log_in(page, "rita", r"/portal/$")
    page.click(f"text={ticket.ref}")
    body = page.inner_text("main")
    assert "we will swap the fan" in body
    assert "fan replacement part" not in body
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.first_responded_at is not None
