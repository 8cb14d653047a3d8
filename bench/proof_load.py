"""Load: requests per second at p99 < 200 ms, per endpoint, next to a plain JSON view.

Serves a seeded portfolio with ``itpm serve`` as in production (gunicorn, ``--workers``
processes) and drives it with locust, headless, from a second process: for each endpoint
the number of concurrent closed-loop clients grows (``--users``) until p99 passes 200 ms;
the figure is the best throughput whose p99 stayed under 200 ms. ``GET /healthz`` (a plain
Django JSON view, one ``SELECT 1``) on the same server is the ceiling; the ratio says what
share of the ceiling each endpoint reaches.

    uv run python bench/proof_load.py --seed            # seed 50 projects / 100,000 tasks /
                                                        # 20,000 tickets, then measure
    uv run python bench/proof_load.py --projects 10 --tasks 20000 --tickets 4000 --seed
    uv run python bench/proof_load.py                   # measure the last seeded database
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proof_support import PG_BASE, ROOT, database_env, free_port, load_average  # noqa: E402

ENDPOINTS = ["ping", "task_list", "task_detail", "task_patch", "gantt", "ticket_list"]
LABELS = {
    "ping": "GET /healthz (plain Django JSON view: the ceiling)",
    "task_list": "GET /api/v1/projects/{key}/tasks?limit=50",
    "task_detail": "GET /api/v1/tasks/{id}",
    "task_patch": "PATCH /api/v1/tasks/{id} (priority, with version)",
    "gantt": "GET /api/v1/projects/{key}/schedule (Gantt data)",
    "ticket_list": "GET /api/v1/tickets?limit=50",
}
P99_LIMIT_MS = 200


def run_seed(args: argparse.Namespace, data_file: Path) -> dict[str, object]:
    env = database_env("load", "postgres")
    print(f"seeding {args.projects} projects, {args.tasks} tasks, {args.tickets} tickets ...",
          flush=True)  # fmt: skip
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "seed_load.py"), "--projects", str(args.projects),
         "--tasks", str(args.tasks), "--tickets", str(args.tickets)],
        env={**os.environ, **env}, cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    data = json.loads(out.strip().splitlines()[-1])
    data["database_url"] = env["DATABASE_URL"]
    data_file.write_text(json.dumps(data))
    print(f"seeded {data['counts']} in {data['seconds']} s")
    return data


def serve(
    database_url: str, workers: int, port: int, plain: bool = False
) -> subprocess.Popen[bytes]:
    log = open(ROOT / "var" / "proof_load_serve.log", "wb")  # noqa: SIM115 - the child writes it
    # ``--gunicorn``: the same gunicorn with a 120 s worker timeout, for a machine so busy that
    # a worker's first request (building the URL conf and API schemas) takes over 30 s.
    command = (
        ["-m", "gunicorn", "itpm.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--timeout", "120", "--no-control-socket"]
        if plain
        else ["-c", "from itpm.cli import main; main()", "serve", "--host", "127.0.0.1",
              "--port", str(port), "--workers", str(workers), "--task-workers", "0"]
    )  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, *command],
        # One load user would hit the per-user API write limit at once; see proof_support.
        env={"ITPM_API_WRITES_PER_MINUTE": "0", **os.environ, "DATABASE_URL": database_url},
        cwd=ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    # ``itpm serve`` migrates first; on a busy machine that alone can take minutes.
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError("itpm serve did not come up; see var/proof_load_serve.log")


def locust(
    endpoint: str, users: int, seconds: int, url: str, data: dict[str, object]
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "run"
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "proof_locustfile.py"),
             # Locust's clock starts before it has imported and spawned (several seconds on a
             # busy machine): run longer, and count only after every user is spawned.
             "--headless", "-u", str(users), "-r", str(users), "-t", f"{seconds + 10}s",
             "--reset-stats",
             "--host", url, "--csv", str(prefix), "--only-summary", "--loglevel", "ERROR"],
            env={**os.environ, "PROOF_ENDPOINT": endpoint, "PROOF_DATA": json.dumps(data)},
            cwd=ROOT, capture_output=True, check=False,
        )  # fmt: skip
        with open(f"{prefix}_stats.csv", newline="") as handle:
            rows = {row["Name"]: row for row in csv.DictReader(handle)}
    row = rows[endpoint]
    return {
        "users": users,
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p99": float(row["99%"]),
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
    }


def _step(result: dict[str, float]) -> str:
    text = f"{int(result['users'])}u {result['rps']:.1f}/s p99 {result['p99']:.0f} ms"
    return text + (f" {int(result['failures'])} failed" if result["failures"] else "")


WARMUP_SECONDS = 3


def measure(endpoint: str, steps: list[int], seconds: int, url: str,
            data: dict[str, object]) -> tuple[dict[str, float] | None, list[dict[str, float]]]:  # fmt: skip
    best = None
    tried = []
    # Warm-up, not counted: each worker's first requests to an endpoint build Django's URL
    # and API schema caches and fill PostgreSQL's buffer cache; p99 of a short step would
    # otherwise measure start-up, not the steady state a production server runs in.
    locust(endpoint, max(steps), WARMUP_SECONDS, url, data)
    for users in steps:
        result = locust(endpoint, users, seconds, url, data)
        tried.append(result)
        if result["p99"] >= P99_LIMIT_MS or result["failures"]:
            break
        if best is None or result["rps"] > best["rps"]:
            best = result
    return best, tried


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", action="store_true", help="(re)create and seed the database")
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--users", default="1,2,4,8,16", help="concurrent clients, in steps")
    parser.add_argument("--seconds", type=int, default=15, help="per step")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--data", default=str(ROOT / "var" / "proof_load.json"))
    parser.add_argument("--gunicorn", action="store_true", help="plain gunicorn, --timeout 120")
    args = parser.parse_args()
    data_file = Path(args.data)
    data_file.parent.mkdir(parents=True, exist_ok=True)
    if args.seed or not data_file.exists():
        data = run_seed(args, data_file)
    else:
        data = json.loads(data_file.read_text())
    database_url = str(data.pop("database_url", f"{PG_BASE}/itpm_proof_load"))
    port = free_port()
    server = serve(database_url, args.workers, port, plain=args.gunicorn)
    steps = [int(u) for u in args.users.split(",")]
    print(f"[PostgreSQL, {data['counts']}, {'gunicorn' if args.gunicorn else 'itpm serve'} --workers {args.workers}, locust "
          f"{args.seconds} s per step at {steps} users; load average before "
          f"{load_average()}]")  # fmt: skip
    results: dict[str, dict[str, float] | None] = {}
    try:
        for endpoint in args.endpoints.split(","):
            best, tried = measure(endpoint, steps, args.seconds, f"http://127.0.0.1:{port}", data)
            results[endpoint] = best
            ceiling = results.get("ping")
            ratio = (f"{best['rps'] / ceiling['rps']:.0%} of ceiling"
                     if best and ceiling and endpoint != "ping" else "")  # fmt: skip
            steps_text = ", ".join(_step(t) for t in tried)
            if best:
                print(f"load: {LABELS[endpoint]}: {best['rps']:.1f} req/s at p99 "
                      f"{best['p99']:.0f} ms (p50 {best['p50']:.0f} ms, {int(best['users'])} "
                      f"clients) {ratio}  [{steps_text}]", flush=True)  # fmt: skip
            else:
                print(f"load: {LABELS[endpoint]}: p99 >= {P99_LIMIT_MS} ms even at "
                      f"{steps[0]} client(s)  [{steps_text}]", flush=True)  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(f"[load average after {load_average()}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
