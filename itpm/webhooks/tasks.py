"""Background jobs of webhooks (django-tasks; ``itpm serve`` runs a worker)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_job(delivery_id: int) -> str:
    """Send one delivery if it is still due; a delivered one is left alone (idempotent)."""
    from itpm.webhooks.services import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id)


@task()
def webhook_sweep_job() -> int:
    """Re-queue deliveries whose job was lost (overdue, or stuck sending after a crash)."""
    from itpm.webhooks.services import delivery_sweep

    return delivery_sweep()
