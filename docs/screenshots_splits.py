"""Screenshots of split and elapsed tasks and of durations to the minute
(docs/img/plan-split-form.png, gantt-split.png, plan-elapsed-form.png, gantt-elapsed.png,
plan-minutes.png).

Run against a demo server, like docs/screenshots.py:

    rm -rf /tmp/itpm-shots-data
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm demo
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm serve --port 8123 &
    uv run python docs/screenshots_splits.py --base-url http://127.0.0.1:8123

It logs in as the demo manager ``pm`` and builds a small project, MAIL, through the pages
as a manager would: four tasks in a chain starting this Monday, then it splits the mail
migration (16 h of work, a 24 h change freeze, the rest of the work) in the plan table and
shoots the Splits form and the Gantt at the day zoom. Then a second project, BURN: racking
(32 h), a 72-hour burn-in marked elapsed in the plan table (it runs through the weekend),
the hand-over. A third, OFFICE, on a 37.5-hour week (its calendar set to 09:00-12:30,
13:30-17:30 on the calendar page): durations typed as 7:30, 15, 22h30, 3.75 and 450m,
the last one typed into the duration cell of the plan table. A second run reuses the
projects.
Debian's chromium at /usr/bin/chromium is used.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import re

from playwright.sync_api import Page
from shots import arguments, logged_in

# (name, duration as typed in the add-task form, milestone)
Tasks = list[tuple[str, int | str, bool]]
SPLIT: tuple[str, str, Tasks] = (
    "MAIL",
    "Mail platform migration",
    [
        ("Prepare the cutover runbook", 16, False),
        ("Migrate the mailboxes", 40, False),
        ("Decommission the old servers", 16, False),
        ("Mail migrated", 0, True),
    ],
)
SPLIT_TASK = "Migrate the mailboxes"
ELAPSED: tuple[str, str, Tasks] = (
    "BURN",
    "Compute cluster installation",
    [
        ("Rack the servers", 32, False),
        ("Burn-in test", 72, False),
        ("Hand over to operations", 8, False),
        ("Cluster in service", 0, True),
    ],
)
ELAPSED_TASK = "Burn-in test"
MINUTES: tuple[str, str, Tasks] = (
    "OFFICE",
    "Service desk office move",
    [
        ("Survey the new floor", "7:30", False),
        ("Cable the desks", 15, False),
        ("Move the desks and PCs", "22h30", False),
        ("Test phones and network", "3.75", False),
        ("Hand the keys back", "4h", False),
        ("Desk open in the new office", 0, True),
    ],
)
MINUTES_HOURS = "09:00-12:30, 13:30-17:30"
MINUTES_TASK = "Hand the keys back"


def build(
    page: Page, base: str, key: str, name: str, tasks: Tasks, working_hours: str = ""
) -> None:
    """The project (unless there) and its chain of tasks, through the ordinary forms; with
    ``working_hours``, the project's calendar works those hours first."""
    response = page.goto(f"{base}/projects/{key}/plan/")
    if response is not None and response.status == 200:
        if not page.locator("tr.task-row").count():
            _tasks(page, tasks)
        return
    today = dt.date.today()  # noqa: DTZ011 - only places the sample plan near today
    monday = today - dt.timedelta(days=today.weekday())
    page.goto(f"{base}/projects/new/")
    page.fill("input[name=key]", key)
    page.fill("input[name=name]", name)
    page.fill("input[name=start_date]", monday.isoformat())
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(re.compile(f"/projects/{key}/"))
    if working_hours:
        page.goto(f"{base}/projects/{key}/calendar/")
        page.fill("input[name=working_hours]", working_hours)
        page.get_by_role("button", name="Save calendar and reschedule").click()
        page.wait_for_load_state()
    page.goto(f"{base}/projects/{key}/plan/")
    _tasks(page, tasks)


def _tasks(page: Page, tasks: Tasks) -> None:
    for name, hours, milestone in tasks:
        page.fill("#task-form input[name=name]", name)
        page.fill("#task-form input[name=duration_hours]", str(hours))
        if milestone:
            page.check("#task-form input[name=milestone]")
        page.click("#task-form button[type=submit]")
        page.wait_for_selector(f"td.name:has-text('{name}')")
    for number in range(1, len(tasks)):
        page.select_option("#dependency-form select[name=predecessor]", label=_label(tasks, number))
        page.select_option(
            "#dependency-form select[name=successor]", label=_label(tasks, number + 1)
        )
        page.click("#dependency-form button[type=submit]")
        page.wait_for_selector(f"td.preds:has-text('{number}')")


def _label(tasks: Tasks, number: int) -> str:
    return f"{number} {tasks[number - 1][0]}"


def gantt(page: Page, base: str, key: str, path: pathlib.Path) -> None:
    page.goto(f"{base}/projects/{key}/gantt/")
    page.wait_for_selector("#gantt.ready")
    page.click("button[data-zoom=day]")
    # The chart's range starts a week before the first bar: show it from there.
    page.eval_on_selector(".gantt-scroll", "e => { e.scrollLeft = 0; }")
    page.wait_for_timeout(500)
    page.locator("#gantt").screenshot(path=str(path))


def main() -> int:
    args = arguments(__doc__)
    base = args.base
    with logged_in(args, height=620) as page:
        build(page, base, *SPLIT)
        page.goto(f"{base}/projects/{SPLIT[0]}/plan/")
        row = page.locator("tr.task-row", has_text=SPLIT_TASK)
        row.locator("td.num").first.click()
        row.get_by_role("button", name="Split…").click()
        field = row.locator("form.cell-form input[name=splits]")
        field.fill("16:24")
        page.locator("table.wbs-table").screenshot(path=str(args.out / "plan-split-form.png"))
        row.locator("form.cell-form button[type=submit]").click()
        page.wait_for_selector("tr.task-row span.split-mark")
        gantt(page, base, SPLIT[0], args.out / "gantt-split.png")

        build(page, base, *ELAPSED)
        page.goto(f"{base}/projects/{ELAPSED[0]}/plan/")
        row = page.locator("tr.task-row", has_text=ELAPSED_TASK)
        if row.locator("span.elapsed-mark").count():  # a second run: the mark opens it
            row.locator("span.elapsed-mark").click()
        else:
            row.locator("td.num").first.click()
            row.get_by_role("button", name="Elapsed…").click()
        row.locator("form.cell-form input[name=elapsed]").check()
        page.locator("table.wbs-table").screenshot(path=str(args.out / "plan-elapsed-form.png"))
        row.locator("form.cell-form button[type=submit]").click()
        page.wait_for_selector("tr.task-row span.elapsed-mark")
        gantt(page, base, ELAPSED[0], args.out / "gantt-elapsed.png")

        build(page, base, *MINUTES, working_hours=MINUTES_HOURS)
        page.goto(f"{base}/projects/{MINUTES[0]}/plan/")
        row = page.locator("tr.task-row", has_text=MINUTES_TASK)
        row.locator("td.num").first.click()
        row.locator("form.cell-form input[name=duration_hours]").fill("450m")
        row.locator("form.cell-form button[type=submit]").click()
        page.wait_for_selector(f"tr.task-row:has-text('{MINUTES_TASK}') td.num:text-is('7h30')")
        page.mouse.move(0, 0)  # no hover highlight in the picture
        page.wait_for_timeout(500)  # the table body reloads with the moved dates
        page.locator("table.wbs-table").screenshot(path=str(args.out / "plan-minutes.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
