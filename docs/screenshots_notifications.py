"""Screenshots of notifications and task comments for docs/notifications.md.

    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm demo
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm serve --port 8123 &
    uv run python docs/screenshots_notifications.py --base-url http://127.0.0.1:8123

Logs in as the demo manager (``pm``), opens the notifications page (the bell shows the
unread count), the preferences page and the discussion of the first commented PORTAL task.
Uses the Debian chromium at /usr/bin/chromium; it never downloads a browser.
"""

from __future__ import annotations

import argparse
import pathlib
import re

from playwright.sync_api import sync_playwright

OUT = pathlib.Path(__file__).resolve().parent / "img"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8123")
    parser.add_argument("--task", type=int, required=True, help="id of a commented task")
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "pm")
        page.fill("input[name=password]", "demo-pass-123")
        page.click("button[type=submit], input[type=submit]")
        page.goto(f"{base}/notifications/")
        page.screenshot(path=str(args.out / "notifications-page.png"))
        page.goto(f"{base}/notifications/settings/")
        page.screenshot(path=str(args.out / "notifications-preferences.png"), full_page=True)
        page.goto(f"{base}/tasks/{args.task}/discussion/")
        page.screenshot(path=str(args.out / "task-comments.png"), full_page=True)
        assert re.search(r"Discussion", page.content())
        browser.close()


if __name__ == "__main__":
    main()
