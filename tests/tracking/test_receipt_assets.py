"""Goods received on hardware lines become asset records, in the receipt's transaction."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from django.test import Client

from itpm.assets.models import Asset, AssetStatus, AssetType
from itpm.core.errors import Invalid
from itpm.tracking.models import GoodsReceipt
from tests.conftest import api_client

pytestmark = pytest.mark.django_db
V1 = "/api/v1"


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def order(api: Any, buyer: Any, lines: Any, settings: Any) -> dict[str, Any]:
    """An open order: 3 switches (hardware) at 8,400.00 and 10 cables (not hardware)."""
    settings.ITPM_PROCUREMENT_MANAGER_THRESHOLD = 100_000
    pr = post(api("member"), f"{V1}/purchase-requests", {
        "project": "APL", "title": "Core switches", "vendor": "Northwind", "submit": True,
        "line": lines["hardware"].pk, "justification": "End of life",
        "items": [{"description": "Core switch 48p", "quantity": "3", "unit_price": "8400.00",
                   "is_hardware": True},
                  {"description": "Cable", "quantity": "10", "unit_price": "12.50"}],
    }).json()  # fmt: skip
    buyer_client = api_client(buyer)
    post(buyer_client, f"{V1}/purchase-requests/{pr['id']}/approve", {"version": pr["version"]})
    made = post(buyer_client, f"{V1}/purchase-orders", {"request": pr["id"]})
    assert made.status_code == 201, made.content
    return dict(made.json())


def _receive(client: Any, order: dict[str, Any], switches: str, **extra: Any) -> Any:
    return post(client, f"{V1}/purchase-orders/{order['id']}/receipts", {
        "date": "2027-02-10", **extra,
        "lines": [{"line": order["lines"][0]["id"], "quantity": switches},
                  {"line": order["lines"][1]["id"], "quantity": "10"}],
    })  # fmt: skip


def test_received_hardware_becomes_one_asset_per_unit(api: Any, order: Any, project: Any) -> None:
    assert _receive(api("member"), order, "2").status_code == 201
    assets = list(Asset.objects.filter(project=project).order_by("tag"))
    number = order["number"]
    prefix = number if "APL" in number else f"APL-{number}"
    assert [a.tag for a in assets] == [f"{prefix}-001", f"{prefix}-002"]
    first = assets[0]
    assert first.status == AssetStatus.RECEIVED and first.asset_type == AssetType.SWITCH
    assert first.purchase_order == order["number"] and str(first.cost) == "8400.00"
    assert first.vendor == "Northwind" and first.name == "Core switch 48p"
    # The rest of the delivery numbers on; cables are not hardware.
    assert _receive(api("member"), order, "1").status_code == 201
    tags = list(Asset.objects.filter(project=project).values_list("tag", flat=True))
    assert sorted(tags)[-1] == f"{prefix}-003" and len(tags) == 3


def test_receipt_without_assets_when_unticked(api: Any, order: Any, project: Any) -> None:
    assert _receive(api("member"), order, "2", create_assets=False).status_code == 201
    assert not Asset.objects.filter(project=project).exists()
    assert GoodsReceipt.objects.count() == 1


def test_a_failing_asset_write_rolls_the_receipt_back(api: Any, order: Any) -> None:
    with mock.patch(
        "itpm.assets.services.asset_type_for", side_effect=Invalid.field("asset_type", "boom")
    ):
        response = _receive(api("member"), order, "2")
    assert response.status_code == 422
    assert GoodsReceipt.objects.count() == 0 and Asset.objects.count() == 0


def test_the_receipt_form_has_the_checkbox_and_lists_the_assets(
    people: Any, order: Any, project: Any
) -> None:
    client = Client()
    client.force_login(people["member"])
    url = f"/purchase-orders/{order['id']}/"
    assert b'name="create_assets"' in client.get(url).content
    lines = {f"qty_{order['lines'][0]['id']}": "2", "date": "2027-02-10"}
    client.post(f"{url}receive/", lines)  # the box left unticked
    assert not Asset.objects.exists()
    client.post(f"{url}receive/", {**lines, "create_assets": "1"})
    assert Asset.objects.filter(project=project).count() == 2
    assert f"{order['number']}-001".encode() in client.get(url).content
