"""Leveling preview of a 5,000-task project with 30 resources, through the service.

    ITPM_DATA_DIR=/tmp/bench-level uv run python bench/bench_level_project.py [--tasks 5000]

Builds the project once in a scratch SQLite database (bulk inserts: 50 chains of summary
phases, ~10,000 links, every leaf assigned to one of 30 resources, some at 50 %, two
resources busy in another project), then times ``leveling_compute`` (what the preview runs:
reading the plan, capacity profiles across projects, the heuristic, the CPM of the leveled
plan and the moved-task list) with the heuristic solver and a 3 s search budget.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itpm.settings")
os.environ.setdefault("ITPM_DATA_DIR", "/tmp/itpm-bench-level")
Path(os.environ["ITPM_DATA_DIR"]).mkdir(parents=True, exist_ok=True)

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402

from django.core.management import call_command  # noqa: E402

from itpm.accounts.models import User  # noqa: E402
from itpm.planning.models import Assignment, Dependency, Resource, Task  # noqa: E402
from itpm.planning.resource_services import leveling_compute  # noqa: E402
from itpm.planning.scheduling import project_reschedule  # noqa: E402
from itpm.portfolio.models import Project  # noqa: E402


def build(tasks: int, resources: int, seed: int = 7) -> Project:
    rng = random.Random(seed)
    admin = User.objects.filter(username="bench").first() or User.objects.create_user(
        "bench", password=None, is_staff=True
    )
    Project.objects.filter(key__in=["BENCH", "OTHER"]).delete()
    project = Project.objects.create(
        key="BENCH", name="Bench", manager=admin, start_date=dt.date(2027, 1, 4)
    )
    other = Project.objects.create(key="OTHER", name="Other", start_date=dt.date(2027, 1, 4))
    Resource.objects.filter(name__startswith="Bench ").delete()
    pool = Resource.objects.bulk_create(
        Resource(name=f"Bench {i:02d}", capacity=Decimal(2 if i % 5 == 0 else 1), cost_rate=90)
        for i in range(resources)
    )
    chains = 50
    per_chain = tasks // chains
    rows = [
        Task(project=project, name=f"Phase {c}", order=c + 1, duration_hours=0,
             wbs_code=str(c + 1), wbs_sort=f"{c + 1:05d}")
        for c in range(chains)
    ]  # fmt: skip
    Task.objects.bulk_create(rows)
    leaves = [
        Task(project=project, parent=phase, name=f"Task {c}.{k}", order=k + 1,
             duration_hours=rng.choice([4, 8, 8, 16, 24, 40]), wbs_code=f"{c + 1}.{k + 1}",
             wbs_sort=f"{c + 1:05d}.{k + 1:05d}")
        for c, phase in enumerate(rows)
        for k in range(per_chain - 1)
    ]  # fmt: skip
    Task.objects.bulk_create(leaves, batch_size=1000)
    links: set[tuple[int, int]] = set()
    by_chain = [leaves[c * (per_chain - 1) : (c + 1) * (per_chain - 1)] for c in range(chains)]
    for chain in by_chain:
        for a, b in zip(chain, chain[1:], strict=False):
            links.add((a.pk, b.pk))
    while len(links) < 2 * tasks:
        chain = rng.choice(by_chain)
        i = rng.randrange(len(chain) - 1)
        j = rng.randrange(i + 1, min(len(chain), i + 12))
        links.add((chain[i].pk, chain[j].pk))
    Dependency.objects.bulk_create(
        (Dependency(project=project, predecessor_id=a, successor_id=b) for a, b in links),
        batch_size=2000,
    )
    Assignment.objects.bulk_create(
        (Assignment(project=project, task=t, resource=rng.choice(pool),
                    units=Decimal("0.5") if rng.random() < 0.2 else Decimal(1))
         for t in leaves),
        batch_size=2000,
    )  # fmt: skip
    busy = Task.objects.create(project=other, name="Other work", duration_hours=400,
                               wbs_code="1", wbs_sort="00001")  # fmt: skip
    for resource in pool[:2]:
        Assignment.objects.create(project=other, task=busy, resource=resource, units=Decimal("0.5"))
    project_reschedule(other)
    project_reschedule(project)
    project.refresh_from_db()
    return project


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--resources", type=int, default=30)
    parser.add_argument("--time-limit", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    project = build(args.tasks, args.resources)
    print(f"built {Task.objects.filter(project=project).count()} tasks, "
          f"{Dependency.objects.filter(project=project).count()} links, "
          f"{args.resources} resources in {time.perf_counter() - began:.1f} s")  # fmt: skip
    for run in range(args.runs):
        began = time.perf_counter()
        result = leveling_compute(project=project, time_limit=args.time_limit)
        seconds = time.perf_counter() - began
        print(f"run {run + 1}: preview {seconds:.2f} s (engine {result['seconds']:.2f} s), "
              f"{len(result['moved'])} tasks move, makespan {result['makespan_hours']} h, "
              f"lower bound {result['lower_bound_hours']} h, {result['schedules_tried']} schedules")  # fmt: skip


if __name__ == "__main__":
    main()
