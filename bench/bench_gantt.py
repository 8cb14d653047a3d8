"""Planning benchmark: a task edit through the API and the Gantt's data, on PostgreSQL.

Run: ``uv run python bench/bench_gantt.py`` (prints the figures; see docs/benchmarks.md).
``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/itpm_bench``) names a
scratch database that the script creates and drops again.

The project: 5,000 tasks (50 summary phases of 99 tasks) and 10,000 finish-to-start,
start-to-start and finish-to-finish links among the leaf tasks (each task gets two
predecessors among the 300 tasks before it), created with ``bulk_create``. Measured:

- one task edit, ``PATCH /api/v1/tasks/{id}`` with a new ``duration_hours`` through the
  Django test client with a bearer token: the whole request, including the permission
  check, the write, the audit event, the reschedule of the project and the write-back of
  the rows that changed; 30 edits on random tasks, p50/p95;
- the Gantt's data, ``GET /api/v1/projects/{key}/schedule``, 10 requests, p50/p95.

``BENCH_NIGHT_SHARE=0.1`` puts that share of the leaf tasks on a night-shift resource
(22:00-06:00): those tasks are scheduled on its calendar (decision 0011), which the
schedule service settles in extra CPM rounds.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itpm_bench")
EDITS = 30
READS = 10
PHASES = 50
PER_PHASE = 99
LINKS_PER_TASK = 2
NIGHT_SHARE = float(os.environ.get("BENCH_NIGHT_SHARE", "0"))


def _admin(sql: str) -> None:
    import psycopg

    parts = urlparse(URL)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(sql)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    name = urlparse(URL).path.lstrip("/")
    keep = os.environ.get("BENCH_KEEP") == "1"  # keep the database for profiling
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itpm.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        run()
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            _admin(f'DROP DATABASE IF EXISTS "{name}"')


def run() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from itpm.accounts.models import User
    from itpm.accounts.services import token_create
    from itpm.planning.models import Dependency, Task
    from itpm.planning.scheduling import project_reschedule
    from itpm.planning.services import wbs_renumber
    from itpm.portfolio.services import project_create

    call_command("migrate", verbosity=0)
    import datetime as dt

    started = time.perf_counter()
    owner = User.objects.create_user(username="bench", password=None)
    project = project_create(
        actor=owner, key="BIG", name="Benchmark", start_date=dt.date(2027, 1, 4)
    )
    rng = random.Random(7)
    phases = Task.objects.bulk_create(
        Task(project=project, name=f"Phase {p + 1}", order=p + 1, duration_hours=0)
        for p in range(PHASES)
    )
    leaves = Task.objects.bulk_create(
        Task(
            project=project,
            parent=phase,
            name=f"Task {p + 1}.{i + 1}",
            order=i + 1,
            duration_hours=rng.randint(4, 40),
        )
        for p, phase in enumerate(phases)
        for i in range(PER_PHASE)
    )
    wbs_renumber(project)
    pairs: set[tuple[int, int]] = set()
    links = []
    for index, task in enumerate(leaves[1:], start=1):
        for _ in range(LINKS_PER_TASK):
            predecessor = leaves[rng.randint(max(0, index - 300), index - 1)]
            if (predecessor.pk, task.pk) in pairs:
                continue
            pairs.add((predecessor.pk, task.pk))
            links.append(
                Dependency(
                    project=project,
                    predecessor=predecessor,
                    successor=task,
                    type=rng.choice(["FS", "FS", "FS", "SS", "FF"]),
                    lag_hours=rng.choice([0, 0, 0, 4, -2]),
                )
            )
    while len(links) < 10_000:  # top up duplicates skipped above
        index = rng.randint(1, len(leaves) - 1)
        predecessor = leaves[rng.randint(max(0, index - 300), index - 1)]
        if (predecessor.pk, leaves[index].pk) not in pairs:
            pairs.add((predecessor.pk, leaves[index].pk))
            links.append(
                Dependency(project=project, predecessor=predecessor, successor=leaves[index])
            )
    Dependency.objects.bulk_create(links, batch_size=2000)
    night_tasks = 0
    if NIGHT_SHARE > 0:
        from itpm.planning.models import Assignment, Resource, WorkCalendar

        night = WorkCalendar.objects.create(
            name="Night shift", working_days=[0, 1, 2, 3, 4],
            working_hours=[["00:00", "06:00"], ["22:00", "24:00"]],
        )  # fmt: skip
        crew = Resource.objects.create(name="Night crew", calendar=night)
        chosen = [task for task in leaves if rng.random() < NIGHT_SHARE]
        Assignment.objects.bulk_create(
            Assignment(project=project, task=task, resource=crew) for task in chosen
        )
        night_tasks = len(chosen)
    t0 = time.perf_counter()
    project_reschedule(project)
    first_schedule = time.perf_counter() - t0
    tasks = Task.objects.filter(project=project).count()
    print(
        f"project: {tasks} tasks ({night_tasks} on a night shift), "
        f"{Dependency.objects.filter(project=project).count()} links; "
        f"built in {time.perf_counter() - started:.1f} s; first full reschedule "
        f"{first_schedule * 1000:.0f} ms"
    )

    _, key = token_create(user=owner)
    client = Client(headers={"Authorization": f"Bearer {key}"})
    # Warm up: the first request loads the URL conf, the API schema and the token.
    client.get("/api/v1/projects/BIG/schedule")

    edit_times: list[float] = []
    reschedule_times: list[float] = []
    moved_rows: list[int] = []
    for _ in range(EDITS):
        task = rng.choice(leaves)
        task.refresh_from_db(fields=["version", "duration_hours"])
        before = dict(Task.objects.filter(project=project).values_list("id", "planned_finish"))
        body = {
            "version": task.version,
            "duration_hours": task.duration_hours + rng.choice([-2, 4, 8]),
        }
        t0 = time.perf_counter()
        response = client.patch(
            f"/api/v1/tasks/{task.pk}", json.dumps(body), content_type="application/json"
        )
        edit_times.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.content
        after = dict(Task.objects.filter(project=project).values_list("id", "planned_finish"))
        moved_rows.append(sum(1 for k, v in after.items() if before[k] != v))
        t0 = time.perf_counter()
        project_reschedule(project)  # nothing changes now: the reschedule alone
        reschedule_times.append(time.perf_counter() - t0)

    read_times: list[float] = []
    size = 0
    for _ in range(READS):
        t0 = time.perf_counter()
        response = client.get("/api/v1/projects/BIG/schedule")
        read_times.append(time.perf_counter() - t0)
        assert response.status_code == 200
        size = len(response.content)

    def ms(value: float) -> str:
        return f"{value * 1000:.0f} ms"

    print(
        f"task edit (PATCH duration_hours, {EDITS} edits): p50 {ms(statistics.median(edit_times))}, "
        f"p95 {ms(_percentile(edit_times, 0.95))}, max {ms(max(edit_times))}; "
        f"rows moved per edit: median {statistics.median(moved_rows):.0f}, max {max(moved_rows)}"
    )
    print(
        f"  of which a reschedule with nothing to write: p50 "
        f"{ms(statistics.median(reschedule_times))}"
    )
    print(
        f"Gantt data (GET schedule, {READS} requests): p50 {ms(statistics.median(read_times))}, "
        f"p95 {ms(_percentile(read_times, 0.95))}; {size / 1e6:.1f} MB of JSON"
    )


if __name__ == "__main__":
    main()
