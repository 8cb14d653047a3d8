"""Split tasks in headless chromium: splitting from the plan table, and the Gantt's gap.

The default calendar is Monday–Friday 09:00–13:00 and 14:00–18:00 in UTC; APL starts on
Monday 4 January 2027. In the ``tasks`` fixture Design (16 h) precedes Code (40 h), so
Code starts on Wednesday 6 January at 09:00.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from itpm.planning.models import Task
from itpm.planning.services import task_update
from tests.web.test_browser import log_in
from tests.web.test_gantt_browser import DAY_PX, drag, open_gantt, saved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UTC = dt.UTC
HOUR_PX = DAY_PX / 24


@pytest.fixture(autouse=True)
def _patient(page: Any) -> None:
    page.set_default_timeout(15_000)


def split(task: Task, splits: list[list[int]], actor: Any) -> None:
    fresh = Task.objects.get(pk=task.pk)
    task_update(actor=actor, task=fresh, version=fresh.version, data={"splits": splits})


def box(page: Any, selector: str) -> dict[str, float]:
    found: dict[str, float] = page.eval_on_selector(
        selector,
        "e => ({x: +e.getAttribute('x'), width: +e.getAttribute('width'),"
        " x1: +e.getAttribute('x1'), x2: +e.getAttribute('x2')})",
    )
    return found


def test_the_gantt_draws_a_split_task_as_two_bars_and_a_dotted_gap(
    page: Any, tasks: dict[str, Task], people: Any
) -> None:
    code = tasks["code"]
    split(code, [[16, 24]], people["owner"])
    log_in(page, "vic")
    open_gantt(page)

    group = f"#gantt-bar-{code.pk}"
    assert page.locator(f"{group} rect.bar").count() == 2
    assert page.locator(f"{group} line.split-gap").count() == 1
    first = box(page, f"{group} rect.bar >> nth=0")
    second = box(page, f"{group} rect.bar >> nth=1")
    gap = box(page, f"{group} line.split-gap")
    # Work Wednesday 09:00 – Thursday 18:00 (33 h of clock), paused until Wednesday 13
    # January 09:00 (a week after the start), then Wednesday to Friday 18:00.
    assert first["width"] == pytest.approx(33 * HOUR_PX)
    assert gap["x1"] == pytest.approx(first["x"] + first["width"])
    assert gap["x2"] == pytest.approx(second["x"])
    assert second["x"] - first["x"] == pytest.approx(7 * DAY_PX)
    assert second["width"] == pytest.approx((2 * 24 + 9) * HOUR_PX)
    # The pause is a gap: above and below its dotted line the chart shows no bar.
    page.locator(group).scroll_into_view_if_needed()
    line = page.locator(f"{group} line.split-gap").bounding_box()
    hit = page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y); return e.getAttribute('class') }",
        [line["x"] + line["width"] / 2, line["y"] - 4],
    )
    assert "bar" not in (hit or "")
    tip = page.locator(f"{group} line.split-gap title").text_content()
    assert tip == "Paused Thu 07 Jan 2027 18:00 – Wed 13 Jan 2027 09:00"


def test_resizing_a_split_bar_changes_the_work_and_keeps_the_pause(
    page: Any, tasks: dict[str, Task], people: Any
) -> None:
    code = tasks["code"]
    split(code, [[16, 24]], people["owner"])
    log_in(page, "mia")
    open_gantt(page)
    # Friday 15 January 18:00 to Monday 18:00: one working day more of work.
    drag(page, page.locator(f"#gantt-bar-{code.pk} rect.resize"), 3 * DAY_PX, from_right=True)
    saved(page)
    code.refresh_from_db()
    assert (code.duration_hours, code.splits) == (48, [[16, 24]])
    assert code.planned_finish == dt.datetime(2027, 1, 18, 18, tzinfo=UTC)


def test_splitting_a_task_from_the_plan_table(page: Any, tasks: dict[str, Task]) -> None:
    code = tasks["code"]
    log_in(page, "mia")
    page.goto("/projects/APL/plan/")
    row = page.locator(f"#task-{code.pk}")
    row.locator("td.num").first.click()
    row.get_by_role("button", name="Split…").click()
    field = row.locator("form.cell-form input[name=splits]")
    field.wait_for()
    # Typing in the box keeps it open (the click does not reload the duration form).
    field.click()
    field.fill("16:24")
    row.locator("form.cell-form button[type=submit]").click()
    page.wait_for_selector(f"#task-{code.pk} span.split-mark")
    # The Build phase moved with it: the table body reloads (before the next click).
    page.wait_for_selector(f"#task-{tasks['phase'].pk}:has-text('2027-01-15 18:00')")
    assert "Project finish" in page.inner_text("#plan-moved")
    code.refresh_from_db()
    assert code.splits == [[16, 24]]
    assert code.planned_finish == dt.datetime(2027, 1, 15, 18, tzinfo=UTC)
    assert row.locator("td.num").first.inner_text().strip() == "40h"

    # The mark opens the splits form itself, prefilled; a bad pause is refused in words.
    row.locator("span.split-mark").click()
    field = row.locator("form.cell-form input[name=splits]")
    assert field.input_value() == "16:24"
    field.fill("40:8")
    row.locator("form.cell-form button[type=submit]").click()
    error = page.locator(f"#task-{code.pk}-error")
    error.wait_for()
    assert "splits: item 1: a pause after 40 h must fall inside the work" in error.inner_text()
    assert Task.objects.get(pk=code.pk).splits == [[16, 24]]
