"""Monte Carlo benchmark: 10,000 iterations of a generated 1,000-task network.

Run: ``uv run python bench/bench_montecarlo.py [--tasks 1000] [--iterations 10000]``.
The network is layered like a real plan (each task has one to three predecessors in the
previous few layers, mostly FS with some SS/FF/SF and lags); every task has a three-point
estimate and a few tasks carry risk events. Prints the best of ``--repeat`` wall-clock runs.
"""

from __future__ import annotations

import argparse
import random
import time

from itpm.engine.model import Dependency, DependencyType, Estimate, RiskEvent, Task
from itpm.engine.montecarlo import forecast


def generated_plan(
    task_count: int, *, seed: int = 7
) -> tuple[list[Task], list[Dependency], list[RiskEvent]]:
    rng = random.Random(seed)
    tasks: list[Task] = []
    links: list[Dependency] = []
    width = 20
    for i in range(task_count):
        likely = rng.randint(4, 80)
        low = likely * rng.uniform(0.6, 1.0)
        high = likely * rng.uniform(1.1, 2.5)
        tasks.append(Task(id=f"T{i}", duration=likely, estimate=Estimate(low, likely, high)))
        if i >= width:
            for p in rng.sample(range(max(0, i - 3 * width), i - width + 1), rng.randint(1, 3)):
                kind = rng.choices(
                    [DependencyType.FS, DependencyType.SS, DependencyType.FF, DependencyType.SF],
                    weights=[85, 7, 7, 1],
                )[0]
                lag = rng.choice([0, 0, 0, 8, -4])
                links.append(Dependency(f"T{p}", f"T{i}", kind, lag))
    risks = [
        RiskEvent(
            id=f"R{k}", probability=0.2, task=f"T{rng.randrange(task_count)}", delay=40, cost=5000
        )
        for k in range(task_count // 50)
    ]
    return tasks, links, risks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--distribution", default="pert", choices=["pert", "triangular"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tasks, links, risks = generated_plan(args.tasks)
    timings = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        result = forecast(
            tasks,
            links,
            iterations=args.iterations,
            seed=1,
            risks=risks,
            distribution=args.distribution,
        )
        timings.append(time.perf_counter() - began)
    critical = sum(1 for index in result.criticality.values() if index > 0.5)
    print(
        f"{args.iterations} iterations x {len(tasks)} tasks, {len(links)} links, "
        f"{len(risks)} risks, {args.distribution}, criticality on: "
        f"best {min(timings):.3f} s, runs {', '.join(f'{t:.3f}' for t in timings)} s"
    )
    print(
        f"P50 {result.finish_percentiles[50]:.1f} h, P80 {result.finish_percentiles[80]:.1f} h, "
        f"{critical} tasks critical in more than half of the iterations"
    )


if __name__ == "__main__":
    main()
