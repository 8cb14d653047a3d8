"""Background jobs of tracking (django-tasks; ``itpm serve`` runs a worker)."""

from __future__ import annotations

import datetime as dt

from django.core.mail import EmailMessage
from django.utils import timezone
from django_tasks import task

from itpm.core.mail import stable_message_id


@task()
def evm_snapshot_job(status_date: str | None = None) -> int:
    """Take this week's EVM snapshot of every open project (idempotent per project/week)."""
    from itpm.tracking.snapshots import snapshot_all

    day = dt.date.fromisoformat(status_date) if status_date else timezone.localdate()
    return snapshot_all(day)


@task()
def send_status_report_job(report_id: int, to: list[str], event_id: int | None = None) -> None:
    """Render the report's PDF and e-mail it; the report notes when and to whom.

    ``event_id`` (the ``status_report.send`` audit event) gives the mail a stable
    ``Message-ID``: a rerun of this job after a crash sends the same id, which mail servers
    and clients deduplicate (SMTP cannot be rolled back with the database).
    """
    from itpm.tracking.models import StatusReport
    from itpm.tracking.reports import status_report_pdf

    report = StatusReport.objects.select_related("project").filter(pk=report_id).first()
    if report is None:
        return
    project = report.project
    message = EmailMessage(
        subject=f"[{project.key}] Status report {report.status_date.isoformat()}",
        body=(
            f"The status report of {project.name} for {report.status_date.isoformat()} is "
            "attached.\n\n" + (report.summary or "")
        ),
        to=to,
        headers={
            "Message-ID": stable_message_id(
                kind="status-report",
                key=f"{report.pk}.{event_id or 0}",
                seed=f"{report.status_date.isoformat()}:{','.join(sorted(to))}",
            )
        },
    )
    message.attach(
        f"{project.key}-status-{report.status_date.isoformat()}.pdf",
        status_report_pdf(report),
        "application/pdf",
    )
    message.send()
    StatusReport.objects.filter(pk=report.pk).update(emailed_at=timezone.now(), emailed_to=to)
