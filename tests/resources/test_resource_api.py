"""Resources over HTTP: create, patch, rates over time, absences, and who may do what."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from itpm.core.models import AuditEvent
from itpm.planning.models import Resource
from tests.resources.conftest import fresh

pytestmark = pytest.mark.django_db

URL = "/api/v1/resources"


def _post(api: Any, who: str, url: str, body: dict[str, Any]) -> Any:
    return api(who).post(url, body, content_type="application/json")


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 201), ("owner", 201), ("manager", 201), ("member", 403), ("viewer", 403),
     ("outsider", 201)],
)  # fmt: skip
def test_who_may_create_a_resource(api: Any, project: Any, foreign_project: Any, who: str,
                                   status: int) -> None:  # fmt: skip
    # The outsider owns ZED: a project manager elsewhere manages resources too.
    response = _post(api, who, URL, {"name": "Rack B", "kind": "hardware", "cost_rate": "12.50"})
    assert response.status_code == status, response.content
    assert Resource.objects.count() == (1 if status == 201 else 0)


def test_create_links_a_person_and_a_team(api: Any, people: Any) -> None:
    response = _post(api, "admin", URL, {"name": "Mia", "user": "mia", "cost_rate": 90})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"] == "mia" and body["kind"] == "person"
    assert Decimal(body["cost_rate"]) == Decimal("90") and body["capacity"] in ("1", 1, "1.00")
    assert AuditEvent.objects.filter(action="resource.create").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "user": "nobody"}, "user"),
        ({"name": "X", "team": "No such team"}, "team"),
        ({"name": "X", "capacity": 0}, "capacity"),
        ({"name": "X", "cost_rate": -1}, "cost_rate"),
        ({"name": "X", "kind": "robot"}, "kind"),
        ({"name": "X", "calendar": 999}, "calendar"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_resource_input_is_a_422_naming_the_field(
    api: Any, people: Any, body: dict[str, Any], field: str
) -> None:
    response = _post(api, "admin", URL, body)
    assert response.status_code == 422, response.content
    assert field in response.content.decode()
    assert not Resource.objects.exists()


def test_patch_capacity_with_version_and_stale_version(api: Any, people: Any, dana: Any) -> None:
    url = f"{URL}/{dana.pk}"
    ok = api("admin").patch(
        url, {"version": dana.version, "capacity": "0.5"}, content_type="application/json"
    )
    assert ok.status_code == 200, ok.content
    assert fresh(dana).capacity == Decimal("0.5")
    stale = api("admin").patch(
        url, {"version": dana.version, "capacity": 2}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert fresh(dana).capacity == Decimal("0.5")
    member = api("member").patch(
        url, {"version": dana.version + 1, "name": "D"}, content_type="application/json"
    )
    assert member.status_code == 403
    assert AuditEvent.objects.filter(action="resource.update").count() == 1


def test_rates_over_time(api: Any, people: Any, dana: Any) -> None:
    response = _post(
        api, "admin", f"{URL}/{dana.pk}/rates", {"valid_from": "2027-07-01", "rate": 120}
    )
    assert response.status_code == 201, response.content
    body = api("viewer").get(f"{URL}/{dana.pk}").json()
    # The rate so far is kept from the resource's creation: earlier work keeps its cost.
    opening = fresh(dana).created_at.date().isoformat()
    assert sorted((r["valid_from"], Decimal(r["rate"])) for r in body["rates"]) == [
        (opening, Decimal("100")),
        ("2027-07-01", Decimal("120")),
    ]
    assert _post(api, "member", f"{URL}/{dana.pk}/rates",
                 {"valid_from": "2027-08-01", "rate": 1}).status_code == 403  # fmt: skip
    assert _post(api, "admin", f"{URL}/{dana.pk}/rates",
                 {"valid_from": "2027-08-01", "rate": -5}).status_code == 422  # fmt: skip


def test_absences_by_the_person_themself_and_by_managers(api: Any, people: Any) -> None:
    mia = _post(api, "admin", URL, {"name": "Mia", "user": "mia"}).json()
    url = f"{URL}/{mia['id']}/absences"
    own = _post(api, "member", url, {"start": "2027-08-02", "finish": "2027-08-13",
                                     "reason": "Summer vacation"})  # fmt: skip
    assert own.status_code == 201, own.content
    assert (
        _post(api, "viewer", url, {"start": "2027-09-01", "finish": "2027-09-02"}).status_code
        == 403
    )
    backwards = _post(api, "admin", url, {"start": "2027-09-10", "finish": "2027-09-01"})
    assert backwards.status_code == 422 and "finish" in backwards.content.decode()
    absence_id = own.json()["id"]
    assert api("viewer").delete(f"{url}/{absence_id}").status_code == 403
    assert api("member").delete(f"{url}/{absence_id}").status_code == 204
    assert api("admin").get(f"{URL}/{mia['id']}").json()["absences"] == []
    assert AuditEvent.objects.filter(action__startswith="resource.absence").count() >= 2


def test_anonymous_sees_no_resources(api: Any, dana: Any) -> None:
    assert api(None).get(URL).status_code in (401, 403)
    assert api(None).get(f"{URL}/{dana.pk}").status_code in (401, 403, 404)
