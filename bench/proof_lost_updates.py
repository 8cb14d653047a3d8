"""Lost updates and idempotency keys, against gunicorn on a real database.

Lost updates: two client processes each do ``--cycles`` read-modify-write cycles on one
task's ``duration_hours`` (GET, then PATCH value + 1 with ``If-Match``). The final value must
equal the start plus the number of successful PATCHes, and every refused PATCH must be a 409.

Idempotency: ``--duplicates`` POSTs of one new task with one ``Idempotency-Key``, sent by
``--threads`` threads at once: exactly one task is created and every answer is that task.

    uv run python bench/proof_lost_updates.py [--db postgres|sqlite] [--cycles 1000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proof_support import Server, database_env, django_setup, load_average, seed_team  # noqa: E402


def read_modify_write(url: str, token: str, task_id: int, cycles: int) -> Counter[int]:
    """One client: GET the task, PATCH duration + 1 against the version it read."""
    outcomes: Counter[int] = Counter()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        for _ in range(cycles):
            got = http.get(f"/api/v1/tasks/{task_id}")
            got.raise_for_status()
            response = http.patch(
                f"/api/v1/tasks/{task_id}",
                json={"duration_hours": got.json()["duration_hours"] + 1},
                headers={"If-Match": got.headers["ETag"]},
            )
            outcomes[response.status_code] += 1
    return outcomes


def lost_updates(url: str, token: str, task_id: int, start: int, cycles: int) -> bool:
    from itpm.planning.models import Task

    began = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.starmap(read_modify_write, [(url, token, task_id, cycles)] * 2)
    seconds = time.monotonic() - began
    total: Counter[int] = sum(results, Counter())
    successes = total.get(200, 0)
    final = Task.objects.get(pk=task_id).duration_hours
    failures = {code: n for code, n in total.items() if code != 200}
    ok = final == start + successes and set(failures) <= {409}
    print(f"lost updates: 2 clients x {cycles} read-modify-write cycles in {seconds:.1f} s: "
          f"{successes} succeeded, refused {failures or 0} (all 409: {set(failures) <= {409}}); "
          f"final value {final} = start {start} + successes {successes}: "
          f"{'OK' if final == start + successes else 'LOST UPDATES'}")  # fmt: skip
    return ok


def idempotent_duplicates(url: str, token: str, count: int, threads: int) -> bool:
    from itpm.planning.models import Task

    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "proof-storm"}
    body = {"name": "Idempotency storm"}

    def send(_: int) -> tuple[int, int]:
        with httpx.Client(timeout=120) as http:
            response = http.post(f"{url}/api/v1/projects/APL/tasks", json=body, headers=headers)
            return response.status_code, response.json().get("id", -1)

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        answers = list(pool.map(send, range(count)))
    seconds = time.monotonic() - began
    statuses = Counter(status for status, _ in answers)
    ids = {task_id for _, task_id in answers}
    rows = Task.objects.filter(name=body["name"]).count()
    ok = rows == 1 and set(statuses) == {201} and len(ids) == 1
    print(f"idempotency: {count} duplicate POSTs ({threads} at a time) in {seconds:.1f} s: "
          f"answers {dict(statuses)}, {len(ids)} distinct task id(s), rows created {rows}: "
          f"{'OK' if ok else 'FAILED'}")  # fmt: skip
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--duplicates", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    args = parser.parse_args()
    env = database_env("lost_updates", args.db)
    django_setup(env)
    team = seed_team()
    task = team["tasks"][0]
    print(f"[{args.db}, gunicorn --workers {args.workers}, load average {load_average()}]")
    with Server(env, workers=args.workers) as server:
        ok = lost_updates(server.url, team["token"], task.pk, task.duration_hours, args.cycles)
        ok = idempotent_duplicates(server.url, team["token"], args.duplicates, args.threads) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
