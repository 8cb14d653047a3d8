"""The grouped project tab bar fits one row at 1280 px and its menus open."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_tab_bar_fits_one_row_at_1280(page: Any, people: Any, project: Any) -> None:
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/login/")
    page.fill("input[name=username]", "mia")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"/projects/{project.key}/")
    bar = page.locator("nav.project-tabs > ul")
    box = bar.bounding_box()
    tops = [li.bounding_box()["y"] for li in bar.locator(":scope > li").all()]
    # Links and menu buttons differ by a few pixels in height; a second row is ~40 px lower.
    assert len(tops) >= 7 and max(tops) - min(tops) < 20, f"the bar wraps: tops {tops}"
    assert box is not None and box["width"] <= 1280
    page.click("nav.project-tabs summary:has-text('Money')")
    page.click("nav.project-tabs a:has-text('Budget, costs & time')")
    page.wait_for_url(f"**/projects/{project.key}/budget/")
    assert (
        page.locator("nav.project-tabs details.current > summary").inner_text().strip() == "Money"
    )
