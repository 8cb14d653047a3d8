"""CSV round-trip benchmark: export a generated plan, edit it, import it again (updates).

Run: ``uv run python bench/bench_tabular_reimport.py`` (prints the figures; see
docs/benchmarks.md). ``--tasks N`` changes the size (default 2,000); ``--every K`` edits the
duration of every K-th task (default 10); ``--database sqlite|postgres`` runs one backend.
SQLite uses a fresh file under ``/tmp/itpm-bench-tabular``; PostgreSQL a scratch database
(``BENCH_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/itpm_bench_tabular``)
that is created and dropped.

The plan is bench_mspdi_import's generated MS Project file (three outline levels, links of
all four types, assignments). Measured: the export, the dry run of the edited file (it
plans every row against the database) and the import (updates, audit events, one
reschedule), three rounds, each on the export of the round before.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mspdi_import import generate, per_backend  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itpm_bench_tabular")
SQLITE_DIR = Path("/tmp/itpm-bench-tabular")
ROUNDS = 3


def run(tasks: int, every: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from itpm.accounts.models import User
    from itpm.interop import tabular
    from itpm.interop.mspdi_import import mspdi_import
    from itpm.planning.models import Task

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user(username="bench", password=None)
    project = mspdi_import(data=generate(tasks), actor=owner, project_key="BENCH")
    print(f"{connection.vendor}: {Task.objects.filter(project=project).count():,} tasks")
    for round_number in range(1, ROUNDS + 1):
        t0 = time.perf_counter()
        exported = tabular.tasks_export_csv(project=project)
        exported_in = time.perf_counter() - t0
        rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
        duration = rows[0].index("Duration")
        leaves = [row for row in rows[1:] if row[duration] not in ("0h", "")]
        for row in leaves[::every]:
            row[duration] = f"{round_number + 1}d"
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        data = buffer.getvalue().encode()
        t0 = time.perf_counter()
        report = tabular.tasks_import(
            actor=owner, project=project, data=data, filename="p.csv", dry_run=True
        )
        checked_in = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = tabular.tasks_import(actor=owner, project=project, data=data, filename="p.csv")
        applied_in = time.perf_counter() - t0
        print(
            f"  round {round_number}: export {exported_in:.2f} s, dry run {checked_in:.2f} s,"
            f" import {applied_in:.2f} s — {report.updated:,} updated, {report.unchanged:,}"
            f" unchanged, {report.created} created,"
            f" {Task.objects.filter(project=project).count():,} tasks after"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2_000)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itpm.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if args.inner:
        run(args.tasks, args.every)
        return
    per_backend(
        __file__,
        ["--tasks", str(args.tasks), "--every", str(args.every)],
        args.database,
        URL,
        SQLITE_DIR,
    )


if __name__ == "__main__":
    main()
