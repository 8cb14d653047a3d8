"""``itpm manage periodic``: put the recurring background jobs on the queue on time.

django-tasks has workers but no clock, so this small loop enqueues each periodic job when
it is due; the workers (``db_worker``) run them. It keeps no state of its own: every job
it enqueues is idempotent (the SLA sweep records each warning once; the EVM snapshot is one
per project and week), so two of these loops on two servers, or a restart, do no harm.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

# (job path, seconds between runs)
SCHEDULE = [
    ("itpm.helpdesk.tasks.sla_sweep_job", 60),
    ("itpm.tracking.tasks.evm_snapshot_job", 6 * 3600),
    # Webhook deliveries whose job was lost (overdue, or stuck sending after a crash).
    ("itpm.webhooks.tasks.webhook_sweep_job", 60),
    # Hourly; each person's digest goes out once a day after ITPM_DIGEST_HOUR (their zone).
    ("itpm.notifications.tasks.daily_digest_job", 3600),
    # Notification mail that a failed or lost job did not send.
    ("itpm.notifications.tasks.pending_emails_job", 600),
    # Requeues jobs whose worker died, forgets idempotency keys older than 24 hours.
    ("itpm.core.tasks.housekeeping_job", 300),
]


def _job(path: str) -> Any:
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


class Command(BaseCommand):
    help = "Enqueue the periodic background jobs when due (SLA sweep, EVM snapshots)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Enqueue every job once and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        due = dict.fromkeys((path for path, _ in SCHEDULE), 0.0)
        while True:
            now = time.monotonic()
            for path, every in SCHEDULE:
                if now >= due[path]:
                    result = _job(path).enqueue()
                    self.stdout.write(f"queued {path} ({result.id})")
                    due[path] = now + every
            if options["once"]:
                return
            time.sleep(5)
