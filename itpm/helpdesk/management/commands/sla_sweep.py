"""``itpm manage sla_sweep``: record SLA warnings and breaches and notify, once each.

Run it from cron every minute or two (or ``--enqueue`` it onto the background worker).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Record SLA warnings and breaches of open tickets and notify (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue the sweep for the background worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            from itpm.helpdesk.tasks import sla_sweep_job

            result = sla_sweep_job.enqueue()
            self.stdout.write(f"queued SLA sweep {result.id}")
            return
        from itpm.helpdesk.services import sla_sweep

        counts = sla_sweep()
        self.stdout.write(
            f"swept {counts['tickets']} tickets: {counts['warnings']} warnings, "
            f"{counts['breaches']} breaches recorded"
        )
