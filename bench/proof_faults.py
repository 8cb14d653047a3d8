"""Faults: ``kill -9`` at random points, then check that nothing is half-written.

Scenario ``apply`` (the web process dies): per run a fresh project with a chain of tasks
and an approved change request that adds tasks with dependencies and changes durations.
The client POSTs ``/apply``; after a random delay (0 to 1.3 x a calibrated apply time) the
gunicorn worker serving it gets SIGKILL. Then: either all of the change is there (status
applied, every added task and link, task versions bumped, the audit event) or none of it
(status approved, counts, versions and audit unchanged). The client then retries the
apply, as a client that got no answer would: it must land exactly once (200 if nothing was
applied, 409 if it was) and the counts must equal one application.

Scenario ``job`` (the background worker dies): per run an EVM snapshot job for a new week
over every open project; the ``db_worker`` gets SIGKILL at a random point; the housekeeping
step requeues the job (the lease is set to 0 here), a new worker reruns it, and there must
be exactly one snapshot per project for that week (no duplicate, none missing).

    uv run python bench/proof_faults.py --runs 100 [--db postgres|sqlite] [--scenario all]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proof_support import (  # noqa: E402
    Server,
    database_env,
    django_setup,
    load_average,
    seed_team,
    start_worker,
)

ADDED_TASKS = 15
CHANGED_DURATIONS = 5


# ------------------------------------------------------------------ change-request apply
def _change_request(owner: Any, run: int) -> tuple[Any, Any]:
    from itpm.control.changes import (
        change_request_create,
        change_request_submit,
        change_request_vote,
    )
    from itpm.planning.services import dependency_create, task_create
    from itpm.portfolio.services import project_create

    project = project_create(actor=owner, key=f"F{run}", name=f"Fault run {run}")
    chain = []
    for n in range(12):
        chain.append(task_create(actor=owner, project=project, name=f"Step {n}", duration_hours=8))
        if n:
            dependency_create(
                actor=owner, project=project, predecessor=chain[-2], successor=chain[-1]
            )
    operations: list[dict[str, Any]] = [
        {"op": "change_duration", "task": task.pk, "hours": 16}
        for task in chain[:CHANGED_DURATIONS]
    ]
    previous: Any = chain[-1].pk
    for n in range(ADDED_TASKS):
        operations.append({"op": "add_task", "name": f"Added {n}", "hours": 4, "ref": f"a{n}",
                           "after": [previous]})  # fmt: skip
        previous = f"a{n}"
    change = change_request_create(actor=owner, project=project, title=f"Run {run}",
                                   operations=operations, board=[owner])  # fmt: skip
    change = change_request_submit(actor=owner, change=change, version=change.version)
    change = change_request_vote(actor=owner, change=change, approve=True)
    return project, change


def _state(project: Any, change: Any) -> dict[str, Any]:
    from django.db.models import Sum

    from itpm.control.models import ChangeRequest
    from itpm.core.models import AuditEvent
    from itpm.planning.models import Dependency, Task

    tasks = Task.objects.filter(project=project)
    current = ChangeRequest.objects.get(pk=change.pk)
    return {
        "status": current.status,
        "version": current.version,
        "tasks": tasks.count(),
        "links": Dependency.objects.filter(project=project).count(),
        "task_versions": tasks.aggregate(v=Sum("version"))["v"],
        "hours": tasks.aggregate(h=Sum("duration_hours"))["h"],
        "audit": AuditEvent.objects.filter(project=project).count(),
        "applied_events": AuditEvent.objects.filter(
            project=project, action="change_request.apply", object_id=str(change.pk)
        ).count(),
    }


def _classify(before: dict[str, Any], after: dict[str, Any]) -> str:
    """ "none", "all", or a description of the half-written state."""
    if after == before:
        return "none"
    if (
        after["status"] == "applied"
        and after["tasks"] == before["tasks"] + ADDED_TASKS
        and after["links"] == before["links"] + ADDED_TASKS
        and after["hours"] == before["hours"] + CHANGED_DURATIONS * 8 + ADDED_TASKS * 4
        and after["task_versions"] > before["task_versions"]
        and after["applied_events"] == 1
        and after["audit"] > before["audit"]
    ):
        return "all"
    return f"HALF-WRITTEN: before {before}, after {after}"


def _post_apply(url: str, token: str, project: Any, change: Any, answer: list[Any]) -> None:
    try:
        response = httpx.post(
            f"{url}/api/v1/projects/{project.key}/change-requests/{change.pk}/apply",
            json={}, headers={"Authorization": f"Bearer {token}"}, timeout=120,
        )  # fmt: skip
        answer.append(response.status_code)
    except httpx.HTTPError as exc:
        answer.append(type(exc).__name__)


def _progress(name: str, done: int, runs: int, detail: str) -> None:
    """A line on stderr every 10 runs: 100 runs take a while."""
    if done and done % 10 == 0 and done < runs:
        print(f"  faults/{name}: {done}/{runs} runs, {detail}", file=sys.stderr, flush=True)


def _wait_healthy(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the web server did not come back after the kill")


def apply_scenario(
    env: dict[str, str], team: dict[str, Any], runs: int, rng: random.Random
) -> bool:
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    with Server(env, workers=1, preload=True) as server:
        # Calibrate: how long one apply takes on this machine now.
        project, change = _change_request(team["owner"], 0)
        began = time.monotonic()
        answer: list[Any] = []
        _post_apply(server.url, team["token"], project, change, answer)
        apply_seconds = time.monotonic() - began
        assert answer == [200], answer
        for run in range(1, runs + 1):
            _progress("apply", run - 1, runs, f"{dict(outcomes)}, problems {len(problems)}")
            project, change = _change_request(team["owner"], run)
            before = _state(project, change)
            answer = []
            client = threading.Thread(
                target=_post_apply, args=(server.url, team["token"], project, change, answer)
            )
            client.start()
            time.sleep(rng.uniform(0, apply_seconds * 1.3))
            for pid in server.worker_pids():
                os.kill(pid, signal.SIGKILL)
            client.join()
            _wait_healthy(server)
            after = _state(project, change)
            outcome = _classify(before, after)
            outcomes[outcome if not outcome.startswith("HALF") else "half"] += 1
            if outcome.startswith("HALF"):
                problems.append(f"run {run}: {outcome}")
                continue
            # The client got no answer (or one): it retries, and the change lands once.
            retry: list[Any] = []
            _post_apply(server.url, team["token"], project, change, retry)
            final = _state(project, change)
            expected_retry = 200 if outcome == "none" else 409
            if retry != [expected_retry] or _classify(before, final) != "all":
                problems.append(f"run {run}: retry answered {retry}, state {final}")
    print(f"faults/apply: {runs} runs, gunicorn worker killed -9 during a change-request apply "
          f"(calibrated apply {apply_seconds:.2f} s): applied fully {outcomes['all']}, "
          f"not at all {outcomes['none']}, half-written {outcomes['half']}; "
          f"retry applied exactly once: {runs - len(problems)}/{runs}")  # fmt: skip
    for problem in problems[:5]:
        print("  " + problem)
    return not problems


# ------------------------------------------------------------------ import
IMPORT_ROWS = 400


def import_scenario(
    env: dict[str, str], team: dict[str, Any], runs: int, rng: random.Random
) -> bool:
    """``itpm import`` of a CSV killed -9 at a random point: all rows or none."""
    import subprocess
    import tempfile

    from itpm.core.models import AuditEvent
    from itpm.planning.models import Task
    from itpm.portfolio.services import project_create

    csv_path = Path(tempfile.mkdtemp(prefix="itpm-proof-import-")) / "plan.csv"
    rows = ["WBS,Name,Duration"] + [
        f"{n + 1},Imported task {n + 1},{1 + n % 4}d" for n in range(IMPORT_ROWS)
    ]
    csv_path.write_text("\n".join(rows) + "\n")
    command_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "itpm.settings"}

    def start(key: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-c", "from itpm.cli import main; main()", "import", str(csv_path),
             "--project", key, "--as", team["owner"].username],
            env=command_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip

    def state(project: Any) -> tuple[int, int]:
        return Task.objects.filter(project=project).count(), AuditEvent.objects.filter(
            project=project
        ).count()

    calibration = project_create(actor=team["owner"], key="IMP0", name="Import calibration")
    began = time.monotonic()
    process = start(calibration.key)
    _, err = process.communicate()
    import_seconds = time.monotonic() - began
    assert process.returncode == 0 and state(calibration)[0] == IMPORT_ROWS, err
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    for run in range(1, runs + 1):
        _progress("import", run - 1, runs, f"{dict(outcomes)}, problems {len(problems)}")
        project = project_create(actor=team["owner"], key=f"IMP{run}", name=f"Import run {run}")
        before = state(project)
        process = start(project.key)
        time.sleep(rng.uniform(0, import_seconds * 1.3))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        tasks, audit_events = state(project)
        if (tasks, audit_events) == before:
            outcomes["none"] += 1
        elif tasks == before[0] + IMPORT_ROWS and audit_events > before[1]:
            outcomes["all"] += 1
        else:
            outcomes["half"] += 1
            problems.append(
                f"run {run}: {tasks} of {IMPORT_ROWS} tasks, audit {before[1]} -> {audit_events}"
            )
    print(f"faults/import: {runs} runs, `itpm import` of a {IMPORT_ROWS}-row CSV killed -9 at a "
          f"random point (a full import takes {import_seconds:.2f} s with start-up): imported "
          f"fully {outcomes['all']}, not at all {outcomes['none']}, half-written "
          f"{outcomes['half']}")  # fmt: skip
    for problem in problems[:5]:
        print("  " + problem)
    return not problems


# ------------------------------------------------------------------ background job
def _job_projects(owner: Any, count: int) -> int:
    from itpm.planning.services import task_create
    from itpm.portfolio.models import Project, Stage
    from itpm.portfolio.services import project_create

    for n in range(count):
        project = project_create(actor=owner, key=f"J{n}", name=f"Job project {n}",
                                 start_date=dt.date(2027, 1, 4))  # fmt: skip
        for t in range(15):
            task_create(actor=owner, project=project, name=f"Work {t}", duration_hours=16)
    Project.objects.filter(key__startswith="J").update(stage=Stage.EXECUTION)
    return (
        Project.objects.filter(archived=False)
        .exclude(stage__in=(Stage.INITIATION, Stage.CLOSED))
        .count()
    )


def _wait_status(job_id: Any, wanted: set[str], timeout: float = 300) -> str:
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = DBTaskResult.objects.get(pk=job_id).status
        if status in wanted:
            return str(status)
        time.sleep(0.05)
    return "TIMEOUT"


def job_scenario(env: dict[str, str], team: dict[str, Any], runs: int, rng: random.Random,
                 projects: int) -> bool:  # fmt: skip
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from itpm.core.jobs import jobs_requeue_stale
    from itpm.tracking.models import EvmSnapshot
    from itpm.tracking.tasks import evm_snapshot_job

    open_projects = _job_projects(team["owner"], projects)
    first_week = dt.date(2027, 1, 4)
    process = start_worker(env)
    # Calibrate: how long the job itself runs (claimed to finished) on this machine now.
    calibration = evm_snapshot_job.enqueue(
        status_date=(first_week - dt.timedelta(days=7)).isoformat()
    )
    assert _wait_status(calibration.id, {"SUCCESSFUL"}) == "SUCCESSFUL"
    row = DBTaskResult.objects.get(pk=calibration.id)
    job_seconds = (row.finished_at - row.started_at).total_seconds()
    killed_mid_job = 0
    problems: list[str] = []
    for run in range(runs):
        _progress("job", run, runs, f"killed mid-job {killed_mid_job}, problems {len(problems)}")
        week = first_week + dt.timedelta(days=7 * run)
        result = evm_snapshot_job.enqueue(status_date=week.isoformat())
        _wait_status(result.id, {"RUNNING", "SUCCESSFUL", "FAILED"})
        time.sleep(rng.uniform(0, job_seconds * 1.2))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        if DBTaskResult.objects.get(pk=result.id).status == "RUNNING":
            killed_mid_job += 1
        # What the periodic housekeeping job does once the lease is over (here: at once).
        jobs_requeue_stale(lease_seconds=0)
        process = start_worker(env)
        status = _wait_status(result.id, {"SUCCESSFUL", "FAILED"})
        if status != "SUCCESSFUL":
            problems.append(f"run {run}: job ended {status}")
            continue
        per_project = list(
            EvmSnapshot.objects.filter(week_start=week).values("project").annotate(n=Count("id"))
        )
        counts = Counter(item["n"] for item in per_project)
        if len(per_project) != open_projects or set(counts) != {1}:
            problems.append(
                f"run {run}: {len(per_project)} of {open_projects} projects, {dict(counts)}"
            )
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    print(f"faults/job: {runs} runs, db_worker killed -9 at a random point of the EVM snapshot "
          f"job over {open_projects} projects (job runs {job_seconds:.2f} s): killed mid-job "
          f"{killed_mid_job}, each rerun after the requeue; exactly one snapshot per project and "
          f"week in {runs - len(problems)}/{runs} runs, missing or double-written "
          f"{len(problems)}")  # fmt: skip
    for problem in problems[:5]:
        print("  " + problem)
    return not problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--scenario", choices=["all", "apply", "import", "job"], default="all")
    parser.add_argument("--projects", type=int, default=10, help="open projects for the job")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--name", default="faults", help="database name suffix")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    env = database_env(args.name, args.db)
    django_setup(env)
    team = seed_team(task_count=0)
    print(f"[{args.db}, seed {args.seed}, load average {load_average()}]")
    ok = True
    scenarios = (("apply", apply_scenario), ("import", import_scenario), ("job", job_scenario))
    for name, scenario in scenarios:
        if args.scenario in ("all", name):
            began = time.monotonic()
            extra = (args.projects,) if name == "job" else ()
            ok = scenario(env, team, args.runs, rng, *extra) and ok
            print(f"  ({name}: {time.monotonic() - began:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
