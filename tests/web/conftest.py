"""Browser fixtures: one headless chromium for the session, a fresh context per test.

The browser is Debian's chromium (/usr/bin/chromium); the tests never download one.
Every page a test visits is watched: a console error, an uncaught exception or a
Content-Security-Policy violation fails the test, unless the test said it expects it
(a 404 page, a form answered with 422).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import PASSWORD

# The session's one chromium (``browser``) is defined in tests/conftest.py, so that every
# folder with browser tests shares it: two sync Playwright instances cannot live in one
# process (with pytest-xdist, one worker may run tests/web and tests/security).

# Records CSP violations in the page, in case a future chromium stops logging them.
_WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@dataclass
class PageProblems:
    """What went wrong in the browser while a test ran."""

    errors: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def expect(self, pattern: str) -> None:
        """Allow console errors matching ``pattern`` (a regular expression)."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser: Any, problems: PageProblems, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 768})
    context.set_default_timeout(5_000)
    # A page load waits on the live server, which a busy CI machine (two test workers on two
    # cores) can hold up for seconds on the first request of a file; steps stay at 5 s.
    context.set_default_navigation_timeout(30_000)
    context.add_init_script(_WATCH_CSP)
    page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            problems.errors.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.errors.append(f"{page.url}: {error}"))
    yield page
    try:
        violations = page.evaluate("window.__cspViolations || []")
    except Exception:  # noqa: BLE001 - a closed or crashed page has nothing left to report
        violations = []
    context.close()
    assert not violations, f"CSP violations: {violations}"
    assert not problems.unexpected(), "browser console errors:\n" + "\n".join(problems.unexpected())


def log_in(page: Any, username: str) -> None:
    """Log in through the form as ``username`` (the shared test password), from any state."""
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
