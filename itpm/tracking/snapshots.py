"""Weekly EVM snapshots of every open project (called by the job and the command)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from itpm.portfolio.models import Project, Stage
from itpm.tracking.earned_value import evm_snapshot_take


def snapshot_all(status_date: dt.date) -> int:
    """One snapshot per open project for the week of ``status_date``; re-running refreshes it."""
    count = 0
    projects = Project.objects.filter(archived=False).exclude(
        stage__in=(Stage.INITIATION, Stage.CLOSED)
    )
    for project in projects.select_related("calendar"):
        with transaction.atomic():
            evm_snapshot_take(project, status_date)
        count += 1
    return count
