"""Handoff to operations against the help-desk and assets apps: all or nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from itpm.accounts.models import Team, TeamKind
from itpm.assets.models import Asset, Service
from itpm.core.errors import Conflict
from itpm.helpdesk.models import Queue
from itpm.portfolio import closing
from itpm.portfolio.models import Closure, Handoff, Project, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(project: Project, people: Any) -> dict[str, Any]:
    """APL passed its gate into closed and is accepted; it installed two assets."""
    Project.objects.filter(pk=project.pk).update(stage=Stage.CLOSED)
    Closure.objects.create(project=project, accepted_at=timezone.now(), accepted_by=people["owner"])
    ops = Team.objects.create(name="Operations", kind=TeamKind.OPERATIONS)
    procurement = Team.objects.create(name="Procurement", kind=TeamKind.PROCUREMENT)
    queue = Queue.objects.create(key="ERP", name="ERP desk", team=ops)
    assets = [
        Asset.objects.create(asset_type="server", name=f"ERP app {n}", tag=f"ERP-{n}",
                             owner_team=procurement, project=project)
        for n in (1, 2)
    ]  # fmt: skip
    project.refresh_from_db()
    return {"project": project, "ops": ops, "queue": queue, "assets": assets}


def test_handoff_moves_assets_and_routes_the_queue(ready: dict[str, Any], api: Any) -> None:
    body = {"operations_team": "Operations", "queue": ready["queue"].pk,
            "hypercare_until": str(timezone.localdate() + dt.timedelta(days=30)),
            "services": [{"name": "Apollo ERP", "hours": "24x7",
                          "runbook_links": ["https://wiki.example.com/erp"]}]}  # fmt: skip
    response = api("owner").post("/api/v1/projects/APL/handoff", json.dumps(body),
                                 content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    service = Service.objects.get(name="Apollo ERP")
    assert service.owner_team == ready["ops"] and service.support_queue == ready["queue"]
    assert list(service.projects.all()) == [ready["project"]]
    for asset in ready["assets"]:
        asset.refresh_from_db()
        assert asset.owner_team == ready["ops"] and asset.service == service
    assert [a["tag"] for a in response.json()["assets"]] == ["ERP-1", "ERP-2"]
    assert Project.objects.get(pk=ready["project"].pk).archived
    assert response.json()["queue_name"] == "ERP desk"
    # During hypercare the project team is copied on the service's tickets.
    assert {u.username for u in closing.hypercare_watchers(service)} >= {"olivia", "manny"}


def test_a_failing_handoff_changes_nothing(ready: dict[str, Any], people: Any) -> None:
    Service.objects.create(name="Taken", owner_team=ready["ops"])
    with pytest.raises(Conflict):
        closing.handoff_create(
            actor=people["owner"], project=ready["project"], operations_team=ready["ops"],
            services=[closing.ServiceSpec("Apollo ERP"), closing.ServiceSpec("Taken")],
            queue_id=ready["queue"].pk,
        )  # fmt: skip
    assert not Service.objects.filter(name="Apollo ERP").exists()
    assert not Handoff.objects.exists()
    assert not Project.objects.get(pk=ready["project"].pk).archived
    for asset in ready["assets"]:
        asset.refresh_from_db()
        assert asset.owner_team.name == "Procurement" and asset.service is None
