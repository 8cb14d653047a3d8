"""Background jobs are at-least-once: a job whose worker died is queued again (core/jobs.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from itpm.core.jobs import jobs_requeue_stale
from itpm.core.tasks import housekeeping_job
from itpm.helpdesk.tasks import sla_sweep_job


def _claimed(minutes_ago: int) -> DBTaskResult:
    result = sla_sweep_job.enqueue()
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim("dead-worker")
    DBTaskResult.objects.filter(pk=row.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return row


def test_a_job_claimed_longer_ago_than_the_lease_is_queued_again(db, settings):
    settings.ITPM_JOB_LEASE_SECONDS = 600
    stale = _claimed(minutes_ago=11)
    fresh = _claimed(minutes_ago=1)
    assert jobs_requeue_stale() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == TaskResultStatus.READY and stale.started_at is None
    assert fresh.status == TaskResultStatus.RUNNING
    assert DBTaskResult.objects.ready().filter(pk=stale.pk).exists()


def test_finished_jobs_are_never_requeued(db):
    row = _claimed(minutes_ago=120)
    row.set_successful(None)
    assert jobs_requeue_stale(lease_seconds=60) == 0


def test_the_housekeeping_job_requeues_and_expires(db, settings):
    settings.ITPM_JOB_LEASE_SECONDS = 60
    _claimed(minutes_ago=5)
    assert housekeeping_job.call() == {"requeued": 1, "keys_expired": 0}


def test_a_forecast_whose_worker_died_mid_run_is_finished_by_the_rerun(db, tasks, people):
    from itpm.control.models import ForecastRun, ForecastStatus
    from itpm.control.services import forecast_run_request
    from itpm.control.tasks import forecast_job

    run = forecast_run_request(
        actor=people["owner"], project=tasks["code"].project, iterations=100, seed=5,
        background=True,
    )  # fmt: skip
    # The first delivery got as far as marking the run RUNNING, then its worker was killed.
    ForecastRun.objects.filter(pk=run.pk).update(status=ForecastStatus.RUNNING, progress=40)
    forecast_job.call(run.pk)
    run.refresh_from_db()
    assert run.status == ForecastStatus.DONE and run.results
    finished = run.finished_at
    forecast_job.call(run.pk)  # a third delivery changes nothing
    run.refresh_from_db()
    assert run.finished_at == finished
