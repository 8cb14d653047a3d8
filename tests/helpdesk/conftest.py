"""Help-desk people: agents in the Service desk team, a colleague, an outside requester."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from itpm.accounts.models import Team, User
from itpm.helpdesk.models import Queue, RequesterProfile, SlaPolicy
from itpm.helpdesk.services import queue_create, sla_policy_create
from tests.conftest import PASSWORD

UTC = dt.UTC
MONDAY_9 = dt.datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(people: dict[str, User]) -> dict[str, Any]:
    agent = User.objects.create_user("agnes", password=PASSWORD, email="agnes@example.com")
    other_agent = User.objects.create_user("otto", password=PASSWORD, email="otto@example.com")
    requester = User.objects.create_user("rita", password=PASSWORD, email="rita@example.com")
    RequesterProfile.objects.create(user=requester, organization="Acme Ltd")
    stranger = User.objects.create_user("steve", password=PASSWORD, email="steve@example.com")
    RequesterProfile.objects.create(user=stranger, organization="Other Ltd")
    team = Team.objects.create(name="Service desk team", kind="operations")
    team.members.set([agent])
    net_team = Team.objects.create(name="Network team", kind="operations")
    net_team.members.set([other_agent])
    admin = people["admin"]
    policy = sla_policy_create(actor=admin, name="Business hours")
    queue = queue_create(actor=admin, key="SDESK", name="Service desk", team=team,
                         sla_policy=policy, categories=["Access", "Hardware", "Network"])  # fmt: skip
    netq = queue_create(actor=admin, key="NETOPS", name="Network ops", team=net_team,
                        sla_policy=policy)  # fmt: skip
    return {
        "agent": agent, "other_agent": other_agent, "requester": requester,
        "stranger": stranger, "team": team, "queue": queue, "netq": netq, "policy": policy,
    }  # fmt: skip


__all__ = ["MONDAY_9", "Queue", "SlaPolicy"]
