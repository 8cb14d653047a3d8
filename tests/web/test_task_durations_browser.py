"""Durations to the minute in headless chromium: typing 7:30 into the plan's duration
cell on a 7.5-hour-day calendar, and the Gantt's table and tooltip showing it.

APL starts on Monday 4 January 2027. The "London office" calendar works Monday to Friday
09:00-12:30 and 13:30-17:30 (7.5 hours, a 37.5-hour week), in UTC. In the ``tasks``
fixture Design (16 h) precedes Code (40 h).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from itpm.planning.models import Task
from itpm.planning.services import task_update
from itpm.portfolio.models import Project
from tests.web.test_browser import log_in
from tests.web.test_gantt_browser import open_gantt, saved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UTC = dt.UTC


@pytest.fixture(autouse=True)
def _patient(page: Any) -> None:
    page.set_default_timeout(15_000)


def test_typing_7_30_into_the_duration_cell_finishes_at_the_end_of_the_day(
    page: Any, london: Project, tasks: dict[str, Task]
) -> None:
    design, code = tasks["design"], tasks["code"]
    log_in(page, "mia")
    page.goto("/projects/APL/plan/")
    row = page.locator(f"#task-{design.pk}")
    # 16 h on 7.5-hour days: Monday, Tuesday and the first hour of Wednesday.
    assert "2027-01-06 10:00" in row.inner_text()
    row.locator("td.num").first.click()
    field = row.locator("form.cell-form input[name=duration_hours]")
    field.wait_for()
    assert field.input_value() == "16h"
    field.fill("7:30")
    row.locator("form.cell-form button[type=submit]").click()
    # One working day: Monday 09:00 to 17:30.
    page.wait_for_selector(f"#task-{design.pk}:has-text('2027-01-04 17:30')")
    assert row.locator("td.num").first.inner_text().strip() == "7h30"
    # Code moved with it (the table body reloads): five days and 2.5 h, Tuesday 12th 11:30.
    page.wait_for_selector(f"#task-{code.pk}:has-text('2027-01-12 11:30')")
    assert "Project finish" in page.inner_text("#plan-moved")
    design.refresh_from_db()
    assert (design.duration_hours, design.duration_minutes) == (8, 450)
    assert design.planned_finish == dt.datetime(2027, 1, 4, 17, 30, tzinfo=UTC)

    # The cell reopens prefilled with the exact duration; junk is refused in words.
    row.locator("td.num").first.click()
    field = row.locator("form.cell-form input[name=duration_hours]")
    field.wait_for()
    assert field.input_value() == "7h30"
    field.fill("half a day")
    row.locator("form.cell-form button[type=submit]").click()
    error = page.locator(f"#task-{design.pk}-error")
    error.wait_for()
    assert "duration hours: enter a duration like" in error.inner_text()
    assert Task.objects.get(pk=design.pk).duration_minutes == 450


def test_the_gantt_shows_the_exact_duration(
    page: Any, london: Project, tasks: dict[str, Task], people: Any
) -> None:
    design = tasks["design"]
    task_update(actor=people["owner"], task=design, version=None, data={"duration_minutes": 450})
    log_in(page, "vic")
    open_gantt(page)
    tip = page.locator(f"#gantt-bar-{design.pk} title").first.text_content() or ""
    assert "Duration 7 h 30 min (1 d)" in tip
    page.click("button[data-action=table]")
    table = page.inner_text(".gantt-table")
    assert re.search(r"Design\s+Mon 04 Jan 2027 09:00\s+Mon 04 Jan 2027 17:30\s+7 h 30 min", table)
    assert re.search(r"Code\s+.*?\s+40 h \(5\.3 d\)", table)


def test_shift_arrow_on_the_gantt_adds_a_working_day_to_the_minute(
    page: Any, london: Project, tasks: dict[str, Task], people: Any
) -> None:
    design = tasks["design"]
    task_update(actor=people["owner"], task=design, version=None, data={"duration_minutes": 450})
    log_in(page, "mia")
    open_gantt(page)
    page.locator(f"#gantt-row-{design.pk}").focus()
    page.keyboard.press("Shift+ArrowRight")
    saved(page)
    design.refresh_from_db()
    # 7 h 30 and a 7.5-hour day: two days, whole hours again (not 7 h 30 + 8 h).
    assert (design.duration_hours, design.duration_minutes) == (15, None)
    assert design.planned_finish == dt.datetime(2027, 1, 5, 17, 30, tzinfo=UTC)
