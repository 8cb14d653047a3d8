"""A service's page lists only the open tickets its reader may open (no titles they must not
read, no links that answer 404)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from itpm.assets.services import service_create
from itpm.helpdesk.services import ticket_create

pytestmark = pytest.mark.django_db


def test_service_page_lists_only_tickets_the_reader_may_open(people: Any, desk: Any) -> None:
    admin = people["admin"]
    service = service_create(actor=admin, name="HR system", owner_team=desk["team"])
    ticket = ticket_create(actor=desk["agent"], queue=desk["queue"],
                           title="HR system down for all users", service=service)  # fmt: skip

    def page(user: Any) -> str:
        client = Client()
        client.force_login(user)
        response = client.get(f"/services/{service.pk}/")
        assert response.status_code == 200
        return response.content.decode()

    assert f'href="/helpdesk/tickets/{ticket.pk}/"' in page(desk["agent"])
    # Someone outside the queue's team reads the service but not the ticket.
    seen_by_member = page(people["member"])
    assert "HR system down" not in seen_by_member
    assert f"/helpdesk/tickets/{ticket.pk}/" not in seen_by_member
