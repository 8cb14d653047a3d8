"""Background jobs of the control app (django-tasks; ``itpm serve`` runs a worker)."""

from __future__ import annotations

from django_tasks import task

from itpm.control.models import ForecastRun, ForecastStatus


@task()
def forecast_job(run_id: int) -> None:
    """Compute a queued forecast; the page polls the run for its progress."""
    from itpm.control.services import forecast_run_execute

    # RUNNING too: the job is delivered at least once (itpm/core/jobs.py), and a rerun after
    # its worker died finds the run RUNNING; recomputing from the stored inputs and seed gives
    # the same results. A finished (DONE/FAILED) run is never computed twice.
    run = ForecastRun.objects.filter(
        pk=run_id, status__in=(ForecastStatus.QUEUED, ForecastStatus.RUNNING)
    ).first()
    if run is not None:
        forecast_run_execute(run=run)
