"""Shared parts of the ``make proof`` scripts: a scratch database, a real server, the load.

Every proof runs against its own database (PostgreSQL ``itpm_proof_<name>`` by default, or
an SQLite file in a scratch directory with ``--db sqlite``) and a real gunicorn, started the
way ``itpm serve`` starts it, in its own process group so that it can be killed with -9.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
logging.getLogger("httpx").setLevel(logging.WARNING)
PG_BASE = os.environ.get("PROOF_PG_URL", "postgres://postgres@127.0.0.1:5432")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def database_env(name: str, engine: str) -> dict[str, str]:
    """Environment for a fresh, empty database called ``name`` (dropped if it existed)."""
    if engine == "sqlite":
        data = Path(tempfile.mkdtemp(prefix=f"itpm-proof-{name}-"))
        return {"ITPM_DATA_DIR": str(data), "DATABASE_URL": f"sqlite:///{data / 'itpm.sqlite3'}"}
    import psycopg

    db = f"itpm_proof_{name}"
    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    return {"DATABASE_URL": f"{PG_BASE}/{db}"}


def django_setup(env: dict[str, str]) -> None:
    """Point this process at the proof database, set Django up and migrate."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itpm.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_team(task_count: int = 3) -> dict[str, Any]:
    """A project APL owned by ``olivia`` (bearer token returned) with a few tasks."""
    from itpm.accounts.models import User
    from itpm.accounts.services import token_create
    from itpm.planning.services import task_create
    from itpm.portfolio.services import project_create

    owner = User.objects.create_user(username="olivia", password=None)
    project = project_create(actor=owner, key="APL", name="Apollo ERP upgrade")
    tasks = [
        task_create(actor=owner, project=project, name=f"Task {n}", duration_hours=8)
        for n in range(task_count)
    ]
    _, key = token_create(user=owner, name="proof")
    return {"owner": owner, "project": project, "tasks": tasks, "token": key}


class Server:
    """gunicorn serving itpm (as ``itpm serve`` runs it) in its own process group."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int = 2,
        port: int | None = None,
        preload: bool = False,
        access_log: Path | None = None,
    ) -> None:
        # The per-user API write limit (a security figure, bench/proof_security.py) would turn
        # these single-user workloads into 429s; reliability is measured without it.
        self.env = {"ITPM_API_WRITES_PER_MINUTE": "0", **os.environ, **env,
                    "DJANGO_SETTINGS_MODULE": "itpm.settings"}  # fmt: skip
        self.workers = workers
        # --preload imports Django once in the master, so a killed worker is re-forked at once
        # (the fault proof kills hundreds); production's ``itpm serve`` does not need it.
        self.preload = preload
        self.access_log = access_log
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def _log(self) -> Any:
        """gunicorn's own log (worker deaths, boot errors), kept for when a run goes wrong."""
        (ROOT / "var").mkdir(exist_ok=True)
        return open(ROOT / "var" / f"proof_server_{self.port}.log", "wb")  # noqa: SIM115 - the child writes it

    def start(self, timeout: float = 60) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "itpm.wsgi:application",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
             "--graceful-timeout", "10", "--timeout", "120", "--no-control-socket",
             *(["--preload"] if self.preload else []),
             *(["--access-logfile", str(self.access_log)] if self.access_log else [])],
            env=self.env, cwd=ROOT, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=self._log(),
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer on {self.url} within {timeout} s")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except FileNotFoundError:
            return []
        return [int(c) for c in children]

    def kill_hard(self) -> None:
        """``kill -9`` of the master and every worker: the server dies mid-request."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_hard()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def start_worker(env: dict[str, str], *extra: str) -> subprocess.Popen[bytes]:
    """One ``db_worker`` (the background job worker ``itpm serve`` runs)."""
    return subprocess.Popen(
        [sys.executable, "-m", "django", "db_worker", "--queue-name", "default",
         "--interval", "0.2", "--no-startup-delay", *extra],
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "itpm.settings"}, cwd=ROOT,
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@contextlib.contextmanager
def worker(env: dict[str, str], *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker(env, *extra)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
