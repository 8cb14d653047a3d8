"""Background jobs of resource planning (django-tasks; ``itpm serve`` runs a worker)."""

from __future__ import annotations

from django_tasks import task

from itpm.planning.models import LevelingRun, LevelingRunStatus


@task()
def level_project_job(run_id: int) -> None:
    """Compute a queued leveling preview; the page polls the run for its progress."""
    from itpm.planning.resource_services import leveling_run_execute

    run = LevelingRun.objects.filter(pk=run_id, status=LevelingRunStatus.QUEUED).first()
    if run is not None:
        leveling_run_execute(run=run)
