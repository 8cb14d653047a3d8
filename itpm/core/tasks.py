"""Background jobs of the core: housekeeping (``itpm manage periodic`` enqueues it)."""

from __future__ import annotations

from django_tasks import task


@task()
def housekeeping_job() -> dict[str, int]:
    """Requeue jobs whose worker died and forget idempotency keys older than 24 hours."""
    from itpm.core.idempotency import idempotency_keys_expire
    from itpm.core.jobs import jobs_requeue_stale

    return {"requeued": jobs_requeue_stale(), "keys_expired": idempotency_keys_expire()}
