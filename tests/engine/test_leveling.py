"""Resource leveling: hand-computed cases, all link types, time-varying capacity, errors,
and properties (never over capacity, never breaking a link, exact within its bound)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itpm.engine.errors import CycleError, EngineError, PlanError
from itpm.engine.leveling import RULES, LevelResult, level
from itpm.engine.model import (
    CapacityChange,
    Constraint,
    ConstraintType,
    Dependency,
    DependencyType,
    Resource,
    ResourceDemand,
    Task,
)

FS, SS, FF, SF = DependencyType.FS, DependencyType.SS, DependencyType.FF, DependencyType.SF


def task(task_id: str, duration: int, *demands: tuple[str, float], priority: int = 500) -> Task:
    return Task(
        id=task_id,
        duration=duration,
        priority=priority,
        demands=tuple(ResourceDemand(resource=r, units=u) for r, u in demands),
    )


def capacity_at(resource: Resource, moment: int) -> float:
    capacity = resource.capacity
    for change in sorted(resource.changes, key=lambda c: c.start):
        if change.start <= moment:
            capacity = change.capacity
    return capacity


def assert_feasible(
    result: LevelResult,
    tasks: Sequence[Task],
    dependencies: Sequence[Dependency],
    resources: Sequence[Resource],
) -> None:
    """Every link holds, nothing starts before 0, no resource is ever over capacity."""
    by_id = {t.id: t for t in tasks}
    start, finish = result.start, result.finish
    assert set(start) == set(by_id)
    for t in tasks:
        assert start[t.id] >= 0
        assert finish[t.id] == start[t.id] + t.duration
    for dep in dependencies:
        p, s = dep.predecessor, dep.successor
        if dep.type is FS:
            assert start[s] >= finish[p] + dep.lag, dep
        elif dep.type is SS:
            assert start[s] >= start[p] + dep.lag, dep
        elif dep.type is FF:
            assert finish[s] >= finish[p] + dep.lag, dep
        else:
            assert finish[s] >= start[p] + dep.lag, dep
    assert result.makespan == max((finish[t.id] for t in tasks), default=0)
    for resource in resources:
        for moment in range(result.makespan):
            used = sum(
                d.units
                for t in tasks
                if t.duration > 0 and start[t.id] <= moment < finish[t.id]
                for d in t.demands
                if d.resource == resource.id
            )
            assert used <= capacity_at(resource, moment) + 1e-9, (resource.id, moment, used)


# --- hand-computed cases -----------------------------------------------------------------


def test_two_tasks_on_one_person_run_one_after_the_other() -> None:
    tasks = [task("a", 3, ("dev", 1)), task("b", 2, ("dev", 1))]
    resources = [Resource("dev", 1)]
    result = level(tasks, [], resources)
    assert result.makespan == 5
    assert sorted([(result.start["a"], 3), (result.start["b"], 2)]) in (
        [(0, 3), (3, 2)],
        [(0, 2), (2, 3)],
    )
    assert result.optimal  # the work bound (5 units of work on 1 unit) is reached
    assert_feasible(result, tasks, [], resources)


def test_moved_lists_only_delayed_tasks_and_by_how_much() -> None:
    tasks = [task("a", 4, ("dev", 1), priority=900), task("b", 2, ("dev", 1), priority=100)]
    resources = [Resource("dev", 1)]
    result = level(tasks, [], resources, rules=("priority",), justify=False)
    assert result.start == {"a": 0, "b": 4}
    assert result.moved == {"b": 4}
    assert result.early_start == {"a": 0, "b": 0}


def test_priority_rule_puts_the_higher_priority_task_first() -> None:
    tasks = [task("low", 2, ("dev", 1), priority=100), task("high", 2, ("dev", 1), priority=1000)]
    result = level(tasks, [], [Resource("dev", 1)], rules=("priority",), justify=False)
    assert result.start == {"high": 0, "low": 2}


def test_half_units_share_one_person() -> None:
    tasks = [task("a", 4, ("dev", 0.5)), task("b", 4, ("dev", 0.5)), task("c", 4, ("dev", 0.5))]
    resources = [Resource("dev", 1)]
    result = level(tasks, [], resources)
    assert result.makespan == 8
    assert sorted(result.start.values()) == [0, 0, 4]
    assert_feasible(result, tasks, [], resources)


def test_enough_capacity_changes_nothing() -> None:
    tasks = [task("a", 3, ("dev", 1)), task("b", 5, ("dev", 1))]
    deps = [Dependency("a", "b")]
    result = level(tasks, deps, [Resource("dev", 2)])
    assert result.start == {"a": 0, "b": 3}
    assert result.moved == {}
    assert result.optimal
    assert result.gap == 0.0


def test_milestones_take_no_resource() -> None:
    tasks = [task("build", 5, ("dev", 1)), task("gate", 0, ("dev", 1)), task("test", 2, ("dev", 1))]
    deps = [Dependency("build", "test"), Dependency("gate", "test")]
    result = level(tasks, deps, [Resource("dev", 1)])
    assert result.start["gate"] == 0  # a milestone beside a full resource is not delayed
    assert result.start["test"] == 5
    assert result.makespan == 7


def test_empty_plan() -> None:
    result = level([], [], [])
    assert result.makespan == 0
    assert result.start == {}


def test_tasks_without_resources_follow_cpm() -> None:
    tasks = [task("a", 2), task("b", 3), task("c", 1)]
    deps = [Dependency("a", "c"), Dependency("b", "c", lag=2)]
    result = level(tasks, deps, [])
    assert result.start == {"a": 0, "b": 0, "c": 5}


@pytest.mark.parametrize("method", ["heuristic", "exact"])
def test_known_optimum_of_a_small_rcpsp(method: str) -> None:
    # Two resources, capacity 2 each; a critical path of 6, work forces 7 on resource x:
    # x-work = 3*1 + 2*2 + 2*1 + 2*2 + 1*1 = 14 units -> at least 7 time units.
    tasks = [
        task("a", 3, ("x", 1)),
        task("b", 2, ("x", 2), ("y", 1)),
        task("c", 2, ("x", 1), ("y", 2)),
        task("d", 2, ("x", 2)),
        task("e", 1, ("x", 1), ("y", 1)),
    ]
    deps = [Dependency("a", "d"), Dependency("b", "e"), Dependency("c", "e")]
    resources = [Resource("x", 2), Resource("y", 2)]
    result = level(tasks, deps, resources, method=method)
    assert_feasible(result, tasks, deps, resources)
    assert result.makespan == 7
    assert result.lower_bound == 7
    assert result.optimal


# --- the four link types with lags and leads -----------------------------------------------


@pytest.mark.parametrize(
    ("kind", "lag", "expected_b"),
    [
        # a runs 0..4 on the single person; b (3 units) needs the person too.
        (FS, 0, 4),
        (FS, 2, 6),
        (FS, -2, 4),  # a lead, but the person is busy until 4
        (SS, 1, 4),  # may start at 1 by the link, the person frees at 4
        (FF, 0, 4),  # finish >= 4 -> start >= 1, person busy -> 4
        (FF, 5, 6),  # finish >= 9 -> start >= 6
        (SF, 10, 7),  # finish >= 10 -> start >= 7
        (SF, 2, 4),  # finish >= 2 -> start >= -1, clamped by the person to 4
    ],
)
def test_link_types_with_lags_under_leveling(
    kind: DependencyType, lag: int, expected_b: int
) -> None:
    tasks = [task("a", 4, ("dev", 1)), task("b", 3, ("dev", 1))]
    deps = [Dependency("a", "b", kind, lag)]
    resources = [Resource("dev", 1)]
    result = level(tasks, deps, resources)
    assert result.start["a"] == 0
    assert result.start["b"] == expected_b
    assert_feasible(result, tasks, deps, resources)


@pytest.mark.parametrize(
    ("kind", "lag", "expected_b"),
    [
        (SS, 0, 0),  # successor may run beside its predecessor
        (SS, 2, 2),
        (FF, 0, 2),  # b (2 units) must finish with a (4 units): start 2
        (FF, -3, 0),
        (SF, 1, 0),  # finish >= start(a) + 1 -> start >= -1 -> 0
        (FS, -2, 2),  # a lead of 2: starts before a finishes
    ],
)
def test_successor_can_start_before_its_predecessor_finishes(
    kind: DependencyType, lag: int, expected_b: int
) -> None:
    tasks = [task("a", 4, ("dev", 1)), task("b", 2, ("ops", 1))]
    deps = [Dependency("a", "b", kind, lag)]
    resources = [Resource("dev", 1), Resource("ops", 1)]
    for method in ("heuristic", "exact"):
        result = level(tasks, deps, resources, method=method)
        assert result.start == {"a": 0, "b": expected_b}, method
        assert_feasible(result, tasks, deps, resources)


def test_successor_placed_before_its_predecessor_by_a_start_to_finish_link() -> None:
    # b must finish no earlier than a starts: with a pushed to 5 by the busy person,
    # b (on another resource) may still run at 0; a later c needs b's person.
    tasks = [task("x", 5, ("dev", 1)), task("a", 2, ("dev", 1)), task("b", 3, ("ops", 1))]
    deps = [Dependency("x", "a"), Dependency("a", "b", SF, 0)]
    resources = [Resource("dev", 1), Resource("ops", 1)]
    result = level(tasks, deps, resources)
    assert result.start["a"] == 5
    assert result.finish["b"] >= 5
    assert_feasible(result, tasks, deps, resources)


# --- time-varying capacity -----------------------------------------------------------------


def test_vacation_pushes_work_past_it() -> None:
    # The only developer is on vacation from 2 to 6: a 3-unit task cannot fit before.
    dev = Resource("dev", 1, changes=(CapacityChange(2, 0), CapacityChange(6, 1)))
    tasks = [task("a", 3, ("dev", 1)), task("b", 2, ("dev", 1))]
    for method in ("heuristic", "exact"):
        result = level(tasks, [], [dev], method=method)
        assert_feasible(result, tasks, [], [dev])
        assert result.start["b"] == 0  # b fits before the vacation
        assert result.start["a"] == 6
        assert result.makespan == 9


def test_part_time_capacity_halves_throughput() -> None:
    # Two people until 4, then one: four 4-unit tasks need 4 + 4 + 4 = 12 units.
    team = Resource("team", 2, changes=(CapacityChange(4, 1),))
    tasks = [task(f"t{i}", 4, ("team", 1)) for i in range(4)]
    result = level(tasks, [], [team])
    assert_feasible(result, tasks, [], [team])
    assert result.makespan == 12


def test_capacity_arriving_later_is_waited_for() -> None:
    # A task needing two people waits until the second one joins at 10.
    team = Resource("team", 1, changes=(CapacityChange(10, 2),))
    tasks = [task("pair", 3, ("team", 2))]
    result = level(tasks, [], [team])
    assert result.start["pair"] == 10


def test_started_task_stays_where_it_started() -> None:
    tasks = [
        task("new", 3, ("dev", 1), priority=1000),
        Task(id="running", duration=4, actual_start=1, demands=(ResourceDemand("dev", 1),)),
    ]
    result = level(tasks, [], [Resource("dev", 1)])
    assert result.start["running"] == 1
    assert result.start["new"] == 5


def test_start_no_earlier_than_is_a_release_time() -> None:
    tasks = [Task(id="a", duration=2, constraint=Constraint(ConstraintType.SNET, 7))]
    assert level(tasks, [], []).start == {"a": 7}


# --- errors ----------------------------------------------------------------------------------


def test_demand_above_capacity_names_task_and_resource() -> None:
    with pytest.raises(EngineError, match=r"'big'.*'dev'"):
        level([task("big", 2, ("dev", 3))], [], [Resource("dev", 2)])


@pytest.mark.parametrize("scheme", ["serial", "parallel"])
def test_demand_that_fits_only_before_capacity_drops_for_good_is_an_error(scheme: str) -> None:
    dev = Resource("dev", 2, changes=(CapacityChange(1, 1),))
    with pytest.raises(EngineError, match="'pair': no period"):
        level([task("pair", 3, ("dev", 2))], [], [dev], schemes=(scheme,))


def test_cycle_is_reported() -> None:
    deps = [Dependency("a", "b"), Dependency("b", "a")]
    with pytest.raises(CycleError):
        level([task("a", 1), task("b", 1)], deps, [])


@pytest.mark.parametrize(
    ("tasks", "deps", "resources", "message"),
    [
        ([task("a", 1)], [Dependency("a", "zzz")], [], "zzz"),
        ([task("a", 1, ("ghost", 1))], [], [], "ghost"),
        ([task("a", -1)], [], [], "negative duration"),
        ([task("a", 1)], [], [Resource("r", -1)], "negative capacity"),
    ],
)
def test_bad_input_is_a_plan_error(
    tasks: list[Task], deps: list[Dependency], resources: list[Resource], message: str
) -> None:
    with pytest.raises(PlanError, match=message):
        level(tasks, deps, resources)


def test_unknown_method_and_rule_are_errors() -> None:
    with pytest.raises(EngineError, match="method"):
        level([], [], [], method="magic")
    with pytest.raises(EngineError, match="rules"):
        level([], [], [], rules=("fifo",))


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_alone_gives_a_feasible_schedule(rule: str) -> None:
    tasks, deps, resources = _ladder()
    result = level(tasks, deps, resources, rules=(rule,), samples=0)
    assert_feasible(result, tasks, deps, resources)


def test_same_seed_same_schedule() -> None:
    tasks, deps, resources = _ladder()
    first = level(tasks, deps, resources, seed=3, samples=50)
    second = level(tasks, deps, resources, seed=3, samples=50)
    assert first.start == second.start


def test_time_limit_on_a_cpu_clock() -> None:
    import time

    tasks, deps, resources = _ladder()
    result = level(tasks, deps, resources, time_limit=0.05, clock=time.process_time)
    assert_feasible(result, tasks, deps, resources)


def _ladder() -> tuple[list[Task], list[Dependency], list[Resource]]:
    tasks = [task(f"t{i}", 1 + i % 4, ("dev", 1 + i % 2), ("ops", i % 3)) for i in range(16)]
    deps = [Dependency(f"t{i}", f"t{i + 3}", [FS, SS, FF, SF][i % 4], i % 3 - 1) for i in range(13)]
    return tasks, deps, [Resource("dev", 2), Resource("ops", 3)]


# --- properties ------------------------------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn) -> tuple[list[Task], list[Dependency], list[Resource]]:
    resource_count = draw(st.integers(1, 3))
    resources = []
    for r in range(resource_count):
        capacity = draw(st.sampled_from([1, 2, 3, 1.5]))
        changes: list[CapacityChange] = []
        if draw(st.booleans()):
            begin = draw(st.integers(1, 10))
            changes = [
                CapacityChange(begin, draw(st.sampled_from([0, 0.5, 1]))),
                CapacityChange(begin + draw(st.integers(1, 6)), capacity),
            ]
        resources.append(Resource(f"r{r}", capacity, tuple(changes)))
    n = draw(st.integers(1, 9))
    tasks = []
    for j in range(n):
        demands = []
        for r in range(resource_count):
            units = draw(st.sampled_from([0, 0, 0.5, 1, 1.5]))
            if 0 < units <= resources[r].capacity:
                demands.append((f"r{r}", float(units)))
        tasks.append(
            task(f"t{j}", draw(st.integers(0, 5)), *demands, priority=draw(st.integers(0, 1000)))
        )
    deps = []
    for k in range(1, n):
        for i in draw(st.sets(st.integers(0, k - 1), max_size=2)):
            kind = draw(st.sampled_from([FS, SS, FF, SF]))
            deps.append(Dependency(f"t{i}", f"t{k}", kind, draw(st.integers(-3, 3))))
    return tasks, deps, resources


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.sampled_from(RULES), st.integers(0, 3))
def test_heuristic_never_overloads_nor_breaks_a_link(
    plan: tuple[list[Task], list[Dependency], list[Resource]], rule: str, seed: int
) -> None:
    tasks, deps, resources = plan
    result = level(tasks, deps, resources, rules=(rule, "lft"), samples=20, seed=seed)
    assert_feasible(result, tasks, deps, resources)
    assert result.lower_bound is not None
    assert result.makespan >= result.lower_bound


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_exact_is_feasible_within_its_bound_and_no_worse_than_the_heuristic(
    plan: tuple[list[Task], list[Dependency], list[Resource]],
) -> None:
    tasks, deps, resources = plan
    heuristic = level(tasks, deps, resources, samples=100)
    exact = level(tasks, deps, resources, method="exact", time_limit=5, samples=100)
    assert_feasible(exact, tasks, deps, resources)
    assert exact.lower_bound is not None
    assert exact.lower_bound <= exact.makespan <= heuristic.makespan
    if exact.optimal:
        assert exact.makespan == exact.lower_bound or exact.gap == 0.0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.sampled_from(["serial", "parallel"]), st.sampled_from(RULES))
def test_each_scheme_alone_is_feasible(
    plan: tuple[list[Task], list[Dependency], list[Resource]], scheme: str, rule: str
) -> None:
    # samples=0, justify=False: the result is the raw schedule of one scheme and rule.
    tasks, deps, resources = plan
    result = level(
        tasks, deps, resources, rules=(rule,), schemes=(scheme,), samples=0, justify=False
    )
    assert_feasible(result, tasks, deps, resources)


# --- the neighbourhood search of exact mode above 100 tasks ------------------------------


def _wide_plan(count: int = 130) -> tuple[list[Task], list[Dependency], list[Resource]]:
    """130 tasks in 13 chains of 10 over three scarce resources, with every link type and
    a vacation: large enough for exact mode's neighbourhood search, hard enough to move."""
    kinds = [FS, SS, FF, SF]
    tasks = [
        task(f"T{i}", 1 + (i * 7) % 9, (f"R{i % 3}", 1 + i % 2), (f"R{(i + 1) % 3}", 1))
        for i in range(count)
    ]
    dependencies = [
        Dependency(f"T{i - 1}", f"T{i}", kinds[i % 4] if i % 5 else FS, (i % 3) - 1)
        for i in range(1, count)
        if i % 10
    ]
    resources = [
        Resource("R0", 3),
        Resource("R1", 2, (CapacityChange(10, 1), CapacityChange(25, 2))),
        Resource("R2", 3),
    ]
    return tasks, dependencies, resources


def test_exact_above_a_hundred_tasks_searches_neighbourhoods_and_stays_feasible() -> None:
    tasks, deps, resources = _wide_plan()
    heuristic = level(tasks, deps, resources, time_limit=1, samples=50)
    exact = level(tasks, deps, resources, method="exact", time_limit=4)
    assert_feasible(exact, tasks, deps, resources)
    assert exact.lower_bound is not None
    assert exact.lower_bound <= exact.makespan <= heuristic.makespan
    assert exact.optimal == (exact.makespan <= exact.lower_bound)


def test_neighbourhood_search_shortens_a_poor_schedule_and_never_lengthens_one() -> None:
    from itpm.engine import leveling

    tasks, deps, resources = _wide_plan()
    problem, _, order = leveling._build_problem(tasks, deps, resources)
    # A deliberately poor start: the serial scheme in reverse order of the LFT rule.
    keys = leveling._rule_keys(problem, order, [t.priority for t in tasks], 1)["lft"]
    solver = leveling._Solver(problem, order, 0, float("inf"), lambda: 0.0)
    poor = solver.forward([-k for k in keys])
    span = max(s + d for s, d in zip(poor, problem.duration, strict=True))
    better = leveling._lns(problem, poor, time_limit=2.0, seed=1, workers=2)
    new_span = max(s + d for s, d in zip(better, problem.duration, strict=True))
    assert new_span < span
    result = LevelResult(
        start={t.id: better[j] for j, t in enumerate(tasks)},
        finish={t.id: better[j] + t.duration for j, t in enumerate(tasks)},
        makespan=new_span,
        moved={},
        lower_bound=None,
        gap=None,
        optimal=False,
        method="exact",
    )
    assert_feasible(result, tasks, deps, resources)
    # From an optimal-looking start at the bound it returns at once, unchanged.
    assert (
        leveling._lns(problem, better, time_limit=2.0, seed=1, workers=2, lower_bound=new_span)
        == better
    )
