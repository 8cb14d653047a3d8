"""CPM: hand-computed networks, constraints, summaries, progress, and properties."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itpm.engine import cpm
from itpm.engine.errors import CycleError, PlanError
from itpm.engine.model import Constraint, ConstraintType, Dependency, DependencyType, Task
from itpm.engine.network import build_network

FS, SS, FF, SF = DependencyType.FS, DependencyType.SS, DependencyType.FF, DependencyType.SF
C = ConstraintType


def _dates(result: cpm.Schedule, task_id: str) -> tuple[int, int, int, int, int, int]:
    r = result[task_id]
    return (r.early_start, r.early_finish, r.late_start, r.late_finish, r.total_float, r.free_float)


def test_four_link_types_with_lag() -> None:
    tasks = [Task("A", 3), Task("B", 2), Task("C", 4), Task("D", 2), Task("E", 1)]
    deps = [
        Dependency("A", "B"),
        Dependency("A", "C"),
        Dependency("B", "D"),
        Dependency("C", "D", SS, 1),
        Dependency("D", "E", FF, 2),
    ]
    result = cpm.schedule(tasks, deps)
    assert _dates(result, "A") == (0, 3, 0, 3, 0, 0)
    assert _dates(result, "C") == (3, 7, 4, 8, 1, 1)
    assert _dates(result, "D") == (5, 7, 5, 7, 0, 0)
    assert _dates(result, "E") == (8, 9, 8, 9, 0, 0)
    assert result.project_finish == 9
    assert result.critical_path == ["A", "B", "D", "E"]


@pytest.mark.parametrize(
    ("kind", "lag", "b_start"),
    [
        (FS, 0, 4),
        (FS, 2, 6),
        (FS, -2, 2),
        (SS, 1, 1),
        (FF, 0, 2),
        (FF, 3, 5),
        (SF, 5, 3),
        (SF, 0, 0),
    ],
)
def test_link_types(kind: DependencyType, lag: int, b_start: int) -> None:
    result = cpm.schedule([Task("A", 4), Task("B", 2)], [Dependency("A", "B", kind, lag)])
    assert result["B"].early_start == b_start


@pytest.mark.parametrize(
    ("constraint", "deadline", "expected_b"),
    [
        (Constraint(C.SNET, 10), None, (10, 14, 10, 14, 0)),
        (Constraint(C.FNET, 12), None, (8, 12, 8, 12, 0)),
        (Constraint(C.SNLT, 2), None, (2, 6, 2, 6, 0)),  # against the link: A gets -2
        (Constraint(C.FNLT, 6), None, (2, 6, 2, 6, 0)),
        (Constraint(C.MSO, 7), None, (7, 11, 7, 11, 0)),
        (Constraint(C.MFO, 9), None, (5, 9, 5, 9, 0)),
        (Constraint(), 6, (4, 8, 2, 6, -2)),
    ],
)
def test_constraints(
    constraint: Constraint, deadline: int | None, expected_b: tuple[int, ...]
) -> None:
    tasks = [Task("A", 4), Task("B", 4, constraint=constraint, deadline=deadline)]
    result = cpm.schedule(tasks, [Dependency("A", "B")])
    assert _dates(result, "B")[:5] == expected_b


def test_snlt_against_link_gives_negative_float_upstream() -> None:
    tasks = [Task("A", 4), Task("B", 4, constraint=Constraint(C.SNLT, 2))]
    result = cpm.schedule(tasks, [Dependency("A", "B")])
    assert result["A"].total_float == -2
    assert result["A"].critical


def test_alap_moves_to_late_dates() -> None:
    tasks = [Task("A", 2, constraint=Constraint(C.ALAP)), Task("B", 8), Task("C", 1)]
    result = cpm.schedule(tasks, [Dependency("A", "C"), Dependency("B", "C")])
    assert (result["A"].early_start, result["A"].early_finish) == (6, 8)
    assert result["C"].early_start == 8


def test_tasks_without_successors_float_to_the_project_finish() -> None:
    result = cpm.schedule([Task("A", 2), Task("B", 10)], [])
    assert _dates(result, "A") == (0, 2, 8, 10, 8, 8)


def test_project_finish_override() -> None:
    result = cpm.schedule([Task("A", 2)], [], project_finish=5)
    assert result["A"].total_float == 3


def test_summary_rolls_up_and_links_apply_to_children() -> None:
    tasks = [
        Task("P", 0),
        Task("A", 3, parent="P"),
        Task("B", 5, parent="P"),
        Task("X", 2),
        Task("M", 0, milestone=True),
    ]
    deps = [Dependency("X", "P"), Dependency("P", "M")]
    result = cpm.schedule(tasks, deps)
    assert (result["A"].early_start, result["B"].early_start) == (2, 2)
    assert (result["P"].early_start, result["P"].early_finish) == (2, 7)
    assert result["P"].summary
    assert result["M"].early_start == 7
    assert result.critical_path == ["X", "B", "M"]


def test_progress_from_status_date() -> None:
    tasks = [
        Task("Done", 4, actual_start=0, actual_finish=5),
        Task("Going", 10, actual_start=5),
        Task("Next", 2),
        Task("Free", 3),
    ]
    deps = [Dependency("Done", "Going"), Dependency("Going", "Next")]
    result = cpm.schedule(tasks, deps, status=8)
    assert (result["Done"].early_start, result["Done"].early_finish) == (0, 5)
    assert not result["Done"].critical
    assert (result["Going"].early_start, result["Going"].early_finish) == (5, 15)
    assert result["Next"].early_start == 15
    assert result["Free"].early_start == 8  # not before the status date
    remaining = cpm.schedule([Task("Going", 10, actual_start=5, remaining=6)], [], status=12)
    assert remaining["Going"].early_finish == 18


def test_cycle_names_its_tasks() -> None:
    tasks = [Task(t, 1) for t in "ABCD"]
    deps = [Dependency("A", "B"), Dependency("B", "C"), Dependency("C", "D"), Dependency("D", "B")]
    with pytest.raises(CycleError, match="B -> C -> D -> B") as error:
        cpm.schedule(tasks, deps)
    assert error.value.cycle == ["B", "C", "D"]


@pytest.mark.parametrize(
    ("tasks", "deps", "message"),
    [
        (["A"], [Dependency("A", "Z")], r"dependencies\[0\].successor: unknown task id 'Z'"),
        (["A"], [Dependency("A", "A")], "cannot depend on itself"),
        (["A", "A"], [], r"tasks\[1\].id: duplicate"),
    ],
)
def test_bad_networks(tasks: list[str], deps: list[Dependency], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        build_network(tasks, deps)


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[Task], list[Dependency]]:
    n = draw(st.integers(1, 25))
    tasks = [Task(f"T{i}", draw(st.integers(0, 9))) for i in range(n)]
    deps = []
    for _ in range(draw(st.integers(0, 3 * n))):
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if a < b:
            kind = draw(st.sampled_from([FS, SS, FF, SF]))
            deps.append(Dependency(f"T{a}", f"T{b}", kind, draw(st.integers(-3, 5))))
    return tasks, deps


def _holds(result: cpm.Schedule, dep: Dependency) -> bool:
    p, s = result[dep.predecessor], result[dep.successor]
    if dep.type == FS:
        return s.early_start >= p.early_finish + dep.lag
    if dep.type == SS:
        return s.early_start >= p.early_start + dep.lag
    if dep.type == FF:
        return s.early_finish >= p.early_finish + dep.lag
    return s.early_finish >= p.early_start + dep.lag


@settings(max_examples=150, deadline=None)
@given(networks())
def test_properties(network: tuple[list[Task], list[Dependency]]) -> None:
    tasks, deps = network
    result = cpm.schedule(tasks, deps)
    for dep in deps:
        assert _holds(result, dep)
    assert (result.total_float >= 0).all()
    assert (result.free_float >= 0).all()
    assert (result.early_start >= 0).all()
    path = result.critical_path
    assert path
    assert result[path[-1]].early_finish == result.project_finish
    assert all(result[t].critical for t in path)
    linked = {(d.predecessor, d.successor) for d in deps}
    assert all((a, b) in linked for a, b in zip(path, path[1:], strict=False))
    first = result[path[0]]
    assert first.early_start == 0 or not any(d.successor == path[0] for d in deps)


@settings(max_examples=100, deadline=None)
@given(networks())
def test_level_walk_matches_loop_walk(network: tuple[list[Task], list[Dependency]]) -> None:
    tasks, deps = network
    net = build_network([t.id for t in tasks], deps)
    for flat in (net, dataclasses.replace(net, depth=None)):
        passes = cpm._Passes(
            flat, tasks, None, tasks_position={t.id: i for i, t in enumerate(tasks)}
        )
        passes.run(None)
        if flat is net:
            reference = (passes.early_start.copy(), passes.late_finish.copy())
        else:
            assert np.array_equal(passes.early_start, reference[0])
            assert np.array_equal(passes.late_finish, reference[1])
