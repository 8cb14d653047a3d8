"""Manager pages for queues and SLA policies; hypercare copies the project team on tickets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from itpm.accounts.models import Team
from itpm.assets.services import service_create
from itpm.core.models import AuditEvent
from itpm.helpdesk.models import Queue, SlaPolicy
from itpm.helpdesk.services import ticket_create, ticket_update
from itpm.portfolio.models import Handoff

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _policy_form(**extra: Any) -> dict[str, Any]:
    form = {"name": "Gold", "description": "24x7 desk", "warning_percent": "80",
            "reopen_window_days": "5"}  # fmt: skip
    for priority, (first, resolution) in {"P1": ("0.25", "2"), "P2": ("1", "4"),
                                          "P3": ("2", "16"), "P4": ("4", "40")}.items():  # fmt: skip
        form[f"{priority}_first_response"] = first
        form[f"{priority}_resolution"] = resolution
    return {**form, **extra}


def _queue_form(queue: Queue, **extra: Any) -> dict[str, Any]:
    form = {"version": queue.version, "name": "Service desk EU", "description": "",
            "team": str(queue.team_id), "calendar": "", "time_zone": "Europe/Berlin",
            "sla_policy": str(queue.sla_policy_id), "categories": "Access\nLaptops",
            "portal_visible": "on"}  # fmt: skip
    for impact in ("high", "medium", "low"):
        for urgency in ("high", "medium", "low"):
            form[f"matrix_{impact}_{urgency}"] = "P1" if impact == urgency == "high" else "P3"
    return {**form, **extra}


def test_admin_creates_and_edits_an_sla_policy_in_business_hours(people: Any, desk: Any) -> None:
    admin = login(people["admin"])
    assert admin.get("/helpdesk/settings/sla-policies/new/").status_code == 200
    made = admin.post("/helpdesk/settings/sla-policies/new/", _policy_form())
    assert made.status_code == 302
    gold = SlaPolicy.objects.get(name="Gold")
    assert gold.targets["P1"] == {"first_response_minutes": 15, "resolution_minutes": 120}
    assert gold.warning_percent == 80 and gold.reopen_window_days == 5
    bad = admin.post(f"/helpdesk/settings/sla-policies/{gold.pk}/",
                     _policy_form(version=gold.version, P2_resolution="0.5"))  # fmt: skip
    assert bad.status_code == 422 and b"must not be below first response" in bad.content
    edited = admin.post(f"/helpdesk/settings/sla-policies/{gold.pk}/",
                        _policy_form(version=gold.version, warning_percent="60"))  # fmt: skip
    assert edited.status_code == 302
    assert SlaPolicy.objects.get(pk=gold.pk).warning_percent == 60
    listing = admin.get("/helpdesk/settings/").content
    assert b"Gold" in listing and b"0.25 h / 2 h" in listing


def test_agents_edit_their_queue_but_not_policies_others_get_403(people: Any, desk: Any) -> None:
    queue = desk["queue"]
    agent = login(desk["agent"])
    assert agent.get("/helpdesk/settings/").status_code == 200
    assert agent.get("/helpdesk/settings/sla-policies/new/").status_code == 403
    assert agent.post("/helpdesk/settings/sla-policies/new/", _policy_form()).status_code == 403
    assert agent.get("/helpdesk/settings/queues/new/").status_code == 403
    url = f"/helpdesk/settings/queues/{queue.key}/"
    saved = agent.post(url, _queue_form(queue))
    assert saved.status_code == 302, saved.content
    queue.refresh_from_db()
    assert queue.name == "Service desk EU" and queue.time_zone == "Europe/Berlin"
    assert queue.categories == ["Access", "Laptops"]
    assert queue.priority_matrix["high"]["high"] == "P1"
    assert queue.priority_matrix["medium"]["low"] == "P3"
    assert AuditEvent.objects.filter(action="queue.update").exists()
    # Another team's agent and a colleague without a queue are refused.
    assert login(desk["other_agent"]).post(url, _queue_form(queue)).status_code == 403
    assert login(people["member"]).get("/helpdesk/settings/").status_code == 403
    bad_zone = agent.post(url, _queue_form(queue, version=queue.version, time_zone="Mars/Base"))
    assert bad_zone.status_code == 422 and b"unknown time zone" in bad_zone.content


def test_admin_creates_a_queue_on_the_page(people: Any, desk: Any) -> None:
    team = Team.objects.create(name="Field service")
    form = _queue_form(desk["queue"], key="FIELD", name="Field service", team=str(team.pk))
    form.pop("version")
    made = login(people["admin"]).post("/helpdesk/settings/queues/new/", form)
    assert made.status_code == 302, made.content
    queue = Queue.objects.get(key="FIELD")
    assert queue.team == team and queue.sla_policy == desk["policy"]
    taken = login(people["admin"]).post("/helpdesk/settings/queues/new/", form)
    assert taken.status_code == 422


# ---------------------------------------------------------------------------- hypercare
def _handed_over(people: Any, project: Any, desk: Any, until: dt.date) -> Any:
    service = service_create(actor=people["admin"], name="ERP", owner_team=desk["team"],
                             support_queue=desk["queue"], projects=[project])  # fmt: skip
    Handoff.objects.create(project=project, operations_team=desk["team"], hypercare_until=until,
                           handed_over_by=people["owner"], handed_over_at=timezone.now())  # fmt: skip
    return service


def test_hypercare_copies_the_project_team_on_tickets_about_its_services(
    people: Any, project: Any, desk: Any
) -> None:
    service = _handed_over(people, project, desk, timezone.localdate() + dt.timedelta(days=14))
    ticket = ticket_create(actor=desk["requester"], queue=desk["queue"], title="ERP slow",
                           service=service)  # fmt: skip
    watchers = set(ticket.watchers.values_list("username", flat=True))
    # Owner, manager and member of APL; not the viewer (read-only) and not the requester.
    assert watchers == {"olivia", "manny", "mia"}
    assert people["member"].inbox.filter(text__contains="Hypercare").exists()
    assert AuditEvent.objects.filter(action="ticket.hypercare_watchers").count() == 1
    # A member of the project team can now open the ticket.
    assert login(people["member"]).get(f"/helpdesk/tickets/{ticket.pk}/").status_code == 200


def test_no_copies_after_hypercare_or_without_a_service(
    people: Any, project: Any, desk: Any
) -> None:
    service = _handed_over(people, project, desk, timezone.localdate() - dt.timedelta(days=1))
    late = ticket_create(actor=desk["requester"], queue=desk["queue"], title="ERP down",
                         service=service)  # fmt: skip
    assert not late.watchers.exists()
    Handoff.objects.filter(project=project).update(
        hypercare_until=timezone.localdate() + dt.timedelta(days=3)
    )
    plain = ticket_create(actor=desk["requester"], queue=desk["queue"], title="Printer")
    assert not plain.watchers.exists()
    linked = ticket_update(actor=desk["agent"], ticket=plain, version=plain.version,
                           data={"service": service})  # fmt: skip
    assert set(linked.watchers.values_list("username", flat=True)) == {"olivia", "manny", "mia"}
