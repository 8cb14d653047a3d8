"""The Forecast page in headless chromium: run a forecast and see its histogram."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from itpm.control import services
from itpm.planning.services import dependency_create, task_create
from tests.web.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _patient(page: Any) -> None:
    page.set_default_timeout(15_000)


@pytest.fixture
def estimated(project: Any, people: Any) -> None:
    owner = people["owner"]
    previous = None
    for n, (a, m, b) in enumerate([(8, 16, 32), (24, 40, 80), (8, 8, 24)]):
        task = task_create(actor=owner, project=project, name=f"Step {n + 1}", duration_hours=m)
        services.task_estimate_set(actor=owner, task=task, optimistic=a, most_likely=m,
                                   pessimistic=b)  # fmt: skip
        if previous is not None:
            dependency_create(actor=owner, project=project, predecessor=previous, successor=task)
        previous = task


def test_the_forecast_page_shows_the_histogram(page: Any, estimated: None, tmp_path: Path) -> None:
    log_in(page, "mia")
    page.goto("/projects/APL/forecast/")
    assert page.get_by_text("No forecast yet").is_visible()
    page.fill("input[name=iterations]", "2000")
    page.fill("input[name=seed]", "11")
    page.click("button:has-text('Run forecast')")
    histogram = page.locator("figure#histogram svg")
    histogram.wait_for()
    bars = page.locator("figure#histogram rect.hist-bar")
    assert bars.count() == 30
    assert histogram.bounding_box()["height"] > 100
    heights = [float(bars.nth(i).get_attribute("height") or 0) for i in range(bars.count())]
    assert max(heights) > 0
    assert page.locator("figure#histogram polyline").count() == 1  # the S-curve
    assert page.get_by_text("P80 finish").is_visible()
    assert "seed 11" in page.locator("#forecast-status").inner_text()
    page.screenshot(path=str(tmp_path / "forecast.png"), full_page=True)
