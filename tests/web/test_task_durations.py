"""Durations to the minute in the plan table and the Gantt's read.

The duration cell takes "8", "7.5", "7:30", "7h30", "7h 30m" or "450m"; whole hours go to
the services as ``duration_hours`` (clearing exact minutes), anything else as
``duration_minutes``. The row, the task page and the Gantt show the exact duration.

APL starts on Monday 4 January 2027. The "London office" calendar works Monday to Friday
09:00-12:30 and 13:30-17:30 (7.5 hours, a 37.5-hour week), in UTC. In the ``tasks``
fixture Design (16 h) precedes Code (40 h).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from itpm.core.models import AuditEvent
from itpm.planning.gantt_api import ScheduleOut
from itpm.planning.models import Task
from itpm.planning.services import task_update
from itpm.portfolio.models import Project
from itpm.web.forms import parse_duration_text
from tests.web.cells import error_line, login, post_cell

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def post_duration(client: Client, task: Task, text: str, *, version: int | None = None) -> Any:
    return post_cell(client, task, "duration_hours", {"duration_hours": text}, version=version)


def duration_cell(html: str, task: Task) -> str:
    """The text of the row's duration cell (its third cell), tags stripped."""
    row = re.search(rf'<tr id="task-{task.pk}".*?</tr>', html, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    return re.sub(r"<[^>]+>", "", cells[2]).strip()


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("8", 480),
        ("8h", 480),
        ("7.5", 450),
        ("7,5", 450),
        ("7:30", 450),
        ("7h30", 450),
        ("7h 30m", 450),
        ("7 h 30 min", 450),
        ("450m", 450),
        ("0h01", 1),
        ("0", 0),
        (" 100000 ", 6_000_000),
    ],
)
def test_typed_durations_read_as_minutes(text: str, minutes: int) -> None:
    assert parse_duration_text(text) == minutes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "enter a duration like 8, 7.5, 7:30, 7h30 or 450m"),
        ("-3", "enter a duration like"),
        ("1e3", "enter a duration like"),
        ("7:75", "75 minutes: the minutes after the hours must be under 60"),
        ("7.33", "7.33 hours is not a whole number of minutes; type hours and minutes, e.g. 7h20"),
        ("100001", "at most 100000 hours"),
        ("6000001m", "at most 100000 hours"),
    ],
)
def test_junk_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_duration_text(text)


@pytest.mark.parametrize(
    ("text", "hours", "minutes", "finish"),
    [
        # Design from Monday 09:00 on the 7.5-hour day.
        ("7:30", 8, 450, dt.datetime(2027, 1, 4, 17, 30, tzinfo=UTC)),
        ("7.5", 8, 450, dt.datetime(2027, 1, 4, 17, 30, tzinfo=UTC)),
        ("7h 30m", 8, 450, dt.datetime(2027, 1, 4, 17, 30, tzinfo=UTC)),
        ("450m", 8, 450, dt.datetime(2027, 1, 4, 17, 30, tzinfo=UTC)),
        ("90m", 2, 90, dt.datetime(2027, 1, 4, 10, 30, tzinfo=UTC)),
        ("15", 15, None, dt.datetime(2027, 1, 5, 17, 30, tzinfo=UTC)),
    ],
)
def test_the_duration_cell_saves_exact_minutes(
    london: Project,
    people: dict[str, Any],
    tasks: dict[str, Task],
    text: str,
    hours: int,
    minutes: int | None,
    finish: dt.datetime,
) -> None:
    design = tasks["design"]
    response = post_duration(login(people["member"]), design, text)
    assert response.status_code == 200
    assert error_line(response, design) == ""
    design.refresh_from_db()
    assert (design.duration_hours, design.duration_minutes) == (hours, minutes)
    assert design.planned_start == dt.datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    assert design.planned_finish == finish
    shown = "7h30" if minutes == 450 else "1h30" if minutes == 90 else "15h"
    assert duration_cell(response.content.decode(), design) == shown
    event = AuditEvent.objects.filter(action="task.update", object_id=str(design.pk)).latest("id")
    assert event.changes["duration_hours"] == [16, hours]


def test_whole_hours_clear_the_minutes_and_the_form_prefills_them(
    london: Project, people: dict[str, Any], tasks: dict[str, Task]
) -> None:
    client = login(people["member"])
    design = tasks["design"]
    post_duration(client, design, "7h30")
    form = client.get(f"/tasks/{design.pk}/edit/duration_hours/", headers={"HX-Request": "true"})
    assert re.search(r'name="duration_hours"[^>]*value="7h30"', form.content.decode())
    design.refresh_from_db()
    version = design.version
    # "8" is the same rounded hours: still a change, the minutes go.
    response = post_duration(client, design, "8")
    assert error_line(response, design) == ""
    design.refresh_from_db()
    assert (design.duration_hours, design.duration_minutes) == (8, None)
    assert design.version == version + 1
    event = AuditEvent.objects.filter(action="task.update", object_id=str(design.pk)).latest("id")
    assert event.changes["duration_minutes"] == [450, None]
    form = client.get(f"/tasks/{design.pk}/edit/duration_hours/", headers={"HX-Request": "true"})
    assert re.search(r'name="duration_hours"[^>]*value="8h"', form.content.decode())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "enter a duration like 8, 7.5, 7:30, 7h30 or 450m"),
        ("7:75", "the minutes after the hours must be under 60"),
        ("7.33", "not a whole number of minutes"),
        ("-8", "enter a duration like"),
        ("", "This field is required."),
        ("9" * 60, "at most 40 characters"),
    ],
)
def test_junk_in_the_cell_is_the_rows_error_naming_the_field(
    people: dict[str, Any], tasks: dict[str, Task], text: str, message: str
) -> None:
    design = tasks["design"]
    before = Task.objects.get(pk=design.pk)
    events = AuditEvent.objects.count()
    response = post_duration(login(people["member"]), design, text)
    assert response.status_code == 200
    error = error_line(response, design)
    assert error.startswith("duration hours: ")
    assert message in error
    after = Task.objects.get(pk=design.pk)
    assert (after.duration_hours, after.duration_minutes, after.version) == (
        before.duration_hours,
        before.duration_minutes,
        before.version,
    )
    assert AuditEvent.objects.count() == events


def test_a_stale_version_and_a_viewer_are_refused(
    people: dict[str, Any], tasks: dict[str, Task]
) -> None:
    design = tasks["design"]
    stale = post_duration(login(people["member"]), design, "7:30", version=design.version - 1)
    assert stale.status_code in (200, 409)
    assert "changed" in stale.content.decode()
    assert Task.objects.get(pk=design.pk).duration_minutes is None
    viewer = post_duration(login(people["viewer"]), design, "7:30")
    assert viewer.status_code == 403
    assert Task.objects.get(pk=design.pk).duration_minutes is None


def test_the_plan_row_and_task_page_show_the_exact_duration(
    london: Project, people: dict[str, Any], tasks: dict[str, Task]
) -> None:
    design, code = tasks["design"], tasks["code"]
    task_update(actor=people["owner"], task=design, version=None, data={"duration_minutes": 450})
    code.refresh_from_db()
    task_update(actor=people["owner"], task=code, version=None, data={"duration_minutes": 1})
    viewer = login(people["viewer"])
    plan = viewer.get(f"/projects/{london.key}/plan/").content.decode()
    assert duration_cell(plan, design) == "7h30"
    assert duration_cell(plan, code) == "0h01"
    # The summary spans both, to the minute: Monday 09:00 to 17:31.
    assert duration_cell(plan, tasks["phase"]) == "7h31"
    assert duration_cell(plan, tasks["launch"]) == "0h"
    page = viewer.get(f"/projects/{london.key}/tasks/{design.pk}/documents/").content.decode()
    assert " · 7h30 · " in page
    assert " · 8h · " not in page


def test_the_add_task_form_takes_minutes(
    london: Project, people: dict[str, Any], tasks: dict[str, Task]
) -> None:
    client = login(people["member"])
    url = f"/projects/{london.key}/plan/tasks/"
    response = client.post(url, {"name": "Freeze", "duration_hours": "7h30"})
    assert response.status_code == 302
    freeze = Task.objects.get(project=london, name="Freeze")
    assert (freeze.duration_hours, freeze.duration_minutes) == (8, 450)
    assert freeze.planned_finish == dt.datetime(2027, 1, 4, 17, 30, tzinfo=UTC)
    response = client.post(url, {"name": "Verify", "duration_hours": "2"})
    verify = Task.objects.get(project=london, name="Verify")
    assert (verify.duration_hours, verify.duration_minutes) == (2, None)
    refused = client.post(url, {"name": "Junk", "duration_hours": "soon"})
    assert refused.status_code == 422
    assert "enter a duration like" in refused.content.decode()
    assert not Task.objects.filter(project=london, name="Junk").exists()
    blank = client.get(f"/projects/{london.key}/plan/").content.decode()
    assert re.search(r'id="task-form".*?name="duration_hours"[^>]*value="8h"', blank, re.S)


def test_the_gantt_read_has_the_exact_minutes(
    london: Project, people: dict[str, Any], tasks: dict[str, Task]
) -> None:
    design = tasks["design"]
    task_update(actor=people["owner"], task=design, version=None, data={"duration_minutes": 450})
    response = login(people["viewer"]).get(f"/api/v1/projects/{london.key}/schedule")
    assert response.status_code == 200
    data = response.json()
    ScheduleOut.model_validate(data)
    by_name = {t["name"]: t for t in data["tasks"]}
    assert (by_name["Design"]["duration_hours"], by_name["Design"]["duration_minutes"]) == (8, 450)
    assert (by_name["Code"]["duration_hours"], by_name["Code"]["duration_minutes"]) == (40, 2400)
    assert by_name["Launch"]["duration_minutes"] == 0
    # The summary's span: 7.5 + 40 working hours.
    assert by_name["Build"]["duration_minutes"] == 450 + 2400
    assert by_name["Design"]["planned_finish"] == "2027-01-04T17:30:00+00:00"
