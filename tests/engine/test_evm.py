"""Earned value: a textbook status report, per-task methods, earned schedule, identities."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from itpm.engine.errors import EngineError
from itpm.engine.evm import (
    EarnedValueMethod,
    SCurvePoint,
    TaskProgress,
    earned_schedule,
    earned_value,
    evm_metrics,
    evm_metrics_from_totals,
    planned_value_at,
    s_curve,
)


def test_textbook_status_report() -> None:
    # BAC 100,000, 40 % into the schedule: PV 40,000, EV 35,000, AC 38,000.
    metrics = evm_metrics_from_totals(
        budget_at_completion=100_000,
        planned_value=40_000,
        earned_value=35_000,
        actual_cost=38_000,
    )
    assert metrics.schedule_variance == -5_000
    assert metrics.cost_variance == -3_000
    assert metrics.schedule_performance_index == pytest.approx(0.875)
    assert metrics.cost_performance_index == pytest.approx(0.921053, abs=1e-6)
    assert metrics.eac_cpi == pytest.approx(108_571.43, abs=0.01)
    assert metrics.estimate_at_completion == metrics.eac_cpi
    assert metrics.estimate_to_complete == pytest.approx(70_571.43, abs=0.01)
    assert metrics.variance_at_completion == pytest.approx(-8_571.43, abs=0.01)
    # AC + (BAC - EV) / (CPI * SPI) = 38,000 + 65,000 / 0.805921
    assert metrics.eac_cpi_spi == pytest.approx(118_653.06, abs=0.01)
    assert metrics.to_complete_performance_index_bac == pytest.approx(65_000 / 62_000)
    assert metrics.to_complete_performance_index_eac == pytest.approx(0.921053, abs=1e-6)
    assert metrics.eac_bottom_up is None


def test_bottom_up_estimate_to_complete_drives_eac() -> None:
    metrics = evm_metrics_from_totals(
        budget_at_completion=Decimal("100000"),
        planned_value=Decimal("40000"),
        earned_value=Decimal("35000"),
        actual_cost=Decimal("38000"),
        estimate_to_complete=Decimal("60000"),
    )
    assert metrics.eac_bottom_up == 98_000
    assert metrics.estimate_at_completion == 98_000
    assert metrics.estimate_to_complete == 60_000
    assert metrics.variance_at_completion == 2_000
    assert metrics.to_complete_performance_index_eac == pytest.approx(65_000 / 60_000)


def test_ratios_over_zero_are_none() -> None:
    metrics = evm_metrics_from_totals(
        budget_at_completion=1000, planned_value=0, earned_value=0, actual_cost=0
    )
    assert metrics.schedule_performance_index is None
    assert metrics.cost_performance_index is None
    assert metrics.eac_cpi is None
    assert metrics.eac_cpi_spi is None
    assert metrics.estimate_at_completion is None
    assert metrics.estimate_to_complete is None
    assert metrics.variance_at_completion is None
    assert metrics.to_complete_performance_index_bac == 1.0
    spent = evm_metrics_from_totals(
        budget_at_completion=1000, planned_value=500, earned_value=400, actual_cost=1000
    )
    assert spent.to_complete_performance_index_bac is None


@pytest.mark.parametrize(
    ("method", "percent", "expected"),
    [
        (EarnedValueMethod.ZERO_HUNDRED, 0, 0.0),
        (EarnedValueMethod.ZERO_HUNDRED, 99, 0.0),
        (EarnedValueMethod.ZERO_HUNDRED, 100, 1000.0),
        (EarnedValueMethod.FIFTY_FIFTY, 0, 0.0),
        (EarnedValueMethod.FIFTY_FIFTY, 10, 500.0),
        (EarnedValueMethod.FIFTY_FIFTY, 100, 1000.0),
        (EarnedValueMethod.PHYSICAL, 0, 0.0),
        (EarnedValueMethod.PHYSICAL, 35, 350.0),
        (EarnedValueMethod.PHYSICAL, 100, 1000.0),
    ],
)
def test_earned_value_methods(method: EarnedValueMethod, percent: float, expected: float) -> None:
    progress = TaskProgress(
        task="A", budget_at_completion=1000, percent_complete=percent, method=method
    )
    assert earned_value(progress) == expected


def test_percent_complete_out_of_range_names_the_task() -> None:
    with pytest.raises(EngineError, match=r"B\.percent_complete"):
        earned_value(TaskProgress(task="B", budget_at_completion=10, percent_complete=120))


@pytest.mark.parametrize(
    ("status", "expected"),
    [(-1, 0.0), (0, 0.0), (1, 100.0), (1.5, 200.0), (2, 300.0), (3, 600.0), (10, 600.0)],
)
def test_planned_value_accrues_linearly_within_a_period(status: float, expected: float) -> None:
    assert planned_value_at([100, 200, 300], status) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("earned", "expected"),
    [(0, 0.0), (50, 0.5), (100, 1.0), (200, 1.5), (450, 2.5), (600, 3.0), (700, 3.0)],
)
def test_earned_schedule_interpolates_lipke(earned: float, expected: float) -> None:
    assert earned_schedule([100, 200, 300], earned) == pytest.approx(expected)


def test_project_metrics_with_earned_schedule() -> None:
    # Five periods of 20,000 each; at the end of period 2 (AT = 2) the plan is 40,000.
    tasks = [
        TaskProgress("design", 30_000, 100, 32_000, EarnedValueMethod.ZERO_HUNDRED),
        TaskProgress("build", 50_000, 10, 6_000, EarnedValueMethod.PHYSICAL),
        TaskProgress("test", 20_000, 0, 0, EarnedValueMethod.FIFTY_FIFTY),
    ]
    metrics = evm_metrics(tasks=tasks, time_phased_budget=[20_000] * 5, status=2)
    assert metrics.budget_at_completion == 100_000
    assert metrics.planned_value == 40_000
    assert metrics.earned_value == 35_000
    assert metrics.actual_cost == 38_000
    assert metrics.earned_schedule == pytest.approx(1.75)
    assert metrics.schedule_performance_index_time == pytest.approx(0.875)
    assert metrics.schedule_variance_time == pytest.approx(-0.25)
    assert metrics.planned_duration == 5
    assert metrics.estimated_duration == pytest.approx(5 / 0.875)


def test_time_ratios_before_the_baseline_start_are_none() -> None:
    # Work done before the plan starts (AT = -2 periods): SPI(t) was -ES/2, a negative index.
    metrics = evm_metrics_from_totals(
        budget_at_completion=1000, planned_value=0, earned_value=100, actual_cost=100,
        earned_schedule=0.5, actual_time=-2, planned_duration=10,
    )  # fmt: skip
    assert metrics.schedule_performance_index is None
    assert metrics.schedule_performance_index_time is None
    assert metrics.estimated_duration is None
    assert metrics.schedule_variance_time == pytest.approx(2.5)
    assert metrics.cost_performance_index == 1.0


def test_s_curve_series() -> None:
    points = s_curve([10, 20, 30], earned_per_period=[8, 15], actual_cost_per_period=[9, 18])
    assert points == [
        SCurvePoint(0, 10.0, 8.0, 9.0),
        SCurvePoint(1, 30.0, 23.0, 27.0),
        SCurvePoint(2, 60.0, None, None),
    ]
    late = s_curve([10], earned_per_period=[5, 5])
    assert late[1] == SCurvePoint(1, 10.0, 10.0, None)


money = st.floats(min_value=0.0, max_value=1e9, allow_nan=False)
positive_money = st.floats(min_value=1.0, max_value=1e9)


@given(bac=positive_money, pv=money, ev=positive_money, ac=positive_money)
def test_identities(bac: float, pv: float, ev: float, ac: float) -> None:
    metrics = evm_metrics_from_totals(
        budget_at_completion=bac, planned_value=pv, earned_value=ev, actual_cost=ac
    )
    assert metrics.cost_variance == ev - ac
    assert metrics.schedule_variance == ev - pv
    assert metrics.cost_performance_index is not None
    assert metrics.eac_cpi == pytest.approx(bac / metrics.cost_performance_index)
    assert metrics.estimate_at_completion is not None
    assert metrics.variance_at_completion == pytest.approx(bac - metrics.estimate_at_completion)
    assert metrics.estimate_to_complete == pytest.approx(metrics.estimate_at_completion - ac)
