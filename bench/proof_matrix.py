"""Permission matrix and mass-assignment figures: cases run and failures, from pytest.

uv run python bench/proof_matrix.py        (DATABASE_URL selects the database)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET  # noqa: S405 - our own pytest's report
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "permission matrix (role x route x own/foreign project, requester, id swaps)": (
        "tests/test_permission_matrix.py"
    ),
    "mass assignment (every writable schema x every model field)": "tests/test_mass_assignment.py",
}


def main() -> int:
    ok = True
    for label, path in FILES.items():
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.xml"
            began = time.monotonic()
            subprocess.run(
                [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", path,
                 f"--junitxml={report}"],
                cwd=ROOT, capture_output=True, check=False,
            )  # fmt: skip
            suite = ET.parse(report).getroot()  # noqa: S314 - our own pytest's report
            suite = suite if suite.tag == "testsuite" else suite[0]
            cases, failures, errors, skipped = (
                int(suite.get(name, 0)) for name in ("tests", "failures", "errors", "skipped")
            )
        ok = ok and failures == errors == 0
        print(f"{label}: {cases} cases, {failures} failures, {errors} errors, {skipped} skipped "
              f"({time.monotonic() - began:.0f} s, {path})")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
