"""Faults: kill -9 of the web process mid-apply and of the job worker mid-job (a few runs).

The same scenarios as ``bench/proof_faults.py`` (``make proof`` runs 100 of each), here
against the test database: gunicorn and ``db_worker`` run as real subprocesses and get
SIGKILL at random points; afterwards the change is there entirely or not at all, a retry
applies it exactly once, and a killed job reruns and writes one snapshot per project.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from proof_faults import apply_scenario, job_scenario  # noqa: E402
from proof_support import seed_team  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _subprocess_env() -> dict[str, str]:
    """The test database, as DATABASE_URL for the server and worker subprocesses."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db["USER"] or "postgres"
        return {"DATABASE_URL": f"postgres://{user}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    return {"DATABASE_URL": f"sqlite:///{db['NAME']}"}


def test_a_web_process_killed_mid_apply_leaves_all_or_nothing_and_a_retry_applies_once():
    team = seed_team(task_count=0)
    assert apply_scenario(_subprocess_env(), team, runs=2, rng=random.Random(7))


def test_a_worker_killed_mid_job_reruns_it_and_writes_each_snapshot_once():
    team = seed_team(task_count=0)
    assert job_scenario(_subprocess_env(), team, runs=2, rng=random.Random(7), projects=3)
