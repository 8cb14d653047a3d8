"""Tracking benchmark on the demo portfolio: earned value, the budget table, the portfolio
roll-up and a status report PDF.

Run: ``ITPM_DATA_DIR=/tmp/bench-demo uv run itpm demo`` once, then
``ITPM_DATA_DIR=/tmp/bench-demo uv run python bench/bench_tracking.py`` (prints p50/p95).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def _measure(name: str, call: Callable[[], Any], repeat: int = 20) -> None:
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{name:<44} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itpm.settings")
    import django

    django.setup()
    from django.utils import timezone

    from itpm.accounts.models import User
    from itpm.portfolio.models import Project
    from itpm.tracking.dashboards import portfolio_rollup
    from itpm.tracking.earned_value import project_evm
    from itpm.tracking.models import StatusReport
    from itpm.tracking.reports import status_report_pdf
    from itpm.tracking.selectors import budget_summary

    today = timezone.localdate()
    project = Project.objects.get(key="HWDC")
    tasks = project.tasks.count()
    print(f"HWDC: {tasks} tasks, {project.time_entries.count()} time entries")
    _measure("project_evm(HWDC)", lambda: project_evm(project, today))
    _measure("budget_summary(HWDC) (table + forecast)", lambda: budget_summary(project))
    pm = User.objects.get(username="pm")
    _measure(f"portfolio_rollup ({Project.objects.count()} projects)",
             lambda: portfolio_rollup(pm, today))  # fmt: skip
    report = StatusReport.objects.filter(project=project).first()
    if report is not None:
        _measure("status_report_pdf (2 pages, 2 charts)", lambda: status_report_pdf(report), 5)


if __name__ == "__main__":
    main()
