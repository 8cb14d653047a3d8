"""Regenerate the screenshots in docs/img/ from a running demo server.

Run it by hand when pages change, so the docs show what users see:

    rm -rf /tmp/itpm-shots-data
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm demo
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm serve --port 8123 &
    uv run python docs/screenshots.py                       # writes docs/img/*.png
    uv run python docs/screenshots.py --out /tmp/shots --base-url http://127.0.0.1:8123

It logs in as the demo manager (``pm`` / ``demo-pass-123``), visits each page at a
1280x800 viewport and saves one PNG per page. It uses the Debian chromium at
/usr/bin/chromium (override with --chromium); it never downloads a browser.
Pages that change data (the form with errors) post nothing that is valid, so the
demo data stays as it was.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from playwright.sync_api import ConsoleMessage, Page, sync_playwright

DEFAULT_OUT = pathlib.Path(__file__).resolve().parent / "img"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _shoot(page: Page, out: pathlib.Path, name: str, *, full_page: bool = False) -> None:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"{path}  {path.stat().st_size // 1024} KB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8123")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--project", default="NET", help="demo project key to show")
    parser.add_argument("--username", default="pm")
    parser.add_argument("--password", default="demo-pass-123")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    out: pathlib.Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})

        def on_console(message: ConsoleMessage) -> None:
            # Forms with errors answer 422 on purpose; anything else is a problem to report.
            if message.type == "error" and "status of 422" not in message.text:
                problems.append(f"{page.url}: {message.text}")

        page.on("console", on_console)

        page.goto(f"{base}/login/")
        _shoot(page, out, "login")
        page.fill("input[name=username]", args.username)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/projects/")
        _shoot(page, out, "project-list")

        project = f"{base}/projects/{args.project}"
        for name, url in [
            ("project-overview", f"{project}/"),
            ("project-plan", f"{project}/plan/"),
            ("project-activity", f"{project}/activity/"),
            ("project-settings", f"{project}/settings/"),
        ]:
            page.goto(url)
            _shoot(page, out, name)

        # The plan's forms sit below the WBS; show them, then an inline edit in progress.
        page.goto(f"{project}/plan/")
        page.locator("#task-form").scroll_into_view_if_needed()
        _shoot(page, out, "plan-forms")
        page.goto(f"{project}/plan/")
        page.locator("tr.task-row:not(.summary) td.num").first.click()
        page.wait_for_selector("form.cell-form")
        _shoot(page, out, "plan-inline-edit")

        # A dependency that would close a loop is refused with the cycle named.
        page.goto(f"{project}/plan/")
        form = page.locator("#dependency-form")
        form.locator("select[name=predecessor]").select_option(index=2)
        form.locator("select[name=successor]").select_option(index=1)
        form.locator("button[type=submit]").click()
        page.wait_for_selector("#dependency-form .error")
        page.locator("#dependency-form").scroll_into_view_if_needed()
        _shoot(page, out, "plan-cycle-error")

        # A form with errors: an invalid key and no name, so nothing is created.
        page.goto(f"{base}/projects/new/")
        page.fill("input[name=key]", "bad key")
        page.click("button[type=submit]")
        page.wait_for_selector(".error")
        _shoot(page, out, "project-form-errors")
        browser.close()

    for problem in problems:
        print(f"console error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
