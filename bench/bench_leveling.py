"""Leveling benchmark: PSPLIB j30/j60/j90/j120 (heuristic and exact) and a generated
10,000-task / 50-resource plan.

Run, for example (figures in docs/benchmarks.md, "## Leveling")::

    uv run python bench/bench_leveling.py heuristic --sets j30,j60,j90,j120 --workers 2
    uv run python bench/bench_leveling.py exact --sets j30
    uv run python bench/bench_leveling.py exact --sets j60,j90,j120 --every 10
    uv run python bench/bench_leveling.py large

Deviations are ``(makespan - reference) / reference``: against the proven optimum
(``j30opt.sm``), the best known makespan (``j*hrs.sm``) and the critical-path length (the
classic lower bound every RCPSP paper reports against). Times are wall-clock per instance,
including parsing. The heuristic gets a per-set time budget (``--heuristic-seconds``) and
stops earlier when it reaches the lower bound.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from itpm.engine.leveling import level
from itpm.engine.model import (
    CapacityChange,
    Dependency,
    DependencyType,
    Resource,
    ResourceDemand,
    Task,
)
from itpm.engine.psplib import instance_key, parse_reference, parse_sm

PSPLIB = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "psplib"
HEURISTIC_SECONDS = {"j30": 0.2, "j60": 1.0, "j90": 1.5, "j120": 2.0}


def references(name: str) -> dict[tuple[int, int], int]:
    if name == "j30":
        return parse_reference(PSPLIB / "j30opt.sm")
    return parse_reference(PSPLIB / f"{name}hrs.sm")


def run_one(job: tuple[str, str, float, int, bool]) -> dict[str, Any]:
    path_text, method, seconds, seed, cpu_clock = job
    path = Path(path_text)
    clock = time.process_time if cpu_clock else time.perf_counter
    began = clock()
    instance = parse_sm(path)
    tasks, dependencies, resources = instance.to_engine()
    if method == "heuristic":
        result = level(
            tasks,
            dependencies,
            resources,
            time_limit=seconds,
            samples=10**9,
            seed=seed,
            clock=clock,
        )
    else:
        result = level(
            tasks, dependencies, resources, method="exact", time_limit=seconds, seed=seed
        )
    return {
        "name": path.stem,
        "makespan": result.makespan,
        "critical_path": instance.critical_path_length(),
        "optimal": result.optimal,
        "bound": result.lower_bound,
        "seconds": clock() - began,
    }


def bench_set(
    name: str, method: str, every: int, seconds: float, workers: int, cpu_clock: bool = False
) -> None:
    files = sorted((PSPLIB / name).glob("*.sm"), key=lambda p: instance_key(p.stem))[::every]
    reference = references(name)
    jobs = [(str(path), method, seconds, 0, cpu_clock) for path in files]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            rows = list(pool.map(run_one, jobs, chunksize=4))
    else:
        rows = [run_one(job) for job in jobs]
    vs_reference, vs_critical_path, times = [], [], []
    worst = ("", -1.0)
    hits = proven = 0
    for row in rows:
        _, parameter, number = instance_key(row["name"])
        best = reference[(parameter, number)]
        deviation = (row["makespan"] - best) / best * 100
        if deviation > worst[1]:
            worst = (row["name"], deviation)
        hits += row["makespan"] <= best
        proven += bool(row["optimal"])
        vs_reference.append(deviation)
        vs_critical_path.append(
            (row["makespan"] - row["critical_path"]) / row["critical_path"] * 100
        )
        times.append(row["seconds"])
    label = "optimum" if name == "j30" else "best known"
    sample = f"every {every}th instance, " if every > 1 else ""
    print(
        f"{name} {method}: {len(rows)} instances ({sample}limit {seconds:g} s, {workers} process(es))\n"
        f"  vs {label}: avg {statistics.fmean(vs_reference):.2f} %, worst {worst[1]:.2f} % ({worst[0]}),"
        f" matched {hits}/{len(rows)}\n"
        f"  vs critical-path bound: avg {statistics.fmean(vs_critical_path):.2f} %,"
        f" worst {max(vs_critical_path):.2f} %\n"
        f"  proven optimal: {proven}/{len(rows)}\n"
        f"  {'CPU ' if cpu_clock else ''}seconds per instance: avg {statistics.fmean(times):.3f}, median"
        f" {statistics.median(times):.3f}, max {max(times):.3f}",
        flush=True,
    )


def large_plan(
    tasks_count: int = 10_000, resources_count: int = 50, seed: int = 7
) -> tuple[list[Task], list[Dependency], list[Resource]]:
    """Layered random plan: 100 layers, 1-3 links to the previous three layers, all four
    link types with leads and lags, durations 1-40, each task on 1-2 of 50 resources
    (0.5 to 2 units) with capacity 2-6, and a vacation (capacity halved) on every fifth."""
    rng = np.random.default_rng(seed)
    layers = 100
    width = tasks_count // layers
    resources = []
    for r in range(resources_count):
        capacity = int(rng.integers(2, 7))
        changes: tuple[CapacityChange, ...] = ()
        if r % 5 == 0:
            begin = int(rng.integers(50, 500))
            changes = (CapacityChange(begin, capacity / 2), CapacityChange(begin + 80, capacity))
        resources.append(Resource(f"R{r}", capacity, changes))
    tasks = []
    for i in range(tasks_count):
        demands = tuple(
            ResourceDemand(f"R{int(r)}", float(rng.choice([0.5, 1.0, 1.0, 2.0])))
            for r in rng.choice(resources_count, int(rng.integers(1, 3)), replace=False)
        )
        tasks.append(Task(f"T{i}", int(rng.integers(1, 41)), demands=demands))
    kinds = [DependencyType.FS, DependencyType.SS, DependencyType.FF, DependencyType.SF]
    dependencies = []
    for i in range(width, tasks_count):
        layer = i // width
        for _ in range(int(rng.integers(1, 4))):
            back = int(rng.integers(1, min(3, layer) + 1))
            p = (layer - back) * width + int(rng.integers(0, width))
            kind = kinds[int(rng.choice(4, p=[0.7, 0.15, 0.1, 0.05]))]
            dependencies.append(Dependency(f"T{p}", f"T{i}", kind, int(rng.integers(-4, 9))))
    return tasks, dependencies, resources


def bench_large(seconds: float) -> None:
    tasks, dependencies, resources = large_plan()
    began = time.perf_counter()
    result = level(tasks, dependencies, resources, time_limit=seconds)
    elapsed = time.perf_counter() - began
    critical_path = max(result.early_start[t.id] + t.duration for t in tasks)
    print(
        f"large: {len(tasks)} tasks, {len(dependencies)} links, {len(resources)} resources\n"
        f"  heuristic in {elapsed:.2f} s (limit {seconds:g} s): makespan {result.makespan},"
        f" critical path {critical_path},"
        f" lower bound {result.lower_bound}, gap {100 * (result.gap or 0):.1f} %,"
        f" {result.schedules_tried} schedules, {len(result.moved)} tasks moved",
        flush=True,
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["heuristic", "exact", "large"])
    parser.add_argument("--sets", default="j30,j60,j90,j120")
    parser.add_argument("--every", type=int, default=1, help="take every Nth instance")
    parser.add_argument("--workers", type=int, default=1, help="processes (2 cores here)")
    parser.add_argument("--heuristic-seconds", type=float, default=None)
    parser.add_argument("--exact-seconds", type=float, default=10.0)
    parser.add_argument(
        "--cpu-clock",
        action="store_true",
        help="heuristic: budget and report CPU seconds of the process (for a shared machine)",
    )
    args = parser.parse_args(argv)
    if args.mode == "large":
        bench_large(10.0)
        return
    for name in args.sets.split(","):
        seconds = (
            args.exact_seconds
            if args.mode == "exact"
            else (args.heuristic_seconds or HEURISTIC_SECONDS[name])
        )
        bench_set(name, args.mode, args.every, seconds, args.workers, args.cpu_clock)


if __name__ == "__main__":
    main(sys.argv[1:])
