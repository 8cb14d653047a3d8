"""Assets and services: who may write, transfers for the project handoff, history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

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


def test_the_installing_task_must_be_one_the_writer_can_see(
    teams: dict[str, Team], people: dict[str, Any], tasks: dict[str, Any], foreign_project: Any
) -> None:
    from itpm.planning.services import task_create

    secret = task_create(actor=people["outsider"], project=foreign_project, name="Rack ZED")
    api = api_client(people["member"])
    body = {"asset_type": "switch", "name": "Edge 1", "tag": "E-1", "owner_team": "Delivery",
            "installed_by_task": tasks["code"].pk}  # fmt: skip
    created = api.post("/api/v1/assets", body, "application/json")
    assert created.status_code == 201, created.content
    assert created.json()["installed_by_task"] == tasks["code"].pk
    hidden = api.post("/api/v1/assets", {**body, "tag": "E-2", "installed_by_task": secret.pk},
                      "application/json")  # fmt: skip
    assert hidden.status_code == 422
    assert hidden.json()["errors"][0]["field"] == "installed_by_task"
    asset_id = created.json()["id"]
    moved = api.patch(f"/api/v1/assets/{asset_id}", {"version": created.json()["version"],
                      "installed_by_task": secret.pk}, "application/json")  # fmt: skip
    assert moved.status_code == 422
    pages = Client()
    pages.force_login(people["member"])
    page = pages.get(f"/assets/{asset_id}/").content.decode()
    assert f"{tasks['code'].wbs_code} Code" in page


def test_a_reader_outside_the_project_sees_the_asset_but_not_the_project(
    teams: dict[str, Team], people: dict[str, Any], tasks: dict[str, Any], project: Any
) -> None:
    """Assets are shared with every internal user; the project and task behind them, and the
    tickets about them, only with those who may see them."""
    from itpm.helpdesk.services import queue_create, ticket_create

    asset = asset_create(actor=people["member"], asset_type="server", name="ERP db", tag="ERP-1",
                         owner_team=teams["delivery"], project=project,
                         installed_by_task=tasks["code"])  # fmt: skip
    service = service_create(actor=people["manager"], name="Apollo ERP", owner_team=teams["ops"],
                             projects=[project])  # fmt: skip
    queue = queue_create(actor=people["admin"], key="OPS", name="Ops", team=teams["ops"])
    ticket_create(actor=people["manager"], queue=queue, title="ERP db disk full", asset=asset)
    outsider, member = people["outsider"], people["member"]

    api = api_client(outsider)
    seen = api.get(f"/api/v1/assets/{asset.pk}").json()
    assert seen["tag"] == "ERP-1"
    assert seen["project"] is None and seen["installed_by_task"] is None
    listed = api.get("/api/v1/assets").json()["items"]
    assert [(a["tag"], a["project"]) for a in listed] == [("ERP-1", None)]
    assert api.get("/api/v1/assets", {"project": "APL"}).json()["items"] == []
    assert api.get(f"/api/v1/services/{service.pk}").json()["projects"] == []
    assert api.get("/api/v1/services").json()["items"][0]["projects"] == []

    mine = api_client(member).get(f"/api/v1/assets/{asset.pk}").json()
    assert mine["project"] == "APL" and mine["installed_by_task"] == tasks["code"].pk
    assert api_client(member).get(f"/api/v1/services/{service.pk}").json()["projects"] == ["APL"]

    pages = Client()
    pages.force_login(outsider)
    for url in (f"/assets/{asset.pk}/", "/assets/", "/services/"):
        page = pages.get(url).content.decode()
        assert "ERP" in page, url
        assert "APL" not in page and "Apollo ERP upgrade" not in page, url
        assert "Code" not in page and "ERP db disk full" not in page, url
    # Someone on the project still sees it all, but not the ticket of a queue not theirs.
    pages.force_login(member)
    page = pages.get(f"/assets/{asset.pk}/").content.decode()
    assert "Apollo ERP upgrade" in page and "ERP db disk full" not in page
    assert "APL" in pages.get("/services/").content.decode()


def test_an_editor_outside_the_project_keeps_its_link_without_seeing_it(
    teams: dict[str, Team], people: dict[str, Any], foreign_project: Any
) -> None:
    from itpm.assets.models import Asset
    from itpm.planning.services import task_create

    secret = task_create(actor=people["outsider"], project=foreign_project, name="Rack ZED")
    asset = asset_create(actor=people["admin"], asset_type="server", name="Zed box", tag="Z-1",
                         owner_team=teams["delivery"], project=foreign_project,
                         installed_by_task=secret)  # fmt: skip
    pages = Client()
    pages.force_login(people["member"])  # in the owner team, not on project ZED
    form = pages.get(f"/assets/{asset.pk}/edit/").content.decode()
    assert "ZED" not in form and f'name="installed_by_task" value="{secret.pk}"' not in form
    assert "left blank, the link stays" in form
    saved = pages.post(f"/assets/{asset.pk}/edit/", {
        "version": asset.version, "asset_type": "server", "name": "Zed box 2", "tag": "Z-1",
        "status": "installed", "owner_team": str(teams["delivery"].pk), "currency": "USD",
        "project": "", "installed_by_task": "",
    })  # fmt: skip
    assert saved.status_code == 302, saved.content.decode()[-2000:]
    asset = Asset.objects.get(pk=asset.pk)
    assert asset.name == "Zed box 2" and asset.status == "installed"
    assert asset.project == foreign_project and asset.installed_by_task == secret
