"""SLA clock speed: due times and clock states for many tickets on a holiday calendar.

Run: uv run python bench/bench_sla.py
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from itpm.engine.calendar import Calendar
from itpm.engine.sla import Pause, clock, due_at

CALENDAR = Calendar(
    working_hours=[("08:00", "12:00"), ("13:00", "18:00")], country="DE", timezone="Europe/Berlin"
)
TICKETS = 20_000


def main() -> None:
    rng = random.Random(8)
    base = datetime(2027, 1, 4, 7, tzinfo=UTC)
    starts = [base + timedelta(minutes=rng.randint(0, 60 * 24 * 90)) for _ in range(TICKETS)]
    targets = [rng.choice([30, 120, 240, 480, 1440, 2400]) for _ in range(TICKETS)]
    pauses = [
        [Pause(s + timedelta(hours=1), s + timedelta(hours=1 + rng.randint(1, 30)))]
        if rng.random() < 0.3 else []
        for s in starts
    ]  # fmt: skip
    due_at(CALENDAR, base, 60)  # build the calendar's period table once
    t0 = time.perf_counter()
    for s, target, p in zip(starts, targets, pauses, strict=True):
        due_at(CALENDAR, s, target, p)
    t1 = time.perf_counter()
    now = base + timedelta(days=45)
    for s, target, p in zip(starts, targets, pauses, strict=True):
        clock(CALENDAR, start=s, target_minutes=target, now=now, pauses=p)
    t2 = time.perf_counter()
    print(f"due_at: {TICKETS} tickets in {t1 - t0:.3f} s ({(t1 - t0) / TICKETS * 1e6:.1f} µs each)")
    print(f"clock:  {TICKETS} tickets in {t2 - t1:.3f} s ({(t2 - t1) / TICKETS * 1e6:.1f} µs each)")


if __name__ == "__main__":
    main()
