"""Scale-out: two web processes and two job workers on one PostgreSQL (docs/reliability.md).

Nothing lives in process memory (sessions, tokens, idempotency keys and the job queue are
rows), so any web process can answer any request and any worker can run any job. The test
starts two gunicorns and two ``db_worker``s as subprocesses, spreads a workload over both
web processes (tasks and tickets created with idempotency keys, forecast jobs queued), kills
one web process and one worker with SIGKILL half-way, lets the clients fail over to the
survivor (retrying with the same key, as a client without an answer must), and checks that
every object exists exactly once and every job ran to the end exactly once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from proof_support import Server, start_worker  # noqa: E402

from itpm.accounts.services import token_create
from itpm.control.models import ForecastRun
from itpm.core.jobs import jobs_requeue_stale
from itpm.helpdesk.models import Queue, Ticket
from itpm.planning.models import Task

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

OPERATIONS = 60  # per client
CLIENTS = 4


def _subprocess_env() -> dict[str, str]:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    return {"DATABASE_URL": f"postgres://{user}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}


def _post_until_answered(servers: list[Server], start: int, path: str, body: dict[str, Any],
                         key: str, token: str) -> tuple[int, int]:  # fmt: skip
    """POST with an idempotency key; on a dead server, retry the same request on the other.

    Returns the status and how many times the request failed over.
    """
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    for attempt in range(20):
        server = servers[(start + attempt) % len(servers)]
        try:
            response = httpx.post(f"{server.url}{path}", json=body, headers=headers, timeout=60)
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        return response.status_code, attempt
    raise AssertionError(f"no server answered {path} {key}")


def test_two_web_processes_and_two_workers_lose_nothing_and_do_nothing_twice(
    tasks: Any, people: dict[str, Any], settings: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("scale-out shares one PostgreSQL; SQLite is a single-machine database")
    from itpm.accounts.models import Team

    owner = people["owner"]
    team = Team.objects.create(name="Desk")
    team.members.add(owner)
    queue = Queue.objects.create(key="DESK", name="Desk", team=team)
    _, token = token_create(user=owner)
    env = _subprocess_env()
    webs = [Server(env, workers=1).start(), Server(env, workers=1).start()]
    workers = [start_worker(env), start_worker(env)]
    answers: Counter[int] = Counter()
    lock = threading.Lock()
    done = [0]

    def client(n: int) -> None:
        for i in range(OPERATIONS):
            kind = i % 3
            if kind == 0:
                path, body = "/api/v1/projects/APL/tasks", {"name": f"Scale task {n}-{i}"}
            elif kind == 1:
                path = "/api/v1/tickets"
                body = {"queue": queue.key, "title": f"Scale ticket {n}-{i}"}
            else:
                path = "/api/v1/projects/APL/forecast"
                body = {"iterations": 100, "seed": n * 1000 + i, "background": True}
            status, failovers = _post_until_answered(webs, n + i, path, body, f"op-{n}-{i}", token)
            with lock:
                answers[status] += 1
                answers[-1] += failovers
                done[0] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        # Half-way through, one web process and one worker die without warning.
        while done[0] < CLIENTS * OPERATIONS // 2:
            time.sleep(0.05)
        webs[0].kill_hard()
        os.killpg(workers[0].pid, signal.SIGKILL)
        for thread in threads:
            thread.join()
        # The housekeeping job requeues what the dead worker held (after the lease; now).
        jobs_requeue_stale(lease_seconds=0)
        deadline = time.monotonic() + 120
        while ForecastRun.objects.exclude(status="done").exists() and time.monotonic() < deadline:
            jobs_requeue_stale(lease_seconds=30)
            time.sleep(0.5)
    finally:
        for web in webs:
            web.stop()
        for process in workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    # Requests sent to the dead web process after the kill went to the survivor instead.
    assert answers.pop(-1) > 0
    assert set(answers) == {201}, answers
    per_client_kind = OPERATIONS // 3
    task_names = Counter(
        Task.objects.filter(name__startswith="Scale task").values_list("name", flat=True)
    )
    ticket_titles = Counter(
        Ticket.objects.filter(title__startswith="Scale ticket").values_list("title", flat=True)
    )
    assert len(task_names) == CLIENTS * per_client_kind and set(task_names.values()) == {1}
    assert len(ticket_titles) == CLIENTS * per_client_kind and set(ticket_titles.values()) == {1}
    runs = ForecastRun.objects.all()
    assert runs.count() == CLIENTS * per_client_kind
    assert Counter(runs.values_list("seed", flat=True)).most_common(1)[0][1] == 1
    assert set(runs.values_list("status", flat=True)) == {"done"}
