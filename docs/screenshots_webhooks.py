"""Screenshots of a project's webhooks and the delivery log (docs/img/webhooks-*.png).

Run against a demo server, like docs/screenshots.py:

    rm -rf /tmp/itpm-shots-data
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm demo
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm serve --port 8123 &
    uv run python docs/screenshots_webhooks.py --base-url http://127.0.0.1:8123

It logs in as the demo manager ``pm`` and only reads. Debian's chromium at
/usr/bin/chromium is used.
"""

from __future__ import annotations

import argparse
import pathlib

from playwright.sync_api import sync_playwright

DEFAULT_OUT = pathlib.Path(__file__).resolve().parent / "img"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


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
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "pm")
        page.fill("input[name=password]", "demo-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/projects/")

        page.goto(f"{base}/projects/PORTAL/webhooks/")
        page.screenshot(path=str(args.out / "webhooks-list.png"), full_page=True)
        page.get_by_role("link", name="https://chat.example.com/hooks/itpm-portal").first.click()
        page.screenshot(path=str(args.out / "webhooks-delivery-log.png"), full_page=True)
        # The newest delivery: the failed one with its seven attempts.
        page.locator("table.compact a").first.click()
        page.screenshot(path=str(args.out / "webhooks-delivery.png"), full_page=True)
        browser.close()
    for name in ("webhooks-list", "webhooks-delivery-log", "webhooks-delivery"):
        path = args.out / f"{name}.png"
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
