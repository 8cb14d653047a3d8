"""``Idempotency-Key`` on API POSTs: a retried POST does its work once (itpm/core/idempotency.py)."""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from itpm.accounts.services import token_create
from itpm.core.idempotency import idempotency_keys_expire
from itpm.core.models import IdempotencyKey
from itpm.planning.models import Task

TASKS = "/api/v1/projects/APL/tasks"


def post(client: Any, path: str, body: dict[str, Any], key: str | None) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def test_a_retried_post_creates_one_row_and_replays_the_answer(api, tasks):
    before = Task.objects.count()
    first = post(api("owner"), TASKS, {"name": "Order racks"}, "retry-1")
    second = post(api("owner"), TASKS, {"name": "Order racks"}, "retry-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Task.objects.count() == before + 1


def test_without_the_header_every_post_creates_a_row(api, tasks):
    before = Task.objects.count()
    post(api("owner"), TASKS, {"name": "Order racks"}, None)
    post(api("owner"), TASKS, {"name": "Order racks"}, None)
    assert Task.objects.count() == before + 2
    assert not IdempotencyKey.objects.exists()


def test_the_same_key_with_another_body_is_a_422_naming_the_header(api, tasks):
    post(api("owner"), TASKS, {"name": "Order racks"}, "k")
    response = post(api("owner"), TASKS, {"name": "Order cables"}, "k")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Task.objects.filter(name="Order cables").exists()


def test_the_same_key_on_another_route_is_a_422(api, tasks):
    post(api("owner"), TASKS, {"name": "Order racks"}, "k")
    response = post(api("owner"), "/api/v1/projects/APL/dependencies", {"name": "x"}, "k")
    assert response.status_code == 422
    assert "POST /api/v1/projects/APL/tasks" in response.json()["detail"]


def test_a_failed_request_is_not_remembered_so_a_retry_runs(api, tasks):
    bad = post(api("owner"), TASKS, {"name": ""}, "k")
    assert bad.status_code == 422
    assert not IdempotencyKey.objects.exists()
    good = post(api("owner"), TASKS, {"name": "Order racks"}, "k")
    assert good.status_code == 201
    assert "Idempotent-Replayed" not in good


def test_keys_belong_to_their_user(api, tasks):
    post(api("owner"), TASKS, {"name": "Order racks"}, "shared")
    second = post(api("manager"), TASKS, {"name": "Order racks"}, "shared")
    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert Task.objects.filter(name="Order racks").count() == 2


def test_an_outsider_replaying_someone_elses_key_gets_no_stored_answer(api, tasks):
    post(api("owner"), TASKS, {"name": "Order racks"}, "secret")
    response = post(api("outsider"), TASKS, {"name": "Order racks"}, "secret")
    assert response.status_code == 404
    assert "Idempotent-Replayed" not in response


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "tab\there"])
def test_a_malformed_key_is_a_422(api, tasks, key):
    response = post(api("owner"), TASKS, {"name": "Order racks"}, key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Task.objects.filter(name="Order racks").exists()


def test_anonymous_posts_are_refused_and_not_remembered(client, tasks):
    response = post(client, TASKS, {"name": "Order racks"}, "anon")
    assert response.status_code == 401
    assert not IdempotencyKey.objects.exists()


def test_keys_expire_after_24_hours(api, tasks):
    post(api("owner"), TASKS, {"name": "Order racks"}, "old")
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    # An expired key counts as new even before the housekeeping job has deleted it.
    again = post(api("owner"), TASKS, {"name": "Order racks"}, "old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    post(api("owner"), TASKS, {"name": "Order cables"}, "fresh")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    assert idempotency_keys_expire() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_posts_create_exactly_one_row(live_server, tasks, people, settings):
    """Many clients send the same POST at once: one row, and every client gets its answer."""
    settings.ITPM_API_WRITES_PER_MINUTE = 0  # the storm comes from one user on purpose
    # `make proof` (bench/proof_idempotency.py) sends 1,000 against gunicorn on PostgreSQL.
    count = 150 if connection.vendor == "postgresql" else 60
    _, key = token_create(user=people["owner"])
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "storm"}
    url = f"{live_server.url}{TASKS}"

    def send(_: int) -> tuple[int, int]:
        # The test server's listen backlog is small, so under the storm the kernel may reset
        # a connection before Django sees it. A client then does what the header is for: it
        # sends the same POST again with the same key, and must still get the one task.
        for attempt in range(5):
            try:
                with httpx.Client(timeout=60) as http:
                    response = http.post(url, json={"name": "Storm task"}, headers=headers)
                return response.status_code, response.json().get("id", -1)
            except httpx.TransportError:
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(send, range(count)))
    assert {status for status, _ in answers} == {201}
    assert len({task_id for _, task_id in answers}) == 1
    assert Task.objects.filter(name="Storm task").count() == 1
