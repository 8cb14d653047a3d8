"""``forecast_document``: PLAN.json in, forecast JSON out."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from itpm.engine.errors import PlanError
from itpm.engine.plan_json import forecast_document

# Monday 2027-01-04, 8-hour days (08-12, 13-17) in UTC.
CALENDAR = {"working_hours": [["08:00", "12:00"], ["13:00", "17:00"]], "timezone": "UTC"}


def plan() -> dict[str, Any]:
    return {
        "start": "2027-01-04T08:00:00",
        "calendar": CALENDAR,
        "tasks": [
            {
                "id": "A",
                "duration_hours": 16,
                "estimate": {
                    "optimistic_hours": 8,
                    "most_likely_hours": 16,
                    "pessimistic_hours": 40,
                },
            },
            {"id": "B", "duration_hours": 8},
            {
                "id": "C",
                "duration_hours": 8,
                "estimate": {
                    "optimistic_hours": 4,
                    "most_likely_hours": 8,
                    "pessimistic_hours": 12,
                },
            },
        ],
        "dependencies": [
            {"predecessor": "A", "successor": "C"},
            {"predecessor": "B", "successor": "C"},
        ],
        "risks": [{"id": "R1", "probability": 0.25, "task": "C", "delay_hours": 8, "cost": 2000}],
    }


def test_forecast_document_shape_and_values() -> None:
    output = forecast_document(plan(), iterations=4000, seed=7, target_date="2027-01-07")
    json.dumps(output)  # plain JSON types only
    assert output["iterations"] == 4000 and output["seed"] == 7
    assert output["deterministic_finish"] == "2027-01-06T17:00:00+00:00"
    assert output["deterministic_finish_hours"] == 24
    hours = output["finish_hours"]
    assert 16 < hours["p10"] < hours["p50"] < hours["p80"] < hours["p95"] <= 40 + 12 + 8
    finish = output["finish"]
    assert set(finish) >= {"p10", "p50", "p80", "p95", "mean", "mean_hours", "stdev_hours"}
    dates = [datetime.fromisoformat(finish[key]) for key in ("p10", "p50", "p80", "p95")]
    assert dates == sorted(dates)
    assert output["target_date"] == "2027-01-07T17:00:00+00:00"
    assert 0.0 < output["probability_on_time"] < 1.0
    assert output["criticality"]["A"] > 0.9
    assert output["criticality"]["B"] < 0.1
    assert output["criticality"]["C"] == 1.0
    assert sum(output["histogram"]["counts"]) == 4000
    assert len(output["histogram"]["bin_edges_hours"]) == len(output["histogram"]["counts"]) + 1
    assert output["cost"]["p50"] == 0.0 and output["cost"]["p95"] == 2000.0


def test_same_seed_same_document() -> None:
    first = forecast_document(plan(), iterations=500, seed=3, target_date=None)
    again = forecast_document(plan(), iterations=500, seed=3, target_date=None)
    assert first == again
    assert first["probability_on_time"] is None and first["target_date"] is None


def test_a_fractional_finish_is_rounded_up_to_the_minute() -> None:
    document = {
        "start": "2027-01-04T08:00:00",
        "calendar": CALENDAR,
        # Durations are whole axis units; estimates are not (a point estimate here).
        "tasks": [
            {
                "id": "A",
                "duration_hours": 2,
                "estimate": {
                    "optimistic_hours": 1.5,
                    "most_likely_hours": 1.5,
                    "pessimistic_hours": 1.5,
                },
            }
        ],
    }
    output = forecast_document(document, iterations=3, seed=1, target_date=None)
    assert output["finish"]["p50"] == "2027-01-04T09:30:00+00:00"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda p: p["tasks"][2]["estimate"].update(optimistic_hours=9),
            r"^tasks\[2\]\.estimate",
        ),
        (lambda p: p["risks"][0].update(probability=2), r"^risks\[0\]\.probability"),
        (lambda p: p["dependencies"][0].update(successor="Z"), r"^dependencies\[0\]\.successor"),
    ],
)
def test_bad_plans_name_the_field(change: Any, message: str) -> None:
    document = plan()
    change(document)
    with pytest.raises(PlanError, match=message):
        forecast_document(document, iterations=10, seed=1, target_date=None)


def test_bad_target_date_and_distribution() -> None:
    with pytest.raises(PlanError, match="^target_date"):
        forecast_document(plan(), iterations=10, seed=1, target_date="next week")
    with pytest.raises(PlanError, match="^distribution"):
        forecast_document(plan(), iterations=10, seed=1, target_date=None, distribution="normal")
