"""The Gantt chart in headless chromium: drag, resize, link, stale edits, read-only viewers.

The default calendar is Monday–Friday 09:00–13:00 and 14:00–18:00 in UTC; APL starts on
Monday 4 January 2027. In the ``tasks`` fixture Design (16 h) precedes Code (40 h).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from itpm.planning.models import Dependency, Task
from itpm.planning.services import task_update
from tests.web.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY_PX = 36  # the day zoom's width of one day (gantt.js ZOOMS.day.px)
UTC = dt.UTC


@pytest.fixture(autouse=True)
def _patient(page: Any) -> None:
    # A drag is a write, a reschedule and a reload; give a busy machine time for them.
    page.set_default_timeout(15_000)


def open_gantt(page: Any) -> None:
    page.goto("/projects/APL/gantt/")
    page.wait_for_selector("#gantt.ready")
    page.click("button[data-zoom=day]")


def bar(page: Any, task: Task) -> Any:
    return page.locator(f"#gantt-bar-{task.pk} rect.bar")


def bar_x(page: Any, task: Task) -> float:
    return float(bar(page, task).get_attribute("x"))


def drag(page: Any, locator: Any, dx: float, *, from_right: bool = False) -> None:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    x = box["x"] + (box["width"] - 2 if from_right else box["width"] / 2)
    y = box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y, steps=4)
    page.mouse.move(x + dx, y, steps=4)
    page.mouse.up()


def saved(page: Any) -> None:
    page.wait_for_selector(".gantt-status:has-text('Saved.')")


def test_dragging_a_bar_moves_it_and_its_successor(
    page: Any, tasks: dict[str, Task], tmp_path: Path
) -> None:
    design, code = tasks["design"], tasks["code"]
    log_in(page, "mia")
    open_gantt(page)
    design_x, code_x = bar_x(page, design), bar_x(page, code)

    drag(page, bar(page, design), 2 * DAY_PX)
    saved(page)

    design.refresh_from_db()
    code.refresh_from_db()
    assert design.constraint_type == "SNET"
    assert design.constraint_date == dt.datetime(2027, 1, 6, 9, tzinfo=UTC)
    assert design.planned_start == dt.datetime(2027, 1, 6, 9, tzinfo=UTC)
    assert code.planned_start == dt.datetime(2027, 1, 8, 9, tzinfo=UTC)
    assert bar_x(page, design) == pytest.approx(design_x + 2 * DAY_PX)
    assert bar_x(page, code) == pytest.approx(code_x + 2 * DAY_PX)
    assert "2 tasks moved" in page.inner_text(".gantt-status")
    page.screenshot(path=str(tmp_path / "gantt-after-drag.png"))

    page.reload()
    page.wait_for_selector("#gantt.ready")
    page.click("button[data-zoom=day]")
    assert bar_x(page, design) == pytest.approx(design_x + 2 * DAY_PX)
    assert bar_x(page, code) == pytest.approx(code_x + 2 * DAY_PX)


def test_dragging_the_right_end_changes_the_duration(page: Any, tasks: dict[str, Task]) -> None:
    design, code = tasks["design"], tasks["code"]
    log_in(page, "mia")
    open_gantt(page)
    # Design runs Mon 09:00 – Tue 18:00; one day to the right ends it on Wednesday 18:00.
    drag(page, page.locator(f"#gantt-bar-{design.pk} rect.resize"), DAY_PX, from_right=True)
    saved(page)
    design.refresh_from_db()
    code.refresh_from_db()
    assert design.duration_hours == 24
    assert code.planned_start == dt.datetime(2027, 1, 7, 9, tzinfo=UTC)


def test_drawing_a_link_between_bars_creates_a_dependency(
    page: Any, tasks: dict[str, Task]
) -> None:
    code, launch = tasks["code"], tasks["launch"]
    log_in(page, "mia")
    open_gantt(page)
    handle = page.locator(f"#gantt-bar-{code.pk} circle.handle[data-end=finish]")
    target = page.locator(f"#gantt-bar-{launch.pk} path.diamond")
    target.scroll_into_view_if_needed()
    handle.scroll_into_view_if_needed()
    start, goal = handle.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 4, start["y"] + 4)
    page.mouse.down()
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] / 2, steps=8)
    page.mouse.up()
    saved(page)
    link = Dependency.objects.get(predecessor=code, successor=launch)
    assert link.type == "FS"
    launch.refresh_from_db()
    code.refresh_from_db()
    assert launch.planned_finish == code.planned_finish
    assert page.locator(f"path.link[data-link-id='{link.pk}']").count() == 1


def test_a_link_that_closes_a_cycle_shows_the_cycle(
    page: Any, tasks: dict[str, Task], problems: Any
) -> None:
    problems.expect(r"status of 409")
    design, code = tasks["design"], tasks["code"]
    log_in(page, "mia")
    open_gantt(page)
    handle = page.locator(f"#gantt-bar-{code.pk} circle.handle[data-end=finish]")
    handle.scroll_into_view_if_needed()
    start = handle.bounding_box()
    goal = bar(page, design).bounding_box()
    page.mouse.move(start["x"] + 4, start["y"] + 4)
    page.mouse.down()
    page.mouse.move(goal["x"] + 3, goal["y"] + goal["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_selector(".gantt-banner:not([hidden])")
    assert "cycle" in page.inner_text(".gantt-banner")
    assert not Dependency.objects.filter(predecessor=code, successor=design).exists()


def test_a_stale_drag_gets_409_and_says_someone_else_changed_the_task(
    page: Any, tasks: dict[str, Task], people: Any, problems: Any, tmp_path: Path
) -> None:
    problems.expect(r"status of 409")
    design = tasks["design"]
    log_in(page, "mia")
    open_gantt(page)
    # Someone else renames the task after the page loaded it.
    task_update(
        actor=people["manager"], task=design, version=design.version, data={"name": "Design v2"}
    )

    drag(page, bar(page, design), 2 * DAY_PX)
    page.wait_for_selector(".gantt-banner:not([hidden])")
    assert "Someone else changed this task — reloaded" in page.inner_text(".gantt-banner")
    page.screenshot(path=str(tmp_path / "gantt-conflict.png"))
    design.refresh_from_db()
    assert design.constraint_type == "ASAP"
    # The chart reloaded: it shows the new name and the next drag goes through.
    page.wait_for_selector(f"#gantt-row-{design.pk}:has-text('Design v2')")
    drag(page, bar(page, design), 2 * DAY_PX)
    saved(page)
    design.refresh_from_db()
    assert design.constraint_type == "SNET"
    assert page.locator(".gantt-banner").is_hidden()


def test_a_viewer_cannot_drag(page: Any, tasks: dict[str, Task]) -> None:
    design = tasks["design"]
    writes: list[str] = []
    page.on("request", lambda r: writes.append(r.url) if r.method != "GET" else None)
    log_in(page, "vic")
    writes.clear()
    open_gantt(page)
    assert "Read-only" in page.inner_text(".gantt-status")
    assert page.locator("#gantt circle.handle, #gantt rect.resize").count() == 0
    before, version = bar_x(page, design), design.version
    drag(page, bar(page, design), 2 * DAY_PX)
    page.wait_for_timeout(300)
    assert writes == []
    assert bar_x(page, design) == before
    design.refresh_from_db()
    assert design.constraint_type == "ASAP" and design.version == version


def test_toolbar_zoom_table_and_collapse(page: Any, tasks: dict[str, Task]) -> None:
    phase, design = tasks["phase"], tasks["design"]
    log_in(page, "vic")
    open_gantt(page)
    for zoom in ("week", "month", "quarter", "day"):
        page.click(f"button[data-zoom={zoom}]")
        assert page.get_attribute(f"button[data-zoom={zoom}]", "aria-pressed") == "true"
    page.click(f"button[data-toggle='{phase.pk}']")
    assert page.locator(f"#gantt-row-{design.pk}").count() == 0
    page.click(f"button[data-toggle='{phase.pk}']")
    assert page.locator(f"#gantt-row-{design.pk}").count() == 1
    page.click("button[data-action=table]")
    table = page.inner_text(".gantt-table")
    assert re.search(r"Design\s+Mon 04 Jan 2027 09:00\s+Tue 05 Jan 2027 18:00\s+16 h", table)
    assert page.locator(".gantt-scroll").is_hidden()
