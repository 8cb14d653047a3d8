"""Background jobs are delivered at least once: a job whose worker died runs again.

django-tasks' database worker marks a job RUNNING when it claims it and never looks at it
again, so a worker killed mid-job (``kill -9``, a lost machine) would leave the job RUNNING
forever. ``jobs_requeue_stale`` puts such jobs back on the queue after a lease
(``ITPM_JOB_LEASE_SECONDS``, longer than any job runs); the periodic housekeeping job calls
it. A job may therefore run twice, so every job must be idempotent: it writes in one
transaction and checks what is already done (the SLA sweep records each warning once, the
EVM snapshot is one row per project and week, a forecast run only runs while QUEUED).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult


def jobs_requeue_stale(*, now: dt.datetime | None = None, lease_seconds: int | None = None) -> int:
    """Put RUNNING jobs claimed longer ago than the lease back to READY; returns how many."""
    lease = settings.ITPM_JOB_LEASE_SECONDS if lease_seconds is None else lease_seconds
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=lease)
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).update(status=TaskResultStatus.READY, started_at=None)
