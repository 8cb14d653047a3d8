"""MS Project XML import benchmark: a generated 10,000-task MSPDI file, SQLite and PostgreSQL.

Run: ``uv run python bench/bench_mspdi_import.py`` (prints the figures; see
docs/benchmarks.md). ``--tasks N`` changes the size; ``--database sqlite`` or
``--database postgres`` runs one backend only. SQLite uses a fresh file under
``/tmp/itpm-bench-mspdi``; PostgreSQL a scratch database (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/itpm_bench_mspdi``) that is created and dropped.

The file: 100 phases (outline level 1), each with 9 sub-phases (level 2) of about 10 tasks
(level 3), the rest of the 10,000 as level-3 tasks; every leaf task has one or two
predecessors among the 200 tasks before it, of all four link types with lags in minutes,
hours, days, elapsed days and percent; the standard calendar with holidays and a recurring
exception; 50 resources with two rates each; one or two assignments per leaf task; a
baseline on every task. Measured: the whole ``mspdi_import`` call (parse, every insert,
the one reschedule, the audit event), three runs, each into a new project.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/itpm_bench_mspdi")
SQLITE_DIR = Path("/tmp/itpm-bench-mspdi")
RUNS = 3


def generate(tasks: int, seed: int = 7) -> bytes:
    """An MSPDI document with ``tasks`` tasks (see the module docstring)."""
    rng = random.Random(seed)
    start = "2027-01-04T08:00:00"  # the file's wall clock (MSPDI dates have no zone)
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Project xmlns="http://schemas.microsoft.com/project">'
        "<Name>bench.xml</Name><Title>Benchmark rollout</Title>"
        f"<StartDate>{start}</StartDate><CalendarUID>1</CalendarUID>"
        "<MinutesPerDay>480</MinutesPerDay><Calendars><Calendar><UID>1</UID><Name>Standard</Name>"
        "<IsBaseCalendar>1</IsBaseCalendar><WeekDays>"
    ]
    for day_type in range(1, 8):
        if day_type in (1, 7):
            parts.append(
                f"<WeekDay><DayType>{day_type}</DayType><DayWorking>0</DayWorking></WeekDay>"
            )
        else:
            parts.append(
                f"<WeekDay><DayType>{day_type}</DayType><DayWorking>1</DayWorking><WorkingTimes>"
                "<WorkingTime><FromTime>08:00:00</FromTime><ToTime>12:00:00</ToTime></WorkingTime>"
                "<WorkingTime><FromTime>13:00:00</FromTime><ToTime>17:00:00</ToTime></WorkingTime>"
                "</WorkingTimes></WeekDay>"
            )
    parts.append("</WeekDays><Exceptions>")
    for year in range(2027, 2032):
        for month, day, name in ((1, 1, "New Year"), (12, 25, "Christmas"), (12, 26, "Boxing Day")):
            date = f"{year}-{month:02d}-{day:02d}"
            parts.append(
                "<Exception><EnteredByOccurrences>0</EnteredByOccurrences><TimePeriod>"
                f"<FromDate>{date}T00:00:00</FromDate><ToDate>{date}T23:59:00</ToDate></TimePeriod>"
                f"<Occurrences>1</Occurrences><Name>{name}</Name><Type>1</Type>"
                "<DayWorking>0</DayWorking></Exception>"
            )
    parts.append(
        "<Exception><EnteredByOccurrences>1</EnteredByOccurrences><TimePeriod>"
        "<FromDate>2027-01-01T00:00:00</FromDate><ToDate>2031-12-31T23:59:00</ToDate></TimePeriod>"
        "<Occurrences>60</Occurrences><Name>Maintenance Friday</Name><Type>5</Type><Period>1</Period>"
        "<MonthItem>8</MonthItem><MonthPosition>4</MonthPosition><DayWorking>0</DayWorking>"
        "</Exception></Exceptions></Calendar></Calendars><Tasks>"
    )
    leaves: list[int] = []
    uid = 0
    link_types = ["1", "1", "1", "3", "0", "2"]
    lag_choices = [
        (0, "7"),
        (0, "7"),
        (4800, "7"),
        (600, "5"),
        (300, "3"),
        (14400, "8"),
        (250, "19"),
    ]
    phase = 0
    while uid < tasks:
        phase += 1
        for level, name in ((1, f"Phase {phase}"),):
            uid += 1
            parts.append(_task(uid, name, level, 0, summary=True))
        for sub in range(9):
            if uid >= tasks:
                break
            uid += 1
            parts.append(_task(uid, f"Work package {phase}.{sub + 1}", 2, 0, summary=True))
            for _ in range(10):
                if uid >= tasks:
                    break
                uid += 1
                links = ""
                if leaves:
                    for predecessor in rng.sample(
                        leaves[-200:], k=min(len(leaves[-200:]), rng.choice([1, 2]))
                    ):
                        lag, lag_format = rng.choice(lag_choices)
                        links += (
                            f"<PredecessorLink><PredecessorUID>{predecessor}</PredecessorUID>"
                            f"<Type>{rng.choice(link_types)}</Type><CrossProject>0</CrossProject>"
                            f"<LinkLag>{lag}</LinkLag><LagFormat>{lag_format}</LagFormat></PredecessorLink>"
                        )
                parts.append(_task(uid, f"Task {uid}", 3, rng.randint(1, 10) * 8, links=links))
                leaves.append(uid)
    parts.append("</Tasks><Resources>")
    parts.extend(
        f"<Resource><UID>{resource}</UID><ID>{resource}</ID><Name>Bench engineer {resource}</Name>"
        "<Type>1</Type><MaxUnits>2</MaxUnits><StandardRate>80</StandardRate><Rates>"
        "<Rate><RatesFrom>1984-01-01T00:00:00</RatesFrom><RatesTo>2027-12-31T23:59:00</RatesTo>"
        "<RateTable>0</RateTable><StandardRate>80</StandardRate></Rate>"
        "<Rate><RatesFrom>2028-01-01T00:00:00</RatesFrom><RatesTo>2049-12-31T23:59:00</RatesTo>"
        "<RateTable>0</RateTable><StandardRate>88</StandardRate></Rate></Rates></Resource>"
        for resource in range(1, 51)
    )
    parts.append("</Resources><Assignments>")
    assignment = 0
    for leaf in leaves:
        for resource in rng.sample(range(1, 51), k=rng.choice([1, 2])):
            assignment += 1
            parts.append(
                f"<Assignment><UID>{assignment}</UID><TaskUID>{leaf}</TaskUID>"
                f"<ResourceUID>{resource}</ResourceUID><Units>{rng.choice(['0.5', '1', '1'])}</Units>"
                "</Assignment>"
            )
    parts.append("</Assignments></Project>")
    return "".join(parts).encode()


def _task(
    uid: int, name: str, level: int, hours: int, *, summary: bool = False, links: str = ""
) -> str:
    baseline = (
        "<Baseline><Number>0</Number><Start>2027-01-04T08:00:00</Start>"
        f"<Finish>2027-01-04T17:00:00</Finish><Duration>PT{hours}H0M0S</Duration>"
        f"<Work>PT{hours}H0M0S</Work><Cost>{hours * 8000}</Cost></Baseline>"
    )
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><OutlineLevel>{level}</OutlineLevel>"
        f"<Duration>PT{hours}H0M0S</Duration><Summary>{int(summary)}</Summary>"
        f"<ConstraintType>0</ConstraintType>{links}{baseline}</Task>"
    )


def run(tasks: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from itpm.accounts.models import User
    from itpm.interop.mspdi_import import mspdi_import
    from itpm.planning.models import Dependency, Task

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user(username="bench", password=None)
    t0 = time.perf_counter()
    data = generate(tasks)
    generated = time.perf_counter() - t0
    print(
        f"{connection.vendor}: file of {tasks:,} tasks, {len(data) / 1e6:.1f} MB "
        f"(generated in {generated:.1f} s)"
    )
    for run_number in range(1, RUNS + 1):
        calls: list[int] = []

        def progress(done: int, total: int, calls: list[int] = calls) -> None:
            calls.append(done)

        t0 = time.perf_counter()
        project = mspdi_import(
            data=data, actor=owner, project_key=f"BENCH{run_number}", progress=progress
        )
        elapsed = time.perf_counter() - t0
        print(
            f"  run {run_number}: {elapsed:.2f} s — {Task.objects.filter(project=project).count():,}"
            f" tasks, {Dependency.objects.filter(project=project).count():,} links,"
            f" {project.assignments.count():,} assignments, {len(calls)} progress calls,"
            f" finish {project.scheduled_finish:%Y-%m-%d}"
        )


def _admin(sql: str, url: str = URL) -> None:
    """Run ``sql`` on the server of ``url`` (its maintenance database)."""
    import psycopg

    parts = urlparse(url)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(sql)


def per_backend(
    script: str, inner_args: list[str], database: str, url: str, sqlite_dir: Path
) -> None:
    """Run ``script --inner ...`` once per backend ("sqlite", "postgres" or "both"), each on
    a fresh database that is removed afterwards, and each in its own process: Django's
    settings are read once per process."""
    name = urlparse(url).path.lstrip("/")
    for backend in ("sqlite", "postgres") if database == "both" else (database,):
        env = dict(os.environ)
        if backend == "sqlite":
            shutil.rmtree(sqlite_dir, ignore_errors=True)
            sqlite_dir.mkdir(parents=True)
            env["ITPM_DATA_DIR"] = str(sqlite_dir)
            env.pop("DATABASE_URL", None)
        else:
            _admin(f'DROP DATABASE IF EXISTS "{name}"', url)
            _admin(f'CREATE DATABASE "{name}"', url)
            env["DATABASE_URL"] = url
        try:
            subprocess.run(  # noqa: S603 - a bench script of ours, with fixed arguments
                [sys.executable, script, "--inner", *inner_args], env=env, check=True
            )
        finally:
            if backend == "postgres":
                _admin(f'DROP DATABASE IF EXISTS "{name}"', url)
            else:
                shutil.rmtree(sqlite_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itpm.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if args.inner:
        run(args.tasks)
        return
    per_backend(__file__, ["--tasks", str(args.tasks)], args.database, URL, SQLITE_DIR)


if __name__ == "__main__":
    main()
