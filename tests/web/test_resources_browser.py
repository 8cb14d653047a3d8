"""The Resources page in headless chromium: over-allocation in red, preview, apply, reload.

APL starts on Monday 4 January 2027 on the default calendar (8 working hours a day). Three
independent 16 h tasks all worked by Dana put 48 h on her in the first week (capacity 40):
that week's bar is red. Leveling runs them one after another over two weeks (24 h each).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from itpm.planning import resource_services as rs
from itpm.planning.models import LevelingRun, Task
from itpm.planning.services import task_create
from tests.web.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = "/projects/APL/resources/"
RED = "svg.load-chart rect[fill='#d92d20']"


@pytest.fixture(autouse=True)
def _patient(page: Any) -> None:
    # A leveling preview and an apply are a computation and a reschedule each.
    page.set_default_timeout(15_000)


@pytest.fixture
def overloaded(project: Any, people: Any) -> list[Task]:
    dana = rs.resource_create(actor=people["admin"], name="Dana", cost_rate=Decimal("100"))
    tasks = [
        task_create(actor=people["owner"], project=project, name=name, duration_hours=16)
        for name in ("Migrate ledgers", "Migrate invoices", "Migrate vendors")
    ]
    for task in tasks:
        rs.assignment_create(actor=people["member"], task=task, resource=dana)
    return tasks


def test_leveling_removes_the_red_over_allocation(
    page: Any, people: Any, overloaded: list[Task], tmp_path: Path
) -> None:
    log_in(page, "manny")
    page.goto(URL)
    chart = page.locator("article.resource-load", has_text="Dana")
    assert chart.locator(".badge.over").inner_text() == "over-allocated in 1 week"
    assert page.locator(RED).count() == 1
    assert "48.0 h of 40.0 h" in page.locator(RED).first.locator("title").text_content()
    page.screenshot(path=str(tmp_path / "resources-before.png"), full_page=True)

    page.click("button:has-text('Preview leveling')")
    moved = page.locator("article.leveling details table tbody tr")
    moved.first.wait_for()
    assert moved.count() == 2
    assert page.locator("article.leveling").get_by_text("2 tasks move").is_visible()
    names = {moved.nth(i).locator("td").nth(1).inner_text() for i in range(2)}
    assert names < {t.name for t in overloaded}
    # The preview draws the leveled load beside today's: no red in the "after" bars.
    assert chart.locator(".badge", has_text="after leveling: 0 over").is_visible()
    assert not Task.objects.filter(leveled_start__isnull=False).exists()  # nothing applied yet
    page.screenshot(path=str(tmp_path / "resources-preview.png"), full_page=True)

    page.click("article.leveling button:has-text('Apply')")
    page.wait_for_selector("text=Leveling applied: 2 tasks changed.")
    assert page.locator(RED).count() == 0
    assert chart.locator(".badge.over").count() == 0
    assert LevelingRun.objects.get().status == "applied"
    page.reload()
    assert page.locator(RED).count() == 0
    assert page.locator("article.leveling .badge", has_text="2 tasks held by leveling").is_visible()
    page.screenshot(path=str(tmp_path / "resources-after.png"), full_page=True)
    assert (tmp_path / "resources-after.png").stat().st_size > 0
