"""The forecast through the database: repeatable with a seed, right on an analytic case."""

from __future__ import annotations

import math
from typing import Any

import pytest

from itpm.control import services
from itpm.control.models import ForecastRun
from itpm.planning.services import dependency_create, task_create

A, M, B = 8, 16, 40  # hours of each identical triangular task
CHAIN = 10


@pytest.fixture
def chain(project: Any, people: Any) -> list[Any]:
    owner = people["owner"]
    made = []
    for n in range(CHAIN):
        task = task_create(actor=owner, project=project, name=f"Step {n + 1}", duration_hours=M)
        if made:
            dependency_create(actor=owner, project=project, predecessor=made[-1], successor=task)
        services.task_estimate_set(actor=owner, task=task, optimistic=A, most_likely=M,
                                   pessimistic=B)  # fmt: skip
        made.append(task)
    return made


def test_forecasts_are_repeatable_with_a_seed(project, people, chain) -> None:
    first = services.forecast_run_request(actor=people["member"], project=project,
                                          iterations=2000, seed=7)  # fmt: skip
    second = services.forecast_run_request(actor=people["member"], project=project,
                                           iterations=2000, seed=7)  # fmt: skip
    assert first.status == second.status == "done"
    assert first.results == second.results
    assert first.inputs == second.inputs
    other = services.forecast_run_request(actor=people["member"], project=project,
                                          iterations=2000, seed=8)  # fmt: skip
    assert other.results["mean_hours"] != first.results["mean_hours"]


def test_a_chain_of_identical_triangular_tasks_agrees_with_the_analytic_answer(
    project, people, chain
) -> None:
    iterations = 20_000
    run = services.forecast_run_request(actor=people["member"], project=project,
                                        iterations=iterations, seed=42,
                                        distribution="triangular")  # fmt: skip
    mean = (A + M + B) / 3
    variance = (A * A + B * B + M * M - A * B - A * M - B * M) / 18
    expected_mean = CHAIN * mean
    expected_sd = math.sqrt(CHAIN * variance)
    # Four standard errors of the mean; the sample sd within 4 % (its standard error is
    # about sd / sqrt(2n), i.e. 0.5 % here).
    assert abs(run.results["mean_hours"] - expected_mean) < 4 * expected_sd / math.sqrt(iterations)
    assert abs(run.results["stdev_hours"] - expected_sd) / expected_sd < 0.04
    # With a chain every task is critical in every iteration.
    assert all(row["index"] == 1.0 for row in run.results["criticality"])
    # P50 of a sum of ten triangulars is close to the mean (the sum is nearly normal).
    assert abs(run.results["finish"]["p50"]["hours"] - expected_mean) < 0.1 * expected_sd


def test_a_quantified_risk_moves_the_finish_and_shows_in_the_tornado(
    project, people, chain
) -> None:
    services.risk_create(actor=people["member"], project=project, title="Vendor late",
                         category="vendor", chance="0.5", delay_hours=80, cost="1000.00",
                         delay_tasks=[chain[3]])  # fmt: skip
    run = services.forecast_run_request(actor=people["member"], project=project,
                                        iterations=4000, seed=3)  # fmt: skip
    mean = CHAIN * (A + M + B) / 3
    assert run.results["mean_hours"] == pytest.approx(mean + 40, abs=4)
    top = run.results["tornado"][0]
    assert top["kind"] == "risk" and top["swing_hours"] == pytest.approx(80, abs=8)
    assert run.results["cost"]["p95"] == "1000.00"


def test_a_large_plan_runs_as_a_background_job_with_progress(
    project, people, chain, settings, django_capture_on_commit_callbacks
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        run = services.forecast_run_request(actor=people["member"], project=project,
                                            iterations=1000, seed=1, background=True)  # fmt: skip
        assert run.status == "queued"
    run = ForecastRun.objects.get(pk=run.pk)
    assert run.status == "done" and run.progress == 100
    assert sum(row["count"] for row in run.results["histogram"]) == 1000


def test_the_chance_to_meet_the_target_date_and_the_budget(project, people, chain, client) -> None:
    from itpm.control import forecasting
    from itpm.tracking.services import budget_line_create

    type(project).objects.filter(pk=project.pk).update(target_date="2027-02-10")
    project.refresh_from_db()
    budget_line_create(actor=people["owner"], project=project, category="hardware",
                       name="Switches", months={"2027-01": "1000.00"})  # fmt: skip
    budget_line_create(actor=people["owner"], project=project, category="contingency",
                       name="Reserve", months={"2027-02": "200.00"})  # fmt: skip
    # No task carries cost here, so the 1,200.00 budget is a fixed cost; a risk that costs
    # 500.00 with a 30 % chance takes the total over it in 30 % of the runs.
    services.risk_create(actor=people["member"], project=project, title="Customs fee",
                         category="cost", chance="0.3", cost="500.00")  # fmt: skip
    iterations = 20_000
    run = services.forecast_run_request(actor=people["member"], project=project,
                                        iterations=iterations, seed=5)  # fmt: skip
    results = run.results
    assert results["target_date"] == "2027-02-10" and results["budget"] == "1200.00"
    # The finish is a sum of ten triangulars (nearly normal): the chance to meet the end of
    # the target day is the normal's CDF there, within sampling error.
    target = forecasting.forecast_inputs(project)["target_hours"]
    mean = CHAIN * (A + M + B) / 3
    sd = math.sqrt(CHAIN * (A * A + B * B + M * M - A * B - A * M - B * M) / 18)
    expected = 0.5 * (1 + math.erf((target - mean) / (sd * math.sqrt(2))))
    assert 0.1 < expected < 0.9  # the target sits inside the spread, so the test can fail
    assert results["probability_on_time"] == pytest.approx(expected, abs=0.03)
    cost = results["cost"]
    assert cost["probability_within_budget"] == pytest.approx(
        0.7, abs=4 * math.sqrt(0.21 / iterations)
    )
    assert (cost["p50"], cost["p95"]) == ("1200.00", "1700.00")
    client.force_login(people["viewer"])
    page = client.get("/projects/APL/forecast/").content.decode()
    # Money on the page in whole units with thousands grouped, in the project's currency.
    assert f"Chance to stay within the budget of 1,200 {project.currency}" in page
    p80 = f"{round(float(cost['p80'])):,}"  # 1,200 or 1,700: the cost takes two values
    assert f"1,200 / {p80} / 1,700 {project.currency}" in page
    assert f"{round(cost['probability_within_budget'] * 100)} %" in page
