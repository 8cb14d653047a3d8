"""Background jobs of the help desk (django-tasks; ``itpm serve`` runs a worker)."""

from __future__ import annotations

from django_tasks import task


@task()
def sla_sweep_job() -> dict[str, int]:
    """Record SLA warnings and breaches and notify (the cron or worker runs it every minute)."""
    from itpm.helpdesk.services import sla_sweep

    return sla_sweep()
