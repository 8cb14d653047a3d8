"""Execution benchmark: the board, a board move, a sprint's burndown and My work, on PostgreSQL.

Run: ``uv run python bench/bench_board.py`` (prints the figures; see docs/benchmarks.md).
``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/itpm_bench_board``)
names a scratch database that the script creates and drops again.

The project: 2,000 leaf tasks under 20 phases, 10 two-week sprints of 200 tasks each with
their commitment history in the audit trail, half of each sprint's tasks done, 10 labels,
every task assigned to one of 5 people. Measured (p50/p95 of repeated calls):

- the board page of one sprint (``GET /projects/BIG/board/?cycle=…``, 200 cards) and of the
  whole project (``?cycle=all``, 2,000 cards);
- a card move through the API (``POST /api/v1/tasks/{id}/board-move``), which changes the
  status, renumbers the column, audits and reschedules the 2,000-task project;
- the burndown of a 200-task sprint (selector);
- My work of a person with 400 tasks.
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

URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itpm_bench_board")
PHASES = 20
PER_PHASE = 100
SPRINTS = 10


def _admin(sql: str) -> None:
    import psycopg

    parts = urlparse(URL)
    with psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username,
        password=parts.password, dbname="postgres", autocommit=True,
    ) as connection:  # fmt: skip
        connection.execute(sql)


def _stats(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {1000 * statistics.median(ordered):.0f} ms, p95 {1000 * p95:.0f} ms (n={len(ordered)})"


def _time(call: object, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    name = urlparse(URL).path.lstrip("/")
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
        _admin(f'DROP DATABASE IF EXISTS "{name}"')


def run() -> None:
    import datetime as dt

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from itpm.accounts.models import Membership, Role, User
    from itpm.accounts.services import token_create
    from itpm.core.models import AuditEvent
    from itpm.planning.cycle_selectors import cycle_burndown
    from itpm.planning.models import Cycle, Label, Task
    from itpm.planning.scheduling import project_reschedule
    from itpm.planning.services import wbs_renumber
    from itpm.portfolio.services import project_create

    call_command("migrate", verbosity=0)
    rng = random.Random(11)
    owner = User.objects.create_user(username="bench", password=None)
    people = [User.objects.create_user(username=f"dev{n}", password=None) for n in range(5)]
    project = project_create(
        actor=owner, key="BIG", name="Board bench", start_date=dt.date(2027, 1, 4)
    )
    Membership.objects.bulk_create(
        Membership(project=project, user=u, role=Role.MEMBER) for u in people
    )
    phases = Task.objects.bulk_create(
        Task(project=project, name=f"Phase {p + 1}", order=p + 1, duration_hours=0)
        for p in range(PHASES)
    )
    leaves = Task.objects.bulk_create(
        Task(project=project, parent=phase, name=f"Task {p + 1}.{i + 1}", order=i + 1,
             duration_hours=rng.randint(4, 24))
        for p, phase in enumerate(phases)
        for i in range(PER_PHASE)
    )  # fmt: skip
    wbs_renumber(project)
    project_reschedule(project)
    labels = Label.objects.bulk_create(Label(project=project, name=f"label {n}") for n in range(10))
    through = Task.assignees.through
    through.objects.bulk_create(
        through(task_id=t.pk, user_id=people[i % 5].pk) for i, t in enumerate(leaves)
    )
    label_through = Task.labels.through
    label_through.objects.bulk_create(
        label_through(task_id=t.pk, label_id=labels[i % 10].pk) for i, t in enumerate(leaves)
    )
    start = dt.date(2027, 1, 4)
    cycles = []
    events = []
    for s in range(SPRINTS):
        first = start + dt.timedelta(days=14 * s)
        cycle = Cycle.objects.create(
            project=project, name=f"Sprint {s + 1}", start=first,
            finish=first + dt.timedelta(days=11), capacity_hours=3000,
        )  # fmt: skip
        cycles.append(cycle)
        chunk = leaves[s * 200 : (s + 1) * 200]
        committed_at = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
        for n, task in enumerate(chunk):
            task.cycle = cycle
            if n % 2 == 0:
                task.status = "done"
                task.completed_at = committed_at + dt.timedelta(days=1 + n % 11, hours=3)
            events.append(
                AuditEvent(project=project, action="task.commit", object_type="task",
                           object_id=str(task.pk), object_repr=task.name,
                           changes={"cycle": [None, cycle.pk], "hours": [None, task.duration_hours]})
            )  # fmt: skip
    Task.objects.bulk_update(leaves, ["cycle", "status", "completed_at"], batch_size=1000)
    created = AuditEvent.objects.bulk_create(events, batch_size=1000)
    for s, cycle in enumerate(cycles):
        moment = dt.datetime.combine(cycle.start - dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
        AuditEvent.objects.filter(pk__in=[e.pk for e in created[s * 200 : (s + 1) * 200]]).update(
            created_at=moment
        )

    client = Client()
    client.force_login(owner)
    api = Client(headers={"Authorization": f"Bearer {token_create(user=owner)[1]}"})
    sprint = cycles[3]
    client.get(f"/projects/BIG/board/?cycle={sprint.pk}")  # warm up
    print(f"tasks {len(leaves)}, sprints {SPRINTS} x 200 tasks, audit events {len(events)}")
    print(
        "board page, one sprint (200 cards):  ",
        _stats(_time(lambda: client.get(f"/projects/BIG/board/?cycle={sprint.pk}"), 20)),
    )
    print(
        "board page, whole project (2,000):    ",
        _stats(_time(lambda: client.get("/projects/BIG/board/?cycle=all"), 10)),
    )
    print(
        "burndown of a 200-task sprint:        ",
        _stats(_time(lambda: cycle_burndown(cycle=sprint, today=dt.date(2027, 3, 1)), 20)),
    )
    mine = Client()
    mine.force_login(people[0])
    print(
        "My work, 400 tasks:                   ", _stats(_time(lambda: mine.get("/my-work/"), 10))
    )
    open_tasks = list(
        Task.objects.filter(project=project, status="not_started", parent__isnull=False)[:40]
    )
    moves = []
    for task in open_tasks:
        task.refresh_from_db()
        body = json.dumps(
            {"version": task.version, "status": rng.choice(["in_progress", "blocked"])}
        )
        started = time.perf_counter()
        response = api.post(
            f"/api/v1/tasks/{task.pk}/board-move", body, content_type="application/json"
        )
        moves.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content
    print("board move via the API (reschedules): ", _stats(moves))


if __name__ == "__main__":
    main()
