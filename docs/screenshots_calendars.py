"""Screenshots of a task scheduled on its resources' own calendar
(docs/img/task-own-calendar.png, gantt-own-calendar.png, resource-night-load.png).

Run against a demo server, like docs/screenshots.py:

    rm -rf /tmp/itpm-shots-data
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm demo
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm serve --port 8123 &
    uv run python docs/screenshots_calendars.py --base-url http://127.0.0.1:8123

The demo's PORTAL go-live cut-over is worked by the "Night crew" (a night change window,
22:00-06:00 New York) beside a day member: it starts the evening the rehearsal ends and
goes on while either works. The script logs in as the demo manager ``pm``, opens the
task's page, the Gantt around the release phase (day zoom) and the crew's resource page.
Debian's chromium at /usr/bin/chromium is used.
"""

from __future__ import annotations

from shots import arguments, logged_in

args = arguments(__doc__)
with logged_in(args, height=420) as page:
    page.goto(f"{args.base}/projects/PORTAL/plan/")
    page.click("a[aria-label='Discussion of Go-live cut-over']")
    page.wait_for_selector(".task-calendars")
    page.screenshot(path=str(args.out / "task-own-calendar.png"))
    task_id = page.url.rstrip("/").split("/")[-2]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{args.base}/projects/PORTAL/gantt/")
    page.wait_for_selector("#gantt.ready")
    page.click("button[data-zoom=day]")
    page.wait_for_timeout(500)
    # Bring the cut-over's bar into view: the rehearsal before it, hypercare after.
    page.eval_on_selector(
        ".gantt-scroll",
        """(e, id) => {
            const bar = document.getElementById(`gantt-bar-${id}`).getBoundingClientRect();
            const box = e.getBoundingClientRect();
            e.scrollLeft += bar.left - box.left - 420;
            e.scrollTop += bar.top - box.top - 260;
        }""",
        task_id,
    )
    page.wait_for_timeout(500)
    page.locator("#gantt").screenshot(path=str(args.out / "gantt-own-calendar.png"))
    page.goto(f"{args.base}/resources/")
    page.locator("a", has_text="Night crew").first.click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(args.out / "resource-night-load.png"), full_page=True)
