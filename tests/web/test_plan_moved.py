"""The plan table after an inline edit: it says which other tasks moved and the new finish;
and its row icons are drawn, not left to a font (Debian's chromium has no emoji font)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from itpm.planning.models import Task
from itpm.planning.services import task_update

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit(client: Client, task: Task, field: str, value: str) -> Any:
    task = Task.objects.get(pk=task.pk)
    return client.post(
        f"/tasks/{task.pk}/edit/{field}/",
        {field: value, "version": str(task.version)},
        headers={"HX-Request": "true"},
    )


def test_an_edit_that_moves_other_tasks_says_which_and_the_new_finish(
    project: Any, people: Any, tasks: Any
) -> None:
    client = login(people["manager"])
    code = Task.objects.get(pk=tasks["code"].pk)
    old_start = code.planned_start

    response = edit(client, tasks["design"], "duration_hours", "24")

    assert response.status_code == 200
    assert f'id="task-{tasks["design"].pk}"' in response.content.decode()
    event = json.loads(response["HX-Trigger-After-Swap"])["plan-moved"]
    # Design (1.1) grows by a working day: Code (1.2) and the Build phase (1) follow it.
    assert Task.objects.get(pk=code.pk).planned_start > old_start
    assert event["message"].startswith("Saved. 2 other tasks moved: 1 Build, 1.2 Code.")
    assert re.search(r"Project finish \d{4}-\d\d-\d\d \d\d:\d\d → \d{4}-", event["message"])


def test_an_edit_that_moves_nothing_else_fires_no_event(
    project: Any, people: Any, tasks: Any
) -> None:
    client = login(people["manager"])
    response = edit(client, tasks["code"], "name", "Code and review")
    assert response.status_code == 200
    assert "HX-Trigger-After-Swap" not in response
    # A refused (stale) edit answers the row with its error and no event either.
    stale = client.post(
        f"/tasks/{tasks['code'].pk}/edit/duration_hours/",
        {"duration_hours": "8", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert "changed by someone else" in stale.content.decode()
    assert "HX-Trigger-After-Swap" not in stale


def test_the_plan_body_reloads_itself_on_the_event(project: Any, people: Any, tasks: Any) -> None:
    page = login(people["viewer"]).get(f"/projects/{project.key}/plan/").content.decode()
    assert '<tbody id="wbs-body">' in page
    loader = re.search(r'<div hidden hx-get="/projects/APL/plan/"[^>]*>', page)
    assert loader is not None
    assert 'hx-trigger="plan-moved from:body"' in loader.group(0)
    assert 'hx-select="#wbs-body" hx-target="#wbs-body"' in loader.group(0)
    assert 'id="plan-moved"' in page


def test_plan_rows_use_no_emoji_glyphs(project: Any, people: Any, tasks: Any) -> None:
    design = Task.objects.get(pk=tasks["design"].pk)
    task_update(
        actor=people["owner"], task=design, version=design.version,
        data={"constraint_type": "SNET", "constraint_date": design.planned_start},
    )  # fmt: skip
    page = login(people["manager"]).get(f"/projects/{project.key}/plan/").content.decode()
    table = re.search(r'<table class="wbs-table".*?</table>', page, re.S)
    assert table is not None
    # Characters outside the Basic Multilingual Plane are emoji here: no font draws them.
    assert [c for c in table.group(0) if ord(c) > 0xFFFF] == []
    assert table.group(0).count('class="glyph"') >= len(tasks) + 1  # bubbles and the pin
    assert 'aria-label="Constraint: Start no earlier than"' in table.group(0)
