"""Backup and restore of the whole site: the demo portfolio, backed up here, restored into a
fresh SQLite database (and a fresh PostgreSQL one when the server is reachable) by the
``itpm restore`` command, gives the same row count and content checksum in every table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from itpm.interop import backup
from itpm.planning.models import Task
from itpm.planning.services import task_update
from itpm.portfolio.demo import load_demo

PG = os.environ.get("ITPM_TEST_PG", "postgres://postgres@127.0.0.1:5432")
CHECKSUMS = (
    "import django, json; django.setup(); from itpm.interop.backup import table_checksums; "
    "print(json.dumps(table_checksums()))"
)
SPLITS = (
    "import django, json; django.setup(); from itpm.planning.models import Task; "
    "print(json.dumps(sorted([t.name, t.splits] for t in Task.objects.exclude(splits=[]))))"
)
# Tasks to the minute or elapsed, [name, duration_minutes, elapsed], here and restored.
MINUTE_TASKS = (
    "sorted([t.name, t.duration_minutes, t.elapsed] for t in "
    "Task.objects.filter(duration_minutes__isnull=False) | Task.objects.filter(elapsed=True))"
)
MINUTES = (
    "import django, json; django.setup(); from itpm.planning.models import Task; "
    f"print(json.dumps({MINUTE_TASKS}))"
)


def _minute_tasks() -> list[list[Any]]:
    query = Task.objects.filter(duration_minutes__isnull=False) | Task.objects.filter(elapsed=True)
    return sorted([t.name, t.duration_minutes, t.elapsed] for t in query)


def _run(args: list[str], *, database_url: str, data_dir: Path, timeout: int = 600) -> Any:
    env = {**os.environ, "DATABASE_URL": database_url, "ITPM_DATA_DIR": str(data_dir),
           "DJANGO_SETTINGS_MODULE": "itpm.settings"}  # fmt: skip
    return subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _itpm(*args: str, **kw: Any) -> Any:
    return _run([str(Path(sys.executable).with_name("itpm")), *args], **kw)


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", connect_timeout=3):
            return True
    except Exception:
        return False


def _restore_and_compare(
    target_url: str,
    data_dir: Path,
    path: Path,
    manifest: dict[str, Any],
    demo: tuple[str, list[list[Any]]],
) -> None:
    split_task, minute_tasks = demo
    restored = _itpm("restore", str(path), database_url=target_url, data_dir=data_dir)
    assert restored.returncode == 0, restored.stderr[-2000:]
    sums = _run([sys.executable, "-c", CHECKSUMS], database_url=target_url, data_dir=data_dir)
    assert sums.returncode == 0, sums.stderr[-2000:]
    here = json.loads(sums.stdout.strip().splitlines()[-1])
    for label, info in manifest["tables"].items():
        assert here.get(label) == info, label
    # The demo's split task keeps its pauses (a JSON column, covered by the checksum too).
    splits = _run([sys.executable, "-c", SPLITS], database_url=target_url, data_dir=data_dir)
    assert splits.returncode == 0, splits.stderr[-2000:]
    assert json.loads(splits.stdout.strip().splitlines()[-1]) == [[split_task, [[8, 24]]]]
    # Durations to the minute and elapsed tasks (the one of 7 h 30 among them) come back.
    minutes = _run([sys.executable, "-c", MINUTES], database_url=target_url, data_dir=data_dir)
    assert minutes.returncode == 0, minutes.stderr[-2000:]
    assert json.loads(minutes.stdout.strip().splitlines()[-1]) == minute_tasks
    for name, sha in manifest["media"].items():
        import hashlib

        assert hashlib.sha256((data_dir / "uploads" / name).read_bytes()).hexdigest() == sha
    # A second restore into the now full database is refused with one line.
    again = _itpm("restore", str(path), database_url=target_url, data_dir=data_dir)
    assert again.returncode == 2
    assert again.stderr.strip().count("\n") == 0 and "not empty" in again.stderr


@pytest.fixture
def demo(db: Any, settings: Any, tmp_path: Path) -> tuple[str, list[list[Any]]]:
    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo(password="demo-pass-123")
    # A split task, so that the backup carries one.
    task = Task.objects.filter(duration_hours__gte=16, children__isnull=True).order_by("id")[0]
    owner = task.project.memberships.filter(role="owner").order_by("id")[0].user
    task_update(actor=owner, task=task, version=task.version, data={"splits": [[8, 24]]})
    assert Task.objects.get(pk=task.pk).splits == [[8, 24]]
    # An elapsed task of 7 h 30 (to the minute), so that the backup carries one.
    other = (
        Task.objects.filter(children__isnull=True, milestone=False, splits=[])
        .exclude(pk=task.pk)
        .order_by("id")[0]
    )
    owner = other.project.memberships.filter(role="owner").order_by("id")[0].user
    task_update(actor=owner, task=other, version=other.version,
                data={"duration_minutes": 450, "elapsed": True})  # fmt: skip
    media = Path(settings.MEDIA_ROOT) / "projects" / "1"
    media.mkdir(parents=True)
    (media / "note.txt").write_bytes(b"an uploaded file\n")
    minute_tasks = _minute_tasks()
    assert [other.name, 450, True] in minute_tasks
    return task.name, minute_tasks


@pytest.mark.slow
def test_demo_backup_restores_identically(
    demo: tuple[str, list[list[Any]]], tmp_path: Path
) -> None:
    path = tmp_path / "site.itpm-backup.zip"
    manifest = backup.site_backup(path=path)
    assert (
        manifest["format_version"] == backup.FORMAT_VERSION
        and manifest["database"] == connection.vendor
    )
    assert manifest["tables"]["portfolio.Project"]["rows"] >= 5
    assert manifest["tables"]["planning.Task"]["rows"] > 100
    assert "projects/1/note.txt" in manifest["media"]
    # What the manifest says is what this database holds.
    assert backup.table_checksums() == manifest["tables"]
    targets = [("sqlite", tmp_path / "sqlite-target")]
    if _pg_available():
        targets.append(("postgres", tmp_path / "pg-target"))
    for kind, data_dir in targets:
        data_dir.mkdir()
        if kind == "sqlite":
            _restore_and_compare(
                f"sqlite:///{data_dir / 'itpm.sqlite3'}", data_dir, path, manifest, demo
            )
            continue
        import psycopg

        name = f"itpm_tabular_restore_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            _restore_and_compare(f"{PG}/{name}", data_dir, path, manifest, demo)
            # The sequences were moved past the restored ids: a new row gets a fresh id.
            created = _run([sys.executable, "-c", (
                "import django; django.setup(); from itpm.accounts.models import Team; "
                "print(Team.objects.create(name='after-restore').pk)")],
                database_url=f"{PG}/{name}", data_dir=data_dir)  # fmt: skip
            assert created.returncode == 0, created.stderr[-1000:]
        finally:
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_damaged_backup_is_refused_before_any_write(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "b.zip"
    backup.site_backup(path=path)
    damaged = tmp_path / "d.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "data/portfolio.Project.jsonl":
                data += b'{"model": "portfolio.project", "pk": 999, "fields": {}}\n'
            target.writestr(item, data)
    from itpm.core.errors import Invalid

    with pytest.raises(Invalid, match="checksum"):
        backup._verify(
            zipfile.ZipFile(damaged), json.loads(zipfile.ZipFile(damaged).read("manifest.json"))
        )


def test_restore_refuses_a_non_empty_database(db: Any, tmp_path: Path, people: Any) -> None:
    from itpm.core.errors import Conflict

    path = tmp_path / "b.zip"
    backup.site_backup(path=path)
    with pytest.raises(Conflict, match="not empty"):
        backup.site_restore(path=path)
