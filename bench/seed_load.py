"""Seed a large portfolio fast (bulk inserts) for the load figures.

Default size (issue 10): 50 projects, 100,000 tasks, 20,000 tickets. Projects go through
``project_create`` (their members, calendar, audit event); tasks, dependencies and tickets
are bulk-inserted with derived fields (WBS codes) computed here, then every project is
scheduled once by the real scheduler so the Gantt data has dates and floats.

Each project: phases of ``--phase-size`` tasks (a summary task and a chain of finish-to-start
leaves). The load user ``loadpm`` owns every project and works in the service desk team, so
task and ticket reads go through the ordinary permission paths (not the admin short cut).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itpm_load \\
        uv run python bench/seed_load.py [--projects 50 --tasks 100000 --tickets 20000]

Prints the bearer token of ``loadpm`` and the ids the load script needs (JSON, last line).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itpm.settings")


def seed(projects: int, tasks: int, tickets: int, phase_size: int) -> dict[str, object]:
    from django.db import transaction
    from django.utils import timezone

    from itpm.accounts.models import Team, User
    from itpm.accounts.services import token_create
    from itpm.helpdesk.models import Queue, Ticket
    from itpm.planning.models import Dependency, Task
    from itpm.planning.scheduling import project_reschedule
    from itpm.portfolio.services import project_create

    user = User.objects.create_user(username="loadpm", password=None, email="pm@example.com")
    requester = User.objects.create_user(username="loadreq", password=None)
    team = Team.objects.create(name="Load service desk")
    team.members.add(user)
    queue = Queue.objects.create(key="LOAD", name="Load desk", team=team)
    per_project = tasks // projects
    keys = []
    started = time.monotonic()
    for p in range(projects):
        key = f"L{p:03d}"
        keys.append(key)
        project = project_create(actor=user, key=key, name=f"Load project {p}",
                                 start_date=dt.date(2027, 1, 4))  # fmt: skip
        rows: list[Task] = []
        phases = max(1, per_project // phase_size)
        leaves_per_phase = max(1, per_project // phases - 1)
        with transaction.atomic():
            for ph in range(phases):
                code = str(ph + 1)
                rows.append(Task(project=project, order=ph + 1, wbs_code=code,
                                 wbs_sort=f"{ph + 1:05d}", name=f"Phase {ph + 1}",
                                 duration_hours=0))  # fmt: skip
            Task.objects.bulk_create(rows, batch_size=2000)
            leaves = [
                Task(project=project, parent=phase, order=n + 1,
                     wbs_code=f"{ph + 1}.{n + 1}", wbs_sort=f"{ph + 1:05d}.{n + 1:05d}",
                     name=f"Work package {ph + 1}.{n + 1}", duration_hours=8 + (n % 5) * 8,
                     description="Seeded for the load figures.")
                for ph, phase in enumerate(rows)
                for n in range(leaves_per_phase)
            ]  # fmt: skip
            Task.objects.bulk_create(leaves, batch_size=2000)
            links = [
                Dependency(project=project, predecessor=a, successor=b)
                for a, b in zip(leaves, leaves[1:], strict=False)
                if a.parent_id == b.parent_id
            ]
            Dependency.objects.bulk_create(links, batch_size=2000)
        project_reschedule(project)
        if p % 10 == 9:
            print(f"  {p + 1} projects ({time.monotonic() - started:.0f} s)", flush=True)
    now = timezone.now()
    batch: list[Ticket] = []
    for n in range(tickets):
        batch.append(Ticket(queue=queue, title=f"Load ticket {n}", description="Seeded.",
                            requester=requester, sla_start=now))  # fmt: skip
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)
    _, token = token_create(user=user, name="load")
    sample = Task.objects.filter(project__key=keys[0], parent__isnull=False).order_by("id")
    return {
        "token": token,
        "projects": keys,
        "task_ids": list(sample.values_list("id", flat=True)[:200]),
        "ticket_ids": list(Ticket.objects.order_by("id").values_list("id", flat=True)[:200]),
        "seconds": round(time.monotonic() - started, 1),
        "counts": {
            "projects": projects,
            "tasks": Task.objects.count(),
            "tickets": Ticket.objects.count(),
        },  # fmt: skip
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--phase-size", type=int, default=50)
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    result = seed(args.projects, args.tasks, args.tickets, args.phase_size)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
