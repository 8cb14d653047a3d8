"""Two clients race read-modify-write cycles on one task: no update is lost (``version``).

``make proof`` (bench/proof_lost_updates.py) runs 2 x 1,000 cycles against gunicorn on
PostgreSQL; this test runs a short race against the live test server (one thread and one
database connection per request).
"""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest

from itpm.accounts.services import token_create

CYCLES = 25


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_clients_racing_on_one_task_lose_no_update(live_server, tasks, people, settings):
    settings.ITPM_API_WRITES_PER_MINUTE = 0  # one user writes fast on purpose
    task = tasks["code"]
    start = task.duration_hours
    _, key = token_create(user=people["owner"])
    outcomes: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def client() -> None:
        with httpx.Client(
            base_url=live_server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as http:
            barrier.wait()
            for _ in range(CYCLES):
                got = http.get(f"/api/v1/tasks/{task.pk}")
                response = http.patch(
                    f"/api/v1/tasks/{task.pk}",
                    json={"duration_hours": got.json()["duration_hours"] + 1},
                    headers={"If-Match": got.headers["ETag"]},
                )
                with lock:
                    outcomes[response.status_code] += 1

    threads = [threading.Thread(target=client) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    task.refresh_from_db()
    assert sum(outcomes.values()) == 2 * CYCLES
    assert set(outcomes) <= {200, 409}, outcomes
    assert task.duration_hours == start + outcomes[200]
    assert task.version >= 1 + outcomes[200]


def test_a_patch_against_an_old_version_is_a_409_and_changes_nothing(api, tasks):
    task = tasks["code"]
    http = api("owner")
    etag = http.get(f"/api/v1/tasks/{task.pk}")["ETag"]
    first = http.patch(
        f"/api/v1/tasks/{task.pk}", {"duration_hours": 41}, "application/json",
        headers={"If-Match": etag},
    )  # fmt: skip
    stale = http.patch(
        f"/api/v1/tasks/{task.pk}", {"duration_hours": 99}, "application/json",
        headers={"If-Match": etag},
    )  # fmt: skip
    assert (first.status_code, stale.status_code) == (200, 409)
    task.refresh_from_db()
    assert task.duration_hours == 41
