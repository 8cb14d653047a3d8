"""Monte Carlo forecast: repeatability, analytic moments, criticality, risks, link types."""

from __future__ import annotations

import math
import random
from math import comb

import numpy as np
import pytest

from itpm.engine.cpm import schedule
from itpm.engine.errors import CycleError, PlanError
from itpm.engine.model import (
    Constraint,
    ConstraintType,
    Dependency,
    DependencyType,
    Estimate,
    RiskEvent,
    Task,
)
from itpm.engine.montecarlo import forecast, pert_quantile_table

FS, SS, FF, SF = DependencyType.FS, DependencyType.SS, DependencyType.FF, DependencyType.SF


def chain(
    n: int, estimate: Estimate | None, duration: int = 10
) -> tuple[list[Task], list[Dependency]]:
    tasks = [Task(id=f"T{i}", duration=duration, estimate=estimate) for i in range(n)]
    links = [Dependency(f"T{i}", f"T{i + 1}") for i in range(n - 1)]
    return tasks, links


def assert_mean_and_variance(samples: np.ndarray, mean: float, variance: float) -> None:
    """Within five standard errors: a false alarm about once in 1.7 million runs."""
    count = samples.size
    assert abs(samples.mean() - mean) <= 5 * math.sqrt(variance / count)
    # The sample variance of a near-normal sum has standard error variance * sqrt(2 / n).
    assert abs(samples.var(ddof=1) - variance) <= 5 * variance * math.sqrt(2 / count)


def test_same_seed_same_result_and_other_seed_other_result() -> None:
    tasks, links = chain(5, Estimate(2, 4, 9))
    first = forecast(tasks, links, iterations=2000, seed=42)
    again = forecast(tasks, links, iterations=2000, seed=42)
    other = forecast(tasks, links, iterations=2000, seed=43)
    np.testing.assert_array_equal(first.finish_samples, again.finish_samples)
    assert first.finish_percentiles == again.finish_percentiles
    assert not np.array_equal(first.finish_samples, other.finish_samples)


def test_thread_count_does_not_change_the_result() -> None:
    tasks, links = chain(3, Estimate(2, 4, 9))
    # More iterations than one block, so several blocks and streams are in play.
    one = forecast(tasks, links, iterations=20_000, seed=5, workers=1)
    two = forecast(tasks, links, iterations=20_000, seed=5, workers=2)
    np.testing.assert_array_equal(one.finish_samples, two.finish_samples)
    assert one.criticality == two.criticality


def test_triangular_chain_matches_analytic_moments() -> None:
    a, m, b, n = 2.0, 5.0, 14.0, 12
    tasks, links = chain(n, Estimate(a, m, b))
    result = forecast(tasks, links, iterations=40_000, seed=1, distribution="triangular")
    mean = n * (a + m + b) / 3
    variance = n * (a * a + b * b + m * m - a * b - a * m - b * m) / 18
    assert_mean_and_variance(result.finish_samples, mean, variance)


def test_pert_chain_matches_analytic_moments() -> None:
    a, m, b, n = 2.0, 5.0, 14.0, 12
    tasks, links = chain(n, Estimate(a, m, b))
    result = forecast(tasks, links, iterations=40_000, seed=2, distribution="pert")
    # PERT-beta, lambda 4: mean (a + 4m + b) / 6, variance (mean - a)(b - mean) / 7.
    one_mean = (a + 4 * m + b) / 6
    assert_mean_and_variance(
        result.finish_samples, n * one_mean, n * (one_mean - a) * (b - one_mean) / 7
    )


def test_samples_stay_within_the_estimate() -> None:
    tasks, links = chain(1, Estimate(3, 4, 8))
    for distribution in ("pert", "triangular"):
        samples = forecast(
            tasks, links, iterations=5000, seed=3, distribution=distribution
        ).finish_samples
        assert samples.min() >= 3 and samples.max() <= 8


def test_percentiles_histogram_and_probability_on_time() -> None:
    tasks, links = chain(4, Estimate(2, 4, 9))
    result = forecast(tasks, links, iterations=10_000, seed=4, target=16.0, bins=25)
    p = result.finish_percentiles
    assert p[10] < p[50] < p[80] < p[95]
    assert result.probability_on_time == pytest.approx(np.mean(result.finish_samples <= 16.0))
    assert sum(result.histogram_counts) == 10_000
    assert len(result.histogram_edges) == 26
    assert result.histogram_edges[0] == result.finish_samples.min()
    assert forecast(tasks, links, iterations=10, seed=4).probability_on_time is None


def test_tasks_without_estimates_keep_their_duration() -> None:
    tasks, links = chain(3, None, duration=7)
    result = forecast(tasks, links, iterations=100, seed=1)
    assert set(result.finish_samples.tolist()) == {21.0}
    assert result.stdev_finish == 0.0
    assert result.criticality == {"T0": 1.0, "T1": 1.0, "T2": 1.0}


def test_criticality_is_one_on_a_single_chain() -> None:
    tasks, links = chain(6, Estimate(1, 5, 20))
    result = forecast(tasks, links, iterations=3000, seed=9)
    assert result.criticality == {f"T{i}": 1.0 for i in range(6)}


def test_criticality_splits_between_two_identical_parallel_branches() -> None:
    estimate = Estimate(5, 10, 20)
    tasks = [
        Task(id=name, duration=10, estimate=estimate) for name in ("start", "left", "right", "end")
    ]
    links = [
        Dependency("start", "left"),
        Dependency("start", "right"),
        Dependency("left", "end"),
        Dependency("right", "end"),
    ]
    result = forecast(tasks, links, iterations=20_000, seed=11)
    assert result.criticality["start"] == 1.0
    assert result.criticality["end"] == 1.0
    assert result.criticality["left"] == pytest.approx(0.5, abs=0.02)
    assert result.criticality["left"] + result.criticality["right"] == pytest.approx(1.0)


def test_short_branch_is_never_critical() -> None:
    tasks = [
        Task(id="long", duration=50, estimate=Estimate(40, 50, 60)),
        Task(id="short", duration=5, estimate=Estimate(1, 5, 10)),
        Task(id="end", duration=1),
    ]
    links = [Dependency("long", "end"), Dependency("short", "end")]
    result = forecast(tasks, links, iterations=2000, seed=1)
    assert result.criticality == {"long": 1.0, "short": 0.0, "end": 1.0}


def test_risk_event_shifts_the_mean_by_probability_times_delay() -> None:
    tasks, links = chain(2, None, duration=10)
    risk = RiskEvent(id="R1", probability=0.3, task="T1", delay=20.0, cost=1000.0)
    result = forecast(tasks, links, iterations=40_000, seed=12, risks=[risk])
    # A Bernoulli(0.3) times 20: mean 6, variance 20^2 * 0.3 * 0.7.
    assert_mean_and_variance(result.finish_samples, 20 + 6, 400 * 0.21)
    assert result.mean_cost == pytest.approx(300, abs=5 * 1000 * math.sqrt(0.21 / 40_000))
    assert result.cost_percentiles is not None
    assert result.cost_percentiles[50] == 0.0 and result.cost_percentiles[95] == 1000.0


def test_project_level_risk_delays_the_finish_not_the_tasks() -> None:
    tasks, links = chain(2, None, duration=10)
    risk = RiskEvent(id="R", probability=1.0, delay=5.0)
    result = forecast(tasks, links, iterations=10, seed=1, risks=[risk])
    assert set(result.finish_samples.tolist()) == {25.0}
    assert result.criticality == {"T0": 1.0, "T1": 1.0}


def test_cost_rates_and_base_cost() -> None:
    tasks, links = chain(2, None, duration=10)
    result = forecast(tasks, links, iterations=10, seed=1, cost_rates={"T0": 100.0}, base_cost=50)
    assert result.cost_percentiles == {10: 1050.0, 50: 1050.0, 80: 1050.0, 95: 1050.0}
    assert forecast(tasks, links, iterations=10, seed=1).cost_percentiles is None


# Two fixed tasks A (10 h) and B (5 h) joined by one link: (type, lag) -> (finish, crit B, crit A).
@pytest.mark.parametrize(
    ("kind", "lag", "finish", "b_critical", "a_critical"),
    [
        (FS, 0, 15.0, 1.0, 1.0),
        (FS, 2, 17.0, 1.0, 1.0),
        (FS, -3, 12.0, 1.0, 1.0),  # a lead
        (SS, 3, 10.0, 0.0, 1.0),  # B runs 3..8 inside A
        (SS, 7, 12.0, 1.0, 1.0),  # B runs 7..12
        (FF, 2, 12.0, 1.0, 1.0),  # B finishes at 12, so starts at 7
        (FF, -8, 10.0, 0.0, 1.0),  # B may finish at 2, but cannot start before 0
        (SF, 12, 12.0, 1.0, 1.0),  # B finishes no earlier than A's start + 12
        (SF, 4, 10.0, 0.0, 1.0),
    ],
)
def test_link_types_and_lags(
    kind: DependencyType, lag: int, finish: float, b_critical: float, a_critical: float
) -> None:
    tasks = [
        Task(id="A", duration=10),
        Task(id="B", duration=5),
    ]
    result = forecast(tasks, [Dependency("A", "B", kind, lag)], iterations=5, seed=1)
    assert set(result.finish_samples.tolist()) == {finish}
    assert result.criticality == {"A": a_critical, "B": b_critical}


def test_ss_link_makes_the_predecessor_critical_through_its_start() -> None:
    # A (10) SS+2 B (20): B drives the finish (22); A's float is zero through the SS link.
    tasks = [Task(id="A", duration=10), Task(id="B", duration=20)]
    result = forecast(tasks, [Dependency("A", "B", SS, 2)], iterations=3, seed=1)
    assert set(result.finish_samples.tolist()) == {22.0}
    assert result.criticality == {"A": 1.0, "B": 1.0}


def test_start_and_finish_no_earlier_than_constraints() -> None:
    tasks = [
        Task(id="A", duration=10, constraint=Constraint(ConstraintType.SNET, 5)),
        Task(id="B", duration=4, constraint=Constraint(ConstraintType.FNET, 30)),
    ]
    result = forecast(tasks, [Dependency("A", "B")], iterations=3, seed=1)
    assert set(result.finish_samples.tolist()) == {30.0}
    assert result.criticality == {"A": 0.0, "B": 1.0}


def test_summary_tasks_are_expanded_to_their_leaves() -> None:
    tasks = [
        Task(id="design", duration=8),
        Task(id="build", duration=0),  # summary
        Task(id="backend", duration=20, parent="build"),
        Task(id="frontend", duration=12, parent="build"),
        Task(id="release", duration=2),
    ]
    links = [Dependency("design", "build"), Dependency("build", "release")]
    result = forecast(tasks, links, iterations=3, seed=1)
    assert set(result.finish_samples.tolist()) == {30.0}
    assert result.criticality == {
        "design": 1.0,
        "backend": 1.0,
        "frontend": 0.0,
        "release": 1.0,
        "build": 1.0,
    }


def test_start_link_from_a_summary_applies_to_every_leaf_as_in_cpm() -> None:
    tasks = [
        Task(id="phase", duration=0),
        Task(id="first", duration=5, parent="phase"),
        Task(id="second", duration=5, parent="phase"),
        Task(id="docs", duration=6),
    ]
    links = [Dependency("first", "second"), Dependency("phase", "docs", SS, 1)]
    result = forecast(tasks, links, iterations=2, seed=1)
    # cpm.expand_summaries links docs to both leaves: it starts 1 h after "second" does.
    assert set(result.finish_samples.tolist()) == {12.0}
    assert result.criticality == {
        "first": 1.0,
        "second": 1.0,
        "docs": 1.0,
        "phase": 1.0,
    }


@pytest.mark.parametrize(
    ("tasks", "links", "risks", "message"),
    [
        (
            [Task("A", 5, estimate=Estimate(6, 5, 9))],
            [],
            [],
            r"tasks\[0\]\.estimate: optimistic > most_likely",
        ),
        (
            [Task("A", 5, estimate=Estimate(1, 9, 8))],
            [],
            [],
            r"tasks\[0\]\.estimate: most_likely > pessimistic",
        ),
        ([Task("A", 5, estimate=Estimate(-1, 2, 8))], [], [], "optimistic must not be negative"),
        ([Task("A", 5)], [Dependency("A", "Z")], [], r"dependencies\[0\]\.successor"),
        ([Task("A", 5)], [], [RiskEvent("R", 1.5, "A")], r"risks\[0\]\.probability"),
        ([Task("A", 5)], [], [RiskEvent("R", 0.5, "Q")], r"risks\[0\]\.task"),
        ([Task("A", 5, parent="P")], [], [], r"tasks\[0\]\.parent"),
    ],
)
def test_bad_input_names_the_field(
    tasks: list[Task], links: list[Dependency], risks: list[RiskEvent], message: str
) -> None:
    with pytest.raises(PlanError, match=message):
        forecast(tasks, links, iterations=10, seed=1, risks=risks)


def test_cycle_is_reported() -> None:
    tasks = [Task("A", 1), Task("B", 1)]
    with pytest.raises(CycleError):
        forecast(tasks, [Dependency("A", "B"), Dependency("B", "A")], iterations=10, seed=1)


def random_plan(seed: int) -> tuple[list[Task], list[Dependency], int | None]:
    """A random plan using every feature the deterministic schedule knows, but ALAP."""
    rng = random.Random(seed)
    count = rng.randint(2, 25)
    status = rng.choice([None, rng.randint(0, 30)])
    tasks: list[Task] = []
    for i in range(count):
        duration = rng.choice([0, rng.randint(1, 40)])
        constraint = Constraint()
        if rng.random() < 0.2:
            kind = rng.choice(
                [
                    ConstraintType.SNET,
                    ConstraintType.FNET,
                    ConstraintType.SNLT,
                    ConstraintType.FNLT,
                    ConstraintType.MSO,
                    ConstraintType.MFO,
                ]
            )
            constraint = Constraint(kind, rng.randint(0, 120))
        actual_start = actual_finish = None
        if status is not None and i < 4 and rng.random() < 0.5:
            actual_start = rng.randint(0, status)
            if rng.random() < 0.5:
                actual_finish = actual_start + duration
        tasks.append(
            Task(
                id=f"T{i}",
                duration=duration,
                constraint=constraint,
                deadline=rng.choice([None, None, rng.randint(10, 200)]),
                actual_start=actual_start,
                actual_finish=actual_finish,
            )
        )
    # A couple of summaries over disjoint ranges of later tasks.
    if count > 8 and rng.random() < 0.5:
        tasks.append(Task(id="S", duration=0))
        for k in range(count - 4, count):
            tasks[k].parent = "S"
    links: list[Dependency] = []
    for j in range(1, count):
        links.extend(
            Dependency(f"T{i}", f"T{j}", rng.choice([FS, SS, FF, SF]), rng.randint(-5, 10))
            for i in rng.sample(range(j), min(j, rng.randint(0, 3)))
        )
    if any(t.id == "S" for t in tasks):
        links.append(Dependency("T0", "S", rng.choice([FS, SS, FF, SF]), 2))
    return tasks, links, status


@pytest.mark.parametrize("seed", range(60))
def test_fixed_durations_reproduce_the_deterministic_schedule(seed: int) -> None:
    tasks, links, status = random_plan(seed)
    expected = schedule(tasks, links, status=status)
    result = forecast(tasks, links, iterations=2, seed=1, status=status)
    assert set(result.finish_samples.tolist()) == {float(expected.project_finish)}
    for i, task_id in enumerate(expected.ids):
        assert result.criticality[task_id] == float(expected.critical[i]), task_id


def beta_cdf(x: np.ndarray, alpha: int, beta: int) -> np.ndarray:
    """Regularized incomplete beta function for whole-number parameters (closed form)."""
    n = alpha + beta - 1
    return sum(comb(n, j) * x**j * (1 - x) ** (n - j) for j in range(alpha, n + 1))


# PERT on (0, m, 1): alpha = 1 + 4m, beta = 1 + 4(1 - m).
@pytest.mark.parametrize(
    ("mode", "alpha", "beta"), [(0.0, 1, 5), (0.25, 2, 4), (0.5, 3, 3), (0.75, 4, 2), (1.0, 5, 1)]
)
def test_pert_quantile_table_matches_the_exact_beta_cdf(mode: float, alpha: int, beta: int) -> None:
    table = pert_quantile_table(np.array([0.0]), np.array([mode]), np.array([1.0]))[0]
    nodes = table.astype(np.float64)
    cells = nodes.size - 1
    # At the nodes the table is exact to the CDF integration...
    assert np.abs(beta_cdf(nodes, alpha, beta) - np.linspace(0, 1, cells + 1)).max() < 1e-6
    # ...and between them, linear interpolation stays within 1e-4 (5e-4 in the end cells).
    middles = (nodes[:-1] + nodes[1:]) / 2
    error = np.abs(beta_cdf(middles, alpha, beta) - (np.arange(cells) + 0.5) / cells)
    assert error[1:-1].max() < 1e-4
    assert error.max() < 5e-4


def test_pert_samples_follow_the_beta_cdf() -> None:
    tasks = [Task(id="A", duration=5, estimate=Estimate(10, 15, 30))]  # Beta(2, 4) on 10..30
    samples = forecast(tasks, [], iterations=50_000, seed=8).finish_samples
    grid = np.linspace(10, 30, 41)
    empirical = np.searchsorted(np.sort(samples), grid, side="right") / samples.size
    exact = beta_cdf((grid - 10) / 20, 2, 4)
    # Kolmogorov-Smirnov bound at alpha = 0.001: 1.95 / sqrt(n).
    assert np.abs(empirical - exact).max() < 1.95 / math.sqrt(samples.size)
