"""The XSS corpus in headless chromium: every page that shows user text, 0 scripts run.

One world with one of everything (tests/world.py builds it through the services), every
free-text column overwritten with payloads (tests/security/xss.py), then one browser visits
every page of the permission matrix as the site admin (who sees everything) and the portal
pages as the outside requester. On each page: no payload ran (``window.__xss``, no dialog, no
CSP violation), no dangerous element or attribute made it into the DOM, the template
expressions stayed text, and the Content-Security-Policy header is strict.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.security.xss import PAYLOADS, poison_free_text
from tests.world import World, build_world, destroy_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_WATCH = """
window.__xss = 0;
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""
# Run in the page after load: anything that could run script, left in the DOM.
_DANGEROUS_DOM = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
      if (name.startsWith("on") || name === "srcdoc" || name.startsWith("hx-on")) {
        found.push(el.tagName + "[" + name + "]");
      }
      if (["href", "src", "action", "formaction", "data", "xlink:href"].includes(name)
          && (value.startsWith("javascript:") || value.startsWith("data:text/html"))) {
        found.push(el.tagName + "[" + name + "=" + value.slice(0, 30) + "]");
      }
    }
    const tag = el.tagName.toLowerCase();
    if (tag === "script" && !el.src) found.push("inline script");
    if (["iframe", "object", "embed", "base"].includes(tag)) found.push(tag);
    if (tag === "meta" && (el.httpEquiv || "").toLowerCase() === "refresh") found.push("meta");
  }
  return found;
}"""
_STRICT_CSP = {
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}


def _csp_problems(header: str) -> list[str]:
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )
    problems = [
        f"{name} is {directives.get(name)!r}, not {want!r}"
        for name, want in _STRICT_CSP.items()
        if directives.get(name, "").strip() != want
    ]
    if "unsafe-inline" in header.split("style-src")[0] or "unsafe-eval" in header:
        problems.append("unsafe-inline or unsafe-eval allowed for scripts")
    return problems


def _pages(world: World) -> list[tuple[str, str]]:
    """(actor, url) for every GET page of the permission matrix (no API, no admin)."""
    from tests.test_permission_matrix import ROUTES, Case, fill

    pages = []
    for (method, path), expect in sorted(ROUTES.items()):
        if method != "GET" or path.startswith(("/api/", "/admin/", "/static/")):
            continue
        if "{uidb64}" in path or "/login/email/{token}/" in path or path.endswith(".ics"):
            continue
        actor = "requester" if path.startswith("/portal/") else "admin"
        target = "none" if actor == "requester" else "own"
        url = fill(Case(world=world, actor=actor, target=target), path, expect)
        pages.append((actor, url))
    return pages


@pytest.fixture(scope="module")
def poisoned_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    with django_db_blocker.unblock():
        world = build_world()
        done = poison_free_text()
        yield world, done
        destroy_world()


def _session_cookie(world: World, actor: str) -> str:
    client = Client()
    client.force_login(world.users[actor])
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_no_payload_runs_on_any_page(
    browser: Any, live_server: Any, poisoned_world: Any, settings: Any
) -> None:
    world, done = poisoned_world
    assert len(PAYLOADS) >= 30 and len(done.fields) >= 60, done.fields
    pages = _pages(world)
    assert len(pages) >= 60
    contexts = {}
    for actor in ("admin", "requester"):
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(60_000)  # a busy CI machine is slow, not broken
        context.add_init_script(_WATCH)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": _session_cookie(world, actor),
                    "url": live_server.url,
                }
            ]  # fmt: skip
        )
        contexts[actor] = context.new_page()
    dialogs: list[str] = []
    for page in contexts.values():
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    report: dict[str, Any] = {"pages": 0, "pages_with_payloads": 0, "problems": []}
    for actor, url in pages:
        page = contexts[actor]
        try:
            response = page.goto(url, wait_until="load")
        except Exception as exc:  # noqa: BLE001 - playwright's Error; a download is no page
            if "Download is starting" in str(exc):
                report["downloads"] = report.get("downloads", 0) + 1
            else:
                report["problems"].append({"url": url, "problems": [str(exc)[:200]]})
            continue
        assert response is not None
        report["pages"] += 1
        header = response.headers.get("content-security-policy", "")
        html = "text/html" in response.headers.get("content-type", "")
        problems = _csp_problems(header) if response.ok and html else []
        if response.ok and html:
            page.wait_for_timeout(30)  # autofocus and load handlers fire right after load
            if page.evaluate("window.__xss"):
                problems.append("a payload ran (window.__xss)")
            problems += [f"CSP violation {v}" for v in page.evaluate("window.__csp")]
            problems += page.evaluate(_DANGEROUS_DOM)
            text = page.inner_text("body")
            if "XSS" in text:
                report["pages_with_payloads"] += 1
            if re.search(r"49XSS|XSS\d{4}|XSS49", text):
                problems.append("a template expression was evaluated")
        if response.status >= 500:
            problems.append(f"server error {response.status}")
        if problems:
            report["problems"].append({"url": url, "status": response.status,
                                       "problems": sorted(set(problems))})  # fmt: skip
    report["dialogs"] = dialogs
    report["payloads"] = len(PAYLOADS)
    report["fields"] = len(done.fields)
    report["rows"] = done.rows
    _write_figures(report)
    assert not dialogs, dialogs
    assert report["problems"] == [], json.dumps(report["problems"], indent=1)[:4000]
    # The corpus reached the pages: most pages show at least one payload as text.
    assert report["pages_with_payloads"] >= len(pages) // 2, report


def _write_figures(report: dict[str, Any]) -> None:
    """Leave the figures for bench/proof_security.py."""
    folder = Path(os.environ.get("ITPM_PROOF_DIR", settings.DATA_DIR / "proof"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "xss.json").write_text(json.dumps(report, indent=1))


def test_the_detector_sees_a_payload_that_runs(browser: Any) -> None:
    """The checks above are not blind: on a page without CSP, a payload runs and is seen."""
    page = browser.new_page()
    page.add_init_script(_WATCH)
    page.set_content(f"<p>{PAYLOADS[1]}</p><a href='javascript:void(0)'>x</a>")
    page.wait_for_timeout(50)
    assert page.evaluate("window.__xss") == 1
    assert set(page.evaluate(_DANGEROUS_DOM)) == {"IMG[onerror]", "A[href=javascript:void(0)]"}
    page.close()
