"""Fuzzing: schemathesis over the whole OpenAPI document, stateful links on.

Loads the demo portfolio into a scratch database, serves it with gunicorn (access log on),
and runs the schemathesis CLI against it as the demo's site admin: examples, coverage,
fuzzing and stateful phases (links inferred from the schemas: a created object's id feeds
the operations that take it), with the checks ``not_a_server_error`` and the four
conformance checks (status code, content type, headers, body schema). The request count
and the server errors are read from gunicorn's access log, not from the fuzzer.

    uv run python bench/proof_fuzz.py [--db postgres|sqlite] [--max-examples 5] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proof_support import ROOT, Server, database_env, django_setup, load_average  # noqa: E402

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance")  # fmt: skip
MIN_REQUESTS = 10_000


def real_parameters() -> dict[str, list[object]]:
    """Values for every path parameter of the API that names a model (see the hooks)."""
    from django.apps import apps

    from itpm.api import api

    names: set[str] = set()
    for path in api.get_openapi_schema(path_prefix="/api/v1/")["paths"]:
        names.update(re.findall(r"{(\w+)}", path))
    models = {model._meta.model_name: model for model in apps.get_models()}
    params: dict[str, list[object]] = {}
    for name in sorted(names):
        if name == "key":
            params[name] = list(models["project"].objects.values_list("key", flat=True)[:20])
            continue
        base, _, kind = name.rpartition("_")
        model = models.get(base.replace("_", ""))
        if model is None:
            continue
        field = "pk" if kind == "id" else kind
        try:
            params[name] = list(model.objects.order_by("?").values_list(field, flat=True)[:40])
        except Exception:  # noqa: BLE001, S112 - a parameter we cannot map keeps random values
            continue
    return params


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--max-examples", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn and fuzzer workers")
    args = parser.parse_args()
    env = database_env("fuzz", args.db)
    django_setup(env)
    from itpm.accounts.models import User
    from itpm.accounts.services import token_create
    from itpm.portfolio.demo import load_demo

    began = time.monotonic()
    load_demo(password="demo-pass-123")  # noqa: S106 - the demo's published password
    admin = User.objects.get(username="admin")
    token, key = token_create(user=admin, name="fuzz")
    data = {"token_id": token.pk, "params": real_parameters()}
    print(f"[{args.db}, demo portfolio loaded in {time.monotonic() - began:.0f} s, seed "
          f"{args.seed}, max examples {args.max_examples}, load average {load_average()}]")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        access_log = Path(tmp) / "access.log"
        server = Server(env, workers=args.workers, access_log=access_log)
        with server:
            began = time.monotonic()
            run = subprocess.run(
                [sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/api/openapi.json",
                 "--url", server.url, "--phases", "examples,coverage,fuzzing,stateful",
                 "--max-examples", str(args.max_examples), "--seed", str(args.seed),
                 "--checks", CHECKS, "--header", f"Authorization: Bearer {key}",
                 "--workers", str(args.workers), "--continue-on-failure",
                 "--suppress-health-check", "all", "--request-timeout", "60",
                 "--no-color"],
                env={**os.environ, "SCHEMATHESIS_HOOKS": "proof_fuzz_hooks",
                     "PYTHONPATH": str(ROOT / "bench"), "PROOF_FUZZ_DATA": json.dumps(data),
                     "PROOF_FUZZ_SEED": str(args.seed)},
                cwd=ROOT, capture_output=True, text=True, check=False,
            )  # fmt: skip
            seconds = time.monotonic() - began
        lines = [line for line in access_log.read_text().splitlines() if '"' in line]
    api_lines = [line for line in lines if " /api/" in line and "/api/openapi.json" not in line]
    statuses = [int(m.group(1)) for line in api_lines if (m := re.search(r'" (\d{3}) ', line))]
    server_errors = sum(1 for s in statuses if s >= 500)
    output = run.stdout + run.stderr
    # The failures section names each failing operation and its reproduction; the summary
    # only counts them.
    start = output.find("FAILURES") if "FAILURES" in output else output.rfind("SUMMARY")
    summary = output[start:] if start >= 0 else output[-3000:]
    links = re.search(r"(\d+) links? (?:inferred|found|discovered)", output)
    ok = run.returncode == 0 and server_errors == 0 and len(statuses) >= MIN_REQUESTS
    print(f"fuzz: schemathesis (examples, coverage, fuzzing, stateful"
          f"{f'; {links.group(1)} links inferred' if links else ''}), seed {args.seed}, "
          f"{len(statuses)} API requests in {seconds:.0f} s, server errors {server_errors}, "
          f"schemathesis exit {run.returncode} ({'no failures' if run.returncode == 0 else 'FAILURES'})"
          f"{'' if len(statuses) >= MIN_REQUESTS else f'; fewer than {MIN_REQUESTS} requests'}")  # fmt: skip
    if run.returncode != 0 or os.environ.get("PROOF_VERBOSE"):
        print(summary[-12000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
