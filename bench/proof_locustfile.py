"""Locust users for bench/proof_load.py: one endpoint per run, chosen by PROOF_ENDPOINT.

Users wait for nothing between requests (closed loop): the figure is the throughput the
server reaches at a given number of concurrent clients, and its latency percentiles.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from typing import Any

from locust import HttpUser, constant, task

ENDPOINT = os.environ.get("PROOF_ENDPOINT", "ping")
DATA: dict[str, Any] = json.loads(os.environ.get("PROOF_DATA", "{}"))
# Each user PATCHes its own task, so the figure is throughput, not 409s between users.
_NEXT_TASK = itertools.count()


class ApiUser(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {DATA.get('token', '')}"
        ids = DATA.get("task_ids") or [0]
        self.task_id = ids[next(_NEXT_TASK) % len(ids)]
        self.version = None
        if ENDPOINT == "task_patch":
            got = self.client.get(f"/api/v1/tasks/{self.task_id}", name="setup")
            self.version = got.json()["version"]

    @task
    def call(self) -> None:
        if ENDPOINT == "ping":
            self.client.get("/healthz", name="ping")
        elif ENDPOINT == "task_list":
            key = random.choice(DATA["projects"])
            self.client.get(f"/api/v1/projects/{key}/tasks?limit=50", name="task_list")
        elif ENDPOINT == "task_detail":
            self.client.get(f"/api/v1/tasks/{random.choice(DATA['task_ids'])}", name="task_detail")
        elif ENDPOINT == "task_patch":
            body = {"version": self.version, "priority": random.randint(0, 1000)}
            with self.client.patch(
                f"/api/v1/tasks/{self.task_id}", json=body, name="task_patch", catch_response=True
            ) as response:
                if response.status_code == 200:
                    self.version = response.json()["version"]
                else:
                    response.failure(f"{response.status_code}")
        elif ENDPOINT == "gantt":
            key = random.choice(DATA["projects"])
            self.client.get(f"/api/v1/projects/{key}/schedule", name="gantt")
        elif ENDPOINT == "ticket_list":
            self.client.get("/api/v1/tickets?limit=50", name="ticket_list")
