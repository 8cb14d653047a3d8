"""Take the weekly earned-value snapshots (for cron): ``itpm manage evm_snapshot [--date]``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Store this week's EVM snapshot of every open project (idempotent per week)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="status date (YYYY-MM-DD), default today")
        parser.add_argument(
            "--enqueue", action="store_true", help="queue the background job instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.utils import timezone

        from itpm.tracking.snapshots import snapshot_all
        from itpm.tracking.tasks import evm_snapshot_job

        try:
            day = dt.date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError:
            raise CommandError(f"--date: expected YYYY-MM-DD, got {options['date']!r}") from None
        if options["enqueue"]:
            evm_snapshot_job.enqueue(day.isoformat() if day else None)
            self.stdout.write("queued")
            return
        count = snapshot_all(day or timezone.localdate())
        self.stdout.write(f"{count} project snapshot(s) stored")
