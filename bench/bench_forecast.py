"""Control benchmark: a project forecast (Monte Carlo + tornado) from frozen inputs.

Run: ``uv run python bench/bench_forecast.py`` (prints the figures; see docs/benchmarks.md).

The plans: N leaf tasks with three-point estimates (triangular), each with two
finish-to-start predecessors among the 50 tasks before it, and N/50 quantified risks on
random tasks. The forecast is what ``itpm.control.services.forecast_run_execute`` runs:
the main simulation, then up to 8 task and 6 risk swings of 2,000 iterations each for the
tornado chart. No database is touched (the inputs are what a ``ForecastRun`` stores).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itpm.settings")


def inputs(n: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    tasks = []
    for i in range(n):
        m = rng.randint(8, 40)
        tasks.append({
            "id": str(i + 1), "wbs": str(i + 1), "name": f"Task {i + 1}", "duration": m,
            "milestone": False, "parent": None, "constraint": ["ASAP", None], "deadline": None,
            "actual_start": None, "actual_finish": None, "remaining": None,
            "estimate": [round(m * 0.8), m, round(m * rng.uniform(1.2, 2.0))],
            "cost_rate": 90.0, "planned_cost": str(90 * m),
        })  # fmt: skip
    links = [
        [str(p + 1), str(i + 1), "FS", 0]
        for i in range(1, n)
        for p in sorted({rng.randint(max(0, i - 50), i - 1) for _ in range(2)})
    ]
    risks = [
        {"id": f"R-{k + 1}", "risk": k + 1, "title": f"Risk {k + 1}", "probability": 0.2,
         "tasks": [str(rng.randint(1, n))], "delay": 24, "cost": 5000.0}
        for k in range(max(1, n // 50))
    ]  # fmt: skip
    return {"project": "BENCH", "start": "2027-01-04T09:00:00+00:00", "tasks": tasks,
            "links": links, "risks": risks, "target_date": None, "target_hours": None,
            "budget": "1000000.00", "planned_task_cost": "0", "base_cost": 0.0,
            "currency": "USD"}  # fmt: skip


def main() -> None:
    import django

    django.setup()
    from itpm.control import forecasting
    from itpm.portfolio.models import Project

    project = Project(key="BENCH", start_date=dt.date(2027, 1, 4), time_zone="UTC")
    print(
        f"{'tasks':>6} {'links':>6} {'iterations':>10} {'main s':>8} {'tornado s':>9} {'total s':>8}"
    )
    for n, iterations in ((100, 10_000), (500, 10_000), (2_000, 10_000), (5_000, 5_000)):
        data = inputs(n)
        start = time.perf_counter()
        forecasting._run(data, iterations=iterations, seed=1, distribution="triangular")
        main_s = time.perf_counter() - start
        start = time.perf_counter()
        forecasting.forecast_compute(project, data, iterations=iterations, seed=1,
                                     distribution="triangular")  # fmt: skip
        total = time.perf_counter() - start
        print(f"{n:>6} {len(data['links']):>6} {iterations:>10} {main_s:>8.2f} "
              f"{total - main_s:>9.2f} {total:>8.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
