"""Marking a task elapsed from the plan table: the duration cell's "Elapsed…" form.

The default calendar is Monday–Friday 09:00–13:00 and 14:00–18:00 in UTC; APL starts on
Monday 4 January 2027. In the ``tasks`` fixture Design (16 h) precedes Code (40 h).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from itpm.core.models import AuditEvent
from itpm.planning.models import Task
from tests.web.cells import login, post_cell

pytestmark = pytest.mark.django_db


def post(client: Client, task: Task, data: dict[str, str], *, version: int | None = None) -> Any:
    return post_cell(client, task, "elapsed", data, version=version)


def test_the_duration_form_offers_elapsed_and_the_row_shows_it(
    people: dict[str, Any], tasks: dict[str, Task]
) -> None:
    client = login(people["member"])
    code = tasks["code"]
    form = client.get(f"/tasks/{code.pk}/edit/duration_hours/", headers={"HX-Request": "true"})
    assert f"/tasks/{code.pk}/edit/elapsed/" in form.content.decode()
    box = client.get(f"/tasks/{code.pk}/edit/elapsed/", headers={"HX-Request": "true"})
    assert 'type="checkbox"' in box.content.decode()
    assert "day and night" in box.content.decode()

    response = post(client, code, {"elapsed": "on"})
    assert response.status_code == 200
    code.refresh_from_db()
    assert code.elapsed is True
    # 40 real hours from Wednesday 6th 09:00: Friday 8th 01:00, the plan's last moment.
    assert code.planned_start == dt.datetime(2027, 1, 6, 9, 0, tzinfo=dt.UTC)
    assert code.planned_finish == dt.datetime(2027, 1, 8, 1, 0, tzinfo=dt.UTC)
    assert 'class="elapsed-mark"' in response.content.decode()
    event = AuditEvent.objects.filter(action="task.update", object_id=str(code.pk)).latest("id")
    assert event.changes["elapsed"] == [False, True]

    # Unticked: working hours again (five working days from Wednesday, Tuesday 12th).
    response = post(client, code, {})
    code.refresh_from_db()
    assert code.elapsed is False
    assert code.planned_finish == dt.datetime(2027, 1, 12, 18, 0, tzinfo=dt.UTC)
    assert 'class="elapsed-mark"' not in response.content.decode()


def test_stale_viewer_and_a_split_task_are_refused(
    people: dict[str, Any], tasks: dict[str, Task]
) -> None:
    code = tasks["code"]
    member = login(people["member"])
    stale = post(member, code, {"elapsed": "on"}, version=code.version - 1)
    assert stale.status_code in (200, 409)
    assert Task.objects.get(pk=code.pk).elapsed is False
    assert "changed" in stale.content.decode()
    viewer = post(login(people["viewer"]), code, {"elapsed": "on"})
    assert viewer.status_code == 403
    assert Task.objects.get(pk=code.pk).elapsed is False
    Task.objects.filter(pk=code.pk).update(splits=[[8, 8]])
    refused = post(member, code, {"elapsed": "on"})
    assert refused.status_code == 200
    assert "remove its splits" in refused.content.decode()
    assert Task.objects.get(pk=code.pk).elapsed is False
