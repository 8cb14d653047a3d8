"""CPM benchmark: 100,000 tasks / 300,000 links, against networkx's dag_longest_path.

Run: ``uv run python bench/bench_cpm.py`` (prints the figures; see docs/benchmarks.md).
The plan is a layered random DAG (500 layers of 200 tasks; every task gets three
predecessors from the previous five layers), link types FS 70 % / SS 15 % / FF 10 % /
SF 5 %, lags between a 4-hour lead and a 16-hour lag, durations 1-80 hours, on a
calendar with US holidays and a lunch break.
"""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import networkx as nx
import numpy as np

from itpm.engine.calendar import Calendar
from itpm.engine.cpm import schedule
from itpm.engine.model import Dependency, DependencyType, Task

TASKS = 100_000
LINKS = 300_000
LAYERS = 500


def build_plan(seed: int = 1) -> tuple[list[Task], list[Dependency]]:
    rng = np.random.default_rng(seed)
    width = TASKS // LAYERS
    durations = rng.integers(1, 81, TASKS)
    tasks = [Task(f"T{i}", int(d)) for i, d in enumerate(durations.tolist())]
    successors = rng.integers(width, TASKS, LINKS)
    layer = successors // width
    back = rng.integers(1, 6, LINKS)
    pred_layer = np.maximum(layer - back, 0)
    predecessors = pred_layer * width + rng.integers(0, width, LINKS)
    kinds = rng.choice(4, LINKS, p=[0.7, 0.15, 0.1, 0.05])
    lags = rng.integers(-4, 17, LINKS)
    types = [DependencyType.FS, DependencyType.SS, DependencyType.FF, DependencyType.SF]
    dependencies = [
        Dependency(f"T{p}", f"T{s}", types[k], int(lag))
        for p, s, k, lag in zip(
            predecessors.tolist(), successors.tolist(), kinds.tolist(), lags.tolist(), strict=True
        )
    ]
    return tasks, dependencies


def networkx_longest_path(tasks: list[Task], dependencies: list[Dependency]) -> float:
    """Longest path with FS semantics only (networkx has no link types): edge weight = duration."""
    duration = {task.id: task.duration for task in tasks}
    graph = nx.DiGraph()
    graph.add_nodes_from(duration)
    graph.add_weighted_edges_from(
        (d.predecessor, d.successor, duration[d.predecessor] + d.lag) for d in dependencies
    )
    started = time.perf_counter()
    nx.dag_longest_path(graph, weight="weight")
    return time.perf_counter() - started


def main() -> None:
    tasks, dependencies = build_plan()
    calendar = Calendar(
        working_hours=[("09:00", "13:00"), ("14:00", "18:00")],
        country="US",
        timezone="America/New_York",
    )
    axis = calendar.axis(datetime(2027, 1, 4, 9, tzinfo=ZoneInfo("America/New_York")))
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        result = schedule(tasks, dependencies)
        runs.append(time.perf_counter() - started)
    started = time.perf_counter()
    for values, finish in (
        (result.early_start, False),
        (result.early_finish, True),
        (result.late_start, False),
        (result.late_finish, True),
    ):
        axis.to_datetimes(values, finish=finish)
    convert = time.perf_counter() - started
    nx_seconds = networkx_longest_path(tasks, dependencies)
    best = min(runs)
    print(f"tasks {len(tasks):,}  links {len(dependencies):,}  layers {LAYERS}")
    print(
        f"cpm.schedule (forward+backward, floats, critical path): best {best:.3f} s of 3 "
        f"({', '.join(f'{r:.3f}' for r in runs)})"
    )
    print(f"dates to datetimes (4 x {len(tasks):,}): {convert:.3f} s")
    print(f"networkx dag_longest_path (FS only, graph prebuilt): {nx_seconds:.3f} s")
    print(f"ratio networkx / cpm.schedule: {nx_seconds / best:.1f}x")
    print(
        f"project finish: {axis.to_datetime(result.project_finish, finish=True).isoformat()}"
        f"  critical path: {len(result.critical_path)} tasks"
    )


if __name__ == "__main__":
    main()
