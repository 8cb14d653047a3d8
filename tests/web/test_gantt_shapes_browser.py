"""What the Gantt chart draws, in headless chromium: summary brackets, milestone diamonds,
dependency arrows, the critical path in its own colour, the today line, the baseline overlay.

In the ``tasks`` fixture the Build phase holds Design (16 h) then Code (40 h); Launch is a
milestone with no links. Design and Code are the critical path.
"""

from __future__ import annotations

from typing import Any

import pytest

from itpm.planning import resource_services as rs
from itpm.planning.models import Task
from tests.web.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def group(page: Any, task: Task) -> Any:
    return page.locator(f"#gantt-bar-{task.pk}")


def test_the_chart_draws_each_kind_of_shape(
    page: Any, project: Any, people: Any, tasks: Any
) -> None:
    rs.baseline_create(actor=people["manager"], project=project, name="Approved")
    page.set_default_timeout(15_000)
    log_in(page, "manny")
    page.goto("/projects/APL/gantt/")
    page.wait_for_selector("#gantt.ready")

    design, code = group(page, tasks["design"]), group(page, tasks["code"])
    assert design.locator("rect.bar.critical").count() == 1
    assert code.locator("rect.bar.critical").count() == 1
    assert group(page, tasks["phase"]).locator(".summary-bar").count() == 1
    assert group(page, tasks["launch"]).locator("path.diamond").count() == 1
    # One arrow per link, critical between two critical tasks.
    assert page.locator(".links .link").count() == 1
    assert page.locator(".links .link.critical").count() == 1
    assert page.locator("line.today").count() == 1

    # Without the critical path every bar is drawn in the ordinary colour.
    page.uncheck("input[name=critical]")
    page.wait_for_function("() => document.querySelectorAll('rect.bar.critical').length === 0")
    assert page.locator(".links .link.critical").count() == 0
    page.check("input[name=critical]")
    page.wait_for_function("() => document.querySelectorAll('rect.bar.critical').length === 2")

    # The baseline overlay: a thin bar per task under its own bar.
    assert page.locator("rect.baseline-bar").count() == 0
    page.select_option("select[name=baseline]", label="Approved (active)")
    page.wait_for_function("() => document.querySelectorAll('rect.baseline-bar').length >= 3")
    assert design.locator("rect.baseline-bar").count() == 1
    title = design.locator("rect.baseline-bar title").text_content() or ""
    assert title.startswith("Baseline Approved:")
