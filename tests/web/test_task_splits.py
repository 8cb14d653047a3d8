"""Splitting a task from the plan table: the "Splits" inline form (after:pause hours), its
errors and stale versions, and how the plan row and the task page show the pauses.

The default calendar is Monday–Friday 09:00–13:00 and 14:00–18:00 in UTC; APL starts on
Monday 4 January 2027. In the ``tasks`` fixture Design (16 h) precedes Code (40 h).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from itpm.core.models import AuditEvent
from itpm.planning.models import Task
from itpm.planning.services import task_update
from itpm.web.forms import SplitsField
from itpm.web.templatetags.task_splits import splits_words
from tests.web.cells import error_line, login, post_cell

pytestmark = pytest.mark.django_db


def post_splits(client: Client, task: Task, text: str, *, version: int | None = None) -> Any:
    return post_cell(client, task, "splits", {"splits": text}, version=version)


UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "splits"),
    [
        ("", []),
        ("16:24", [[16, 24]]),
        ("16:24, 32:8", [[16, 24], [32, 8]]),
        (" 16h : 24h ; 32:8 ", [[16, 24], [32, 8]]),
    ],
)
def test_the_splits_field_reads_after_pause_pairs(text: str, splits: list[list[int]]) -> None:
    assert SplitsField().clean(text) == splits


@pytest.mark.parametrize("text", ["16", "16:", "a:b", "16-24", "16:24:8", "-1:4", "1" * 1001])
def test_the_splits_field_refuses_other_text(text: str) -> None:
    with pytest.raises(Exception, match="after:pause|at most 1000"):
        SplitsField().clean(text)


def test_the_form_is_prefilled_with_the_current_pauses(people: Any, tasks: dict[str, Task]) -> None:
    code = tasks["code"]
    task_update(actor=people["owner"], task=code, version=code.version,
                data={"splits": [[16, 24], [32, 8]]})  # fmt: skip
    form = login(people["member"]).get(f"/tasks/{code.pk}/edit/splits/").content.decode()
    assert 'name="splits"' in form
    assert 'value="16:24, 32:8"' in form
    assert "after:pause hours, e.g. 16:24" in form
    assert f'name="version" value="{Task.objects.get(pk=code.pk).version}"' in form


def test_saving_splits_moves_the_finish_and_is_audited(people: Any, tasks: dict[str, Task]) -> None:
    code = tasks["code"]
    response = post_splits(login(people["member"]), code, "16:24")

    assert response.status_code == 200
    assert error_line(response, code) == ""
    code.refresh_from_db()
    assert code.splits == [[16, 24]]
    assert code.duration_hours == 40
    # Wednesday 6 January 09:00 + 40 h of work + 24 h of pause = 64 working hours.
    assert code.planned_start == dt.datetime(2027, 1, 6, 9, tzinfo=UTC)
    assert code.planned_finish == dt.datetime(2027, 1, 15, 18, tzinfo=UTC)
    page = response.content.decode()
    assert 'class="split-mark"' in page
    assert 'aria-label="Split: Paused after 16 h for 24 h"' in page
    event = AuditEvent.objects.filter(object_id=str(code.pk)).order_by("-id").first()
    assert event is not None and "splits" in event.changes


def test_an_empty_box_joins_the_work_up_again(people: Any, tasks: dict[str, Task]) -> None:
    code = tasks["code"]
    task_update(actor=people["owner"], task=code, version=code.version,
                data={"splits": [[16, 24]]})  # fmt: skip
    post_splits(login(people["member"]), code, "")
    code.refresh_from_db()
    assert code.splits == []
    assert code.planned_finish == dt.datetime(2027, 1, 12, 18, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("16 24", "write each pause as after:pause hours, e.g. 16:24"),
        ("40:8", "a pause after 40 h must fall inside the work (1 to 39 h of 40 h)"),
        ("8:0", "a pause lasts 1 to 100000 working hours"),
    ],
)
def test_bad_splits_are_a_form_error_on_the_field_not_a_500(
    people: Any, tasks: dict[str, Task], text: str, message: str
) -> None:
    code = tasks["code"]
    before = Task.objects.get(pk=code.pk)
    response = post_splits(login(people["member"]), code, text)

    assert response.status_code == 200  # htmx swaps the row with its error line
    line = error_line(response, code)
    assert line.startswith("splits: "), line
    assert message in line.replace("&#x27;", "'")
    after = Task.objects.get(pk=code.pk)
    assert (after.splits, after.version, after.planned_finish) == (
        [], before.version, before.planned_finish,
    )  # fmt: skip


def test_a_summary_task_cannot_be_split(people: Any, tasks: dict[str, Task]) -> None:
    response = post_splits(login(people["member"]), tasks["phase"], "8:8")
    assert "a summary task spans its subtasks; split those" in error_line(response, tasks["phase"])
    assert Task.objects.get(pk=tasks["phase"].pk).splits == []


def test_a_stale_version_is_refused_and_the_row_shows_the_other_change(
    people: Any, tasks: dict[str, Task]
) -> None:
    code = tasks["code"]
    opened = Task.objects.get(pk=code.pk).version
    task_update(actor=people["owner"], task=Task.objects.get(pk=code.pk), version=opened,
                data={"name": "Code and test"})  # fmt: skip

    response = post_splits(login(people["member"]), code, "16:24", version=opened)

    assert "changed by someone else" in error_line(response, code)
    assert "Code and test" in response.content.decode()
    assert Task.objects.get(pk=code.pk).splits == []


def test_viewers_cannot_split(people: Any, tasks: dict[str, Task]) -> None:
    response = post_splits(login(people["viewer"]), tasks["code"], "16:24")
    assert response.status_code == 403
    assert Task.objects.get(pk=tasks["code"].pk).splits == []


def test_the_duration_form_offers_split_for_work_but_not_milestones(
    people: Any, tasks: dict[str, Task]
) -> None:
    client = login(people["member"])
    code_form = client.get(f"/tasks/{tasks['code'].pk}/edit/duration_hours/").content.decode()
    assert f'hx-get="/tasks/{tasks["code"].pk}/edit/splits/"' in code_form
    assert 'hx-trigger="click consume"' in code_form
    launch = client.get(f"/tasks/{tasks['launch'].pk}/edit/duration_hours/").content.decode()
    assert "/edit/splits/" not in launch


def test_the_plan_and_the_task_page_say_the_pauses_in_words(
    project: Any, people: Any, tasks: dict[str, Task]
) -> None:
    code = tasks["code"]
    task_update(actor=people["owner"], task=code, version=code.version,
                data={"splits": [[16, 24], [32, 8]]})  # fmt: skip
    viewer = login(people["viewer"])
    plan = viewer.get(f"/projects/{project.key}/plan/").content.decode()
    row = re.search(rf'<tr id="task-{code.pk}".*?</tr>', plan, re.S)
    assert row is not None
    words = "Paused after 16 h for 24 h, and after 32 h for 8 h"
    assert f'aria-label="Split: {words}"' in row.group(0)
    assert "hx-get" not in row.group(0)  # a viewer reads, does not edit
    page = viewer.get(f"/tasks/{code.pk}/discussion/").content.decode()
    assert f'<p class="task-splits">{words} (working hours' in page
    plain = viewer.get(f"/tasks/{tasks['design'].pk}/discussion/").content.decode()
    assert "task-splits" not in plain


def test_splits_in_words() -> None:
    assert splits_words([]) == ""
    assert splits_words([[16, 24]]) == "Paused after 16 h for 24 h"
    assert splits_words([[8, 4], [16, 8], [24, 2]]) == (
        "Paused after 8 h for 4 h, after 16 h for 8 h, and after 24 h for 2 h"
    )
