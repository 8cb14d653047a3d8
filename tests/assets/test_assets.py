"""Assets and services: who may write, transfers for the project handoff, history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from itpm.accounts.models import Role, Team
from itpm.accounts.services import membership_set
from itpm.assets.services import asset_create, asset_transfer, service_create
from itpm.core.errors import Forbidden
from itpm.core.models import AuditEvent
from tests.conftest import api_client


@pytest.fixture
def teams(people: dict[str, Any]) -> dict[str, Team]:
    delivery = Team.objects.create(name="Delivery")
    delivery.members.set([people["member"]])
    ops = Team.objects.create(name="Operations", kind="operations")
    return {"delivery": delivery, "ops": ops}


def test_any_internal_user_reads_assets_but_only_the_owner_team_writes(
    teams: dict[str, Team], people: dict[str, Any]
) -> None:
    asset = asset_create(actor=people["member"], asset_type="server", name="Web 1", tag="W-1",
                         owner_team=teams["delivery"], cost=Decimal("1200.50"))  # fmt: skip
    assert api_client(people["outsider"]).get(f"/api/v1/assets/{asset.pk}").status_code == 200
    refused = api_client(people["outsider"]).patch(
        f"/api/v1/assets/{asset.pk}", {"version": 1, "status": "retired"}, "application/json"
    )
    assert refused.status_code == 403
    cost = api_client(people["member"]).post("/api/v1/assets", {
        "asset_type": "server", "name": "x", "tag": "W-2", "cost": "12.345",
        "owner_team": "Delivery",
    }, "application/json")  # fmt: skip
    assert cost.status_code == 422 and cost.json()["errors"][0]["field"] == "cost"


def test_a_project_manager_hands_assets_and_a_service_to_operations(
    teams: dict[str, Team], people: dict[str, Any], project: Any
) -> None:
    """The handoff (issue 5) calls these two services."""
    manager = people["manager"]
    asset = asset_create(actor=people["member"], asset_type="switch", name="Core A", tag="C-A",
                         owner_team=teams["delivery"], project=project)  # fmt: skip
    service = service_create(actor=manager, name="Apollo ERP", owner_team=teams["ops"],
                             projects=[project], hours="Mon–Fri 08–18")  # fmt: skip
    moved = asset_transfer(actor=manager, assets=[asset], team=teams["ops"], service=service,
                           status="in_service")  # fmt: skip
    assert moved[0].owner_team == teams["ops"] and moved[0].service == service
    event = AuditEvent.objects.get(action="asset.transfer")
    assert event.changes["owner_team"] == [str(teams["delivery"].pk), str(teams["ops"].pk)]
    membership_set(actor=people["owner"], project=project, user=people["viewer"], role=Role.VIEWER)
    with pytest.raises(Forbidden):
        asset_transfer(actor=people["viewer"], assets=[asset], team=teams["delivery"])


def test_runbook_links_must_be_web_addresses(
    teams: dict[str, Team], people: dict[str, Any]
) -> None:
    response = api_client(people["admin"]).post("/api/v1/services", {
        "name": "Mail", "owner_team": "Operations", "runbook_links": ["javascript:alert(1)"],
    }, "application/json")  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "runbook_links.0"
