"""A killed import leaves nothing: ``itpm import`` of a big CSV is killed with SIGKILL while it
writes (its progress says so), and the database holds no trace of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from itpm.core.models import AuditEvent
from itpm.planning.models import Assignment, Dependency, Task
from itpm.portfolio.models import Project

ROWS = 20_000


def _database_url() -> str:
    """The test database itself, so the subprocess writes where this test looks."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


def _counts(project: Project) -> tuple[int, ...]:
    return (
        Task.objects.filter(project=project).count(),
        Dependency.objects.filter(project=project).count(),
        Assignment.objects.filter(project=project).count(),
        AuditEvent.objects.filter(project=project).count(),
        Project.objects.get(pk=project.pk).version,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_killed_import_leaves_the_database_unchanged(
    project: Project, tasks: Any, tmp_path: Path
) -> None:
    big = tmp_path / "big.csv"
    lines = ["ID,Name,Duration,Predecessors"]
    lines += [f"{i},Task {i},{1 + i % 5}d,{i - 1 if i > 1 else ''}" for i in range(1, ROWS + 1)]
    big.write_text("\n".join(lines) + "\n")
    before = _counts(project)
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "itpm.settings"}
    command = [str(Path(sys.executable).with_name("itpm")), "import", str(big), "--project", "APL",
               "--as", "olivia"]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    seen = []
    deadline = time.monotonic() + 300
    try:
        assert process.stderr is not None
        for line in process.stderr:
            seen.append(line)
            if line.startswith("writing tasks:"):
                break
            assert time.monotonic() < deadline, "the import never started writing"
        assert process.poll() is None, f"the import ended before it could be killed: {seen[-5:]}"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert any(line.startswith("writing tasks:") for line in seen), seen[-5:]
    assert _counts(project) == before
    assert not Task.objects.filter(name=f"Task {ROWS}").exists()
