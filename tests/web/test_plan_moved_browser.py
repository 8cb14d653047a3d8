"""The plan table in chromium: an inline edit moves the successor's row without a reload,
and the row icons are drawn (SVG), not empty boxes."""

from __future__ import annotations

from typing import Any

import pytest

from itpm.planning.models import Task
from itpm.portfolio.models import Project
from tests.web.test_browser import log_in, row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_inline_edit_refreshes_the_rows_that_moved(
    page: Any, project: Project, tasks: Any
) -> None:
    log_in(page, "manny")
    page.goto(f"/projects/{project.key}/plan/")
    page.evaluate("window.__noReload = true")  # a page load would drop it
    code = row(page, tasks["code"])
    start_before = code.locator("td").nth(3).inner_text()

    design = row(page, tasks["design"])
    design.locator("td.num").first.click()
    design.locator("form.cell-form input[name=duration_hours]").fill("24")
    design.locator("form.cell-form button[type=submit]").click()

    status = page.locator("#plan-moved")
    status.wait_for(state="visible")
    assert "2 other tasks moved: 1 Build, 1.2 Code." in status.inner_text()
    stored = Task.objects.get(pk=tasks["code"].pk).planned_start
    expected = stored.strftime("%Y-%m-%d %H:%M")  # APL's calendar is UTC
    page.wait_for_function(
        "([id, text]) => document.querySelector(`#task-${id} td:nth-child(4)`)"
        ".textContent.includes(text)",
        arg=[tasks["code"].pk, expected],
    )
    assert code.locator("td").nth(3).inner_text() != start_before
    # The focus does not jump to the add-task form's field of the same name below the table.
    assert page.evaluate("document.activeElement.closest('#task-form') === null")
    assert page.evaluate("window.__noReload") is True
    # The table body swapped in keeps its trigger: a second edit refreshes again.
    design.locator("td.num").first.click()
    design.locator("form.cell-form input[name=duration_hours]").fill("16")
    design.locator("form.cell-form button[type=submit]").click()
    page.wait_for_function(
        "([id, text]) => document.querySelector(`#task-${id} td:nth-child(4)`)"
        ".textContent.includes(text)",
        arg=[tasks["code"].pk, start_before],
    )


def test_row_icons_are_drawn(page: Any, project: Project, tasks: Any) -> None:
    log_in(page, "manny")
    page.goto(f"/projects/{project.key}/plan/")
    link = row(page, tasks["design"]).locator("td.actions a.icon").first
    box = link.locator("svg").bounding_box()
    assert box is not None and box["width"] >= 10 and box["height"] >= 10
    # Nothing is left to a font: no text in the link, only the drawn bubble.
    assert link.inner_text().strip() == ""
