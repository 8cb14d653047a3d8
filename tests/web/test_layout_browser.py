"""Layout at a desk (1280 px) and on a phone (390 px), and a sweep of every page the
navigation reaches: no console error, no failed request, no broken link.

The ``page`` fixture (tests/web/conftest.py) fails a test on any console error, uncaught
exception or CSP violation; the sweep adds failed requests and HTTP errors.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from tests.web.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}


def test_project_list_header_buttons_are_evenly_spaced_at_1280(page: Any, project: Any) -> None:
    page.set_default_timeout(30_000)
    page.set_viewport_size(DESK)
    log_in(page, "manny")
    page.goto("/projects/")
    boxes = [b.bounding_box() for b in page.locator(".page-head [role=button]").all()]
    assert len(boxes) == 3
    gaps = [
        right["x"] - (left["x"] + left["width"])
        for left, right in zip(boxes, boxes[1:], strict=False)
    ]
    assert max(gaps) - min(gaps) < 2, f"uneven gaps between the buttons: {gaps}"
    assert all(0 < gap < 30 for gap in gaps), f"buttons not kept together: {gaps}"
    assert len({round(b["y"]) for b in boxes}) == 1, "the buttons are not on one row"
    # They sit together at the right edge of the content, the title alone at the left.
    title = page.locator(".page-head h1").bounding_box()
    assert boxes[0]["x"] - (title["x"] + title["width"]) > 100


@pytest.mark.parametrize(
    "path",
    [
        "/projects/",
        "/projects/APL/",
        "/projects/APL/plan/",
        "/projects/APL/budget/",
        "/dashboard/",
        "/portfolio/",
        "/helpdesk/reports/",
        "/notifications/",
    ],
)
def test_no_page_is_wider_than_a_phone(page: Any, project: Any, tasks: Any, path: str) -> None:
    page.set_default_timeout(30_000)
    page.set_viewport_size(PHONE)
    log_in(page, "manny")
    assert page.goto(path).status == 200
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width}px wide on a 390px phone"
    # Every link of the top bar stays on the (dark) bar, none pushed off the screen.
    for link in page.locator("header.topbar a").all():
        box = link.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], link.inner_text()


def _links(page: Any, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    return [h for h in hrefs if h and h.startswith("/") and not h.startswith("/api/")]


@pytest.mark.parametrize("username", ["manny", "vic"])
def test_every_page_the_navigation_reaches_renders_cleanly(
    page: Any, problems: Any, project: Any, tasks: Any, username: str
) -> None:
    """The top bar, the project's tab bar (menus included) and each page's own sub-navigation,
    as a manager and as a viewer: every page answers 200 with no console error or failed
    request."""
    page.set_default_timeout(30_000)
    failed: list[str] = []
    # A request the browser cancels because the next page is loaded (net::ERR_ABORTED) is
    # not a failure of the page; an error answer or a broken connection is.
    page.on(
        "requestfailed",
        lambda r: (
            None if r.failure == "net::ERR_ABORTED" else failed.append(f"{r.url}: {r.failure}")
        ),
    )
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    log_in(page, username)
    page.goto(f"/projects/{project.key}/")
    pages = _links(page, "header.topbar nav a") + _links(page, "nav.project-tabs a")
    seen: set[str] = set()
    visited = 0
    while pages:
        path = pages.pop(0)
        if urlparse(path).path in seen:
            continue
        seen.add(urlparse(path).path)
        response = page.goto(path)
        visited += 1
        assert response.status == 200, f"{path} answered {response.status}"
        assert not failed, f"on {path}: {failed}"
        # A page's own sub-navigation (help desk, assets) is part of the navigation too.
        pages += _links(page, "main nav.subnav a")
    assert visited >= 25, f"only {visited} pages reached"
