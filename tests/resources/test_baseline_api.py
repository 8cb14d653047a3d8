"""Baselines over HTTP: create, activate, and variance numbers with hand-computed answers.

Fixture: a calendar of 8 working hours a day (09-13, 14-18 UTC), Monday 4 January 2027.
"First" (8 h) then "Second" (16 h), both worked by Dana at 100 an hour:
First Mon 09:00-18:00, cost 800; Second Tue 09:00 - Wed 18:00, cost 1,600; total 2,400.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from itpm.core.models import AuditEvent
from itpm.planning import resource_services as rs
from itpm.planning.models import Baseline

pytestmark = pytest.mark.django_db


def utc(day: int, hour: int) -> str:
    return dt.datetime(2027, 1, day, hour, tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


def same(a: str | None, b: str) -> bool:
    assert a is not None
    return dt.datetime.fromisoformat(a.replace("Z", "+00:00")) == dt.datetime.fromisoformat(
        b.replace("Z", "+00:00")
    )


@pytest.fixture
def planned(project: Any, people: Any, chain: Any, dana: Any) -> dict[str, Any]:
    rs.calendar_create(actor=people["owner"], project=project, name="Apollo week")
    for task in chain.values():
        rs.assignment_create(actor=people["member"], task=task, resource=dana)
    return chain


def _baseline(api: Any, name: str = "Approved plan", who: str = "manager", **extra: Any) -> Any:
    return api(who).post(
        "/api/v1/projects/APL/baselines", {"name": name, **extra}, content_type="application/json"
    )


def _variance(api: Any, baseline_id: int, who: str = "viewer") -> dict[str, Any]:
    response = api(who).get(f"/api/v1/projects/APL/baselines/{baseline_id}/variance")
    assert response.status_code == 200, response.content
    return response.json()


def _rows(variance: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in variance["rows"]}


def test_a_fresh_baseline_has_no_variance(api: Any, planned: Any) -> None:
    created = _baseline(api)
    assert created.status_code == 201, created.content
    assert created.json()["active"] is True  # the first baseline becomes the active one
    assert same(created.json()["finish"], utc(6, 18))
    variance = _variance(api, created.json()["id"])
    assert Decimal(variance["baseline_cost"]) == Decimal("2400")
    assert Decimal(variance["cost_variance"]) == 0 and variance["finish_variance_hours"] == 0
    assert variance["late_tasks"] == 0
    for row in variance["rows"]:
        assert (row["start_variance_hours"], row["finish_variance_hours"]) == (0, 0)
        assert row["duration_variance_hours"] == 0 and Decimal(row["cost_variance"]) == 0
    assert AuditEvent.objects.filter(action="baseline.create").count() == 1


def test_longer_first_task_moves_second_with_exact_variances(
    api: Any, planned: Any, people: Any
) -> None:
    baseline = _baseline(api).json()
    first = planned["first"]
    first.refresh_from_db()
    response = api("owner").patch(
        f"/api/v1/tasks/{first.pk}",
        {"version": first.version, "duration_hours": 16},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    variance = _variance(api, baseline["id"])
    rows = _rows(variance)
    a, b = rows["First"], rows["Second"]
    # First: same start, finishes a day (8 working h) later, 8 h longer, 8 h x 100 dearer.
    assert same(a["baseline_start"], utc(4, 9)) and same(a["start"], utc(4, 9))
    assert same(a["baseline_finish"], utc(4, 18)) and same(a["finish"], utc(5, 18))
    assert (a["start_variance_hours"], a["finish_variance_hours"]) == (0, 8)
    assert (a["baseline_duration_hours"], a["duration_hours"], a["duration_variance_hours"]) == (
        8, 16, 8,
    )  # fmt: skip
    assert (Decimal(a["baseline_cost"]), Decimal(a["cost"]), Decimal(a["cost_variance"])) == (
        Decimal(800), Decimal(1600), Decimal(800),
    )  # fmt: skip
    # Second: pushed 8 working hours, same duration and cost.
    assert same(b["start"], utc(6, 9)) and same(b["finish"], utc(7, 18))
    assert (b["start_variance_hours"], b["finish_variance_hours"]) == (8, 8)
    assert b["duration_variance_hours"] == 0 and Decimal(b["cost_variance"]) == 0
    assert a["late"] is True and b["late"] is True
    # The project: 8 working hours late, 800 over.
    assert variance["finish_variance_hours"] == 8 and variance["late_tasks"] == 2
    assert same(variance["baseline_finish"], utc(6, 18)) and same(variance["finish"], utc(7, 18))
    assert (Decimal(variance["baseline_cost"]), Decimal(variance["cost"])) == (
        Decimal(2400), Decimal(3200),
    )  # fmt: skip
    assert Decimal(variance["cost_variance"]) == Decimal(800)


def test_a_new_rate_changes_only_the_cost_of_later_work(
    api: Any, planned: Any, people: Any, dana: Any
) -> None:
    baseline = _baseline(api).json()
    rs.rate_set(actor=people["admin"], resource=dana, valid_from=dt.date(2027, 1, 5),
                rate=Decimal("150"))  # fmt: skip
    rows = _rows(_variance(api, baseline["id"]))
    assert Decimal(rows["First"]["cost_variance"]) == 0  # Monday: before the new rate
    assert Decimal(rows["Second"]["cost"]) == Decimal(2400)  # 16 h x 150
    assert Decimal(rows["Second"]["cost_variance"]) == Decimal(800)
    assert rows["Second"]["finish_variance_hours"] == 0


def test_activate_another_baseline(api: Any, planned: Any) -> None:
    first = _baseline(api).json()
    second = _baseline(api, "Re-plan after change request 7").json()
    assert second["active"] is False
    response = api("manager").post(f"/api/v1/projects/APL/baselines/{second['id']}/activate")
    assert response.status_code == 200 and response.json()["active"] is True
    listed = {b["name"]: b["active"] for b in api("viewer").get(
        "/api/v1/projects/APL/baselines").json()["items"]}  # fmt: skip
    assert listed == {"Approved plan": False, "Re-plan after change request 7": True}
    assert Baseline.objects.get(pk=first["id"]).active is False
    assert AuditEvent.objects.filter(action__startswith="baseline.").count() == 3


def test_who_may_save_and_bad_input(api: Any, planned: Any, foreign_project: Any) -> None:
    assert _baseline(api, who="member").status_code == 403
    assert _baseline(api, who="viewer").status_code == 403
    assert _baseline(api, who="outsider").status_code == 404
    assert _baseline(api, "").status_code == 422
    assert _baseline(api).status_code == 201
    assert _baseline(api).status_code == 409  # the same name twice
    baseline = Baseline.objects.get()
    assert api("outsider").get(
        f"/api/v1/projects/APL/baselines/{baseline.pk}/variance").status_code == 404  # fmt: skip
    # Another project's URL does not reach APL's baseline.
    assert api("outsider").get(
        f"/api/v1/projects/ZED/baselines/{baseline.pk}/variance").status_code == 404  # fmt: skip
    assert api("member").post(
        f"/api/v1/projects/APL/baselines/{baseline.pk}/activate").status_code == 403  # fmt: skip
