"""What the docs screenshot scripts share: their command line, Debian's headless chromium
and the demo manager's login (``pm``), so that each script only says what it shows.

    args = arguments(__doc__)               # --base-url, --out, --chromium (+ extras)
    with logged_in(args, height=800) as page:
        page.goto(f"{args.base}/projects/NET/documents/")
        page.screenshot(path=str(args.out / "documents-tab.png"))
"""

from __future__ import annotations

import argparse
import contextlib
import pathlib
from collections.abc import Iterator

from playwright.sync_api import Page, sync_playwright

DEFAULT_OUT = pathlib.Path(__file__).resolve().parent / "img"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def arguments(doc: str | None, **extra: str) -> argparse.Namespace:
    """The script's options; ``extra`` adds ``--name`` options with their defaults. The
    result carries ``base`` (the URL without a trailing slash); ``out`` exists."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8123")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    for name, default in extra.items():
        parser.add_argument(f"--{name}", default=default)
    args = parser.parse_args()
    args.base = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    return args


@contextlib.contextmanager
def logged_in(args: argparse.Namespace, *, height: int = 800) -> Iterator[Page]:
    """A 1280-pixel-wide page of a fresh chromium, logged in as the demo manager."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": height})
        page.set_default_timeout(30_000)
        page.goto(f"{args.base}/login/")
        page.fill("input[name=username]", "pm")
        page.fill("input[name=password]", "demo-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{args.base}/projects/")
        try:
            yield page
        finally:
            browser.close()
