"""Screenshots of split tasks (docs/img/plan-split-form.png, docs/img/gantt-split.png).

Run against a demo server, like docs/screenshots.py:

    rm -rf /tmp/itpm-shots-data
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm demo
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm serve --port 8123 &
    uv run python docs/screenshots_splits.py --base-url http://127.0.0.1:8123

It logs in as the demo manager ``pm`` and builds a small project, MAIL, through the pages
as a manager would: four tasks in a chain starting this Monday, then it splits the mail
migration (16 h of work, a 24 h change freeze, the rest of the work) in the plan table and
shoots the Splits form and the Gantt at the day zoom. A second run reuses the project.
Debian's chromium at /usr/bin/chromium is used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import re

from playwright.sync_api import Page, sync_playwright

DEFAULT_OUT = pathlib.Path(__file__).resolve().parent / "img"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
KEY = "MAIL"
TASKS = [
    ("Prepare the cutover runbook", 16, False),
    ("Migrate the mailboxes", 40, False),
    ("Decommission the old servers", 16, False),
    ("Mail migrated", 0, True),
]
SPLIT_TASK = "Migrate the mailboxes"


def build(page: Page, base: str) -> None:
    """The project (unless there) and its chain of tasks, through the ordinary forms."""
    response = page.goto(f"{base}/projects/{KEY}/plan/")
    if response is not None and response.status == 200:
        _tasks(page)
        return
    today = dt.date.today()  # noqa: DTZ011 - only places the sample plan near today
    monday = today - dt.timedelta(days=today.weekday())
    page.goto(f"{base}/projects/new/")
    page.fill("input[name=key]", KEY)
    page.fill("input[name=name]", "Mail platform migration")
    page.fill("input[name=start_date]", monday.isoformat())
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(re.compile(f"/projects/{KEY}/"))
    page.goto(f"{base}/projects/{KEY}/plan/")
    _tasks(page)


def _tasks(page: Page) -> None:
    for name, hours, milestone in TASKS:
        page.fill("#task-form input[name=name]", name)
        page.fill("#task-form input[name=duration_hours]", str(hours))
        if milestone:
            page.check("#task-form input[name=milestone]")
        page.click("#task-form button[type=submit]")
        page.wait_for_selector(f"td.name:has-text('{name}')")
    for number in range(1, len(TASKS)):
        page.select_option("#dependency-form select[name=predecessor]", label=_label(number))
        page.select_option("#dependency-form select[name=successor]", label=_label(number + 1))
        page.click("#dependency-form button[type=submit]")
        page.wait_for_selector(f"td.preds:has-text('{number}')")


def _label(number: int) -> str:
    return f"{number} {TASKS[number - 1][0]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8123")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 620})
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "pm")
        page.fill("input[name=password]", "demo-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/projects/")
        page.goto(f"{base}/projects/{KEY}/plan/")
        if page.locator("tr.task-row").count() == 0:
            build(page, base)
            page.goto(f"{base}/projects/{KEY}/plan/")
        row = page.locator("tr.task-row", has_text=SPLIT_TASK)
        row.locator("td.num").first.click()
        row.get_by_role("button", name="Split…").click()
        field = row.locator("form.cell-form input[name=splits]")
        field.fill("16:24")
        page.locator("table.wbs-table").screenshot(path=str(args.out / "plan-split-form.png"))
        row.locator("form.cell-form button[type=submit]").click()
        page.wait_for_selector("tr.task-row span.split-mark")
        page.goto(f"{base}/projects/{KEY}/gantt/")
        page.wait_for_selector("#gantt.ready")
        page.click("button[data-zoom=day]")
        # The chart's range starts a week before the first bar: show it from there.
        page.eval_on_selector(".gantt-scroll", "e => { e.scrollLeft = 0; }")
        page.wait_for_timeout(500)
        page.locator("#gantt").screenshot(path=str(args.out / "gantt-split.png"))
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
