"""Schemathesis hooks for bench/proof_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

Random ids only ever find 404s, so most generated cases are pointed at real objects of the
seeded demo portfolio: a path parameter ``key`` gets a project key, ``<model>_id`` an id of
that model (``task_id`` -> planning.Task), ``<model>_key`` a key (``queue_key``). The ids
come from PROOF_FUZZ_DATA (written by proof_fuzz.py); a quarter of the cases keep their
generated values, so the 404 and 422 paths are fuzzed too. The run's own token is never
revoked (that would turn every later call into a 401).
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import schemathesis

DATA: dict[str, Any] = json.loads(os.environ.get("PROOF_FUZZ_DATA", "{}"))
RNG = random.Random(int(os.environ.get("PROOF_FUZZ_SEED", "0")))


@schemathesis.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any]) -> dict[str, Any]:
    if not path_parameters or RNG.random() < 0.25:
        values = dict(path_parameters or {})
    else:
        values = dict(path_parameters)
        for name in values:
            choices = DATA.get("params", {}).get(name)
            if choices:
                values[name] = RNG.choice(choices)
    if values.get("token_id") == DATA.get("token_id"):
        values["token_id"] = DATA.get("token_id", 0) + 1_000_000
    return values
