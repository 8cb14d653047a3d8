"""Background jobs of notifications (django-tasks; ``itpm serve`` runs a worker)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def send_notification_emails_job(ids: list[int]) -> int:
    """Mail the notices ``ids`` that are due at once; safe to run twice."""
    from itpm.notifications.services import notification_emails_send

    return notification_emails_send(ids=ids)


@task()
def daily_digest_job(now: str | None = None) -> int:
    """Send the daily digests that are due (the periodic clock queues it every hour)."""
    from itpm.notifications.services import notification_digest_send

    return notification_digest_send(now=dt.datetime.fromisoformat(now) if now else None)


@task()
def pending_emails_job() -> int:
    """Send the mail that failed or whose job was lost (the periodic clock queues it)."""
    from itpm.notifications.services import notification_emails_retry

    return notification_emails_retry()
