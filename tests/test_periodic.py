"""The periodic clock enqueues every scheduled job, and each job exists and runs."""

from __future__ import annotations

import io

from django.core.management import call_command

from itpm.core.management.commands.periodic import SCHEDULE


def test_periodic_once_enqueues_every_scheduled_job(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    out = io.StringIO()
    call_command("periodic", once=True, stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == [path for path, _ in SCHEDULE]
