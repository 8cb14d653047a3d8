"""Screenshots of the lifecycle pages that changed with the closure checks, the realized
figures form and the open review's editing (docs/img/lifecycle-*.png).

Run against a demo server, like docs/screenshots.py:

    rm -rf /tmp/itpm-shots-data
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm demo
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm serve --port 8123 &
    uv run python docs/screenshots_lifecycle.py --base-url http://127.0.0.1:8123

It logs in as the demo manager ``pm`` (also a portfolio manager) and only reads. Debian's
chromium at /usr/bin/chromium is used.
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
    names = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(30_000)
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "pm")
        page.fill("input[name=password]", "demo-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/projects/")

        # SDESK in closing: the computed closure checklist and the acceptance.
        page.goto(f"{base}/projects/SDESK/gates/")
        page.screenshot(path=str(args.out / "lifecycle-closing.png"), full_page=True)
        names.append("lifecycle-closing")
        # DWH's open review: add a checklist item or an approver.
        page.goto(f"{base}/projects/DWH/gates/")
        page.locator("article.gate-open").screenshot(path=str(args.out / "lifecycle-gate-edit.png"))
        names.append("lifecycle-gate-edit")
        # A portfolio manager's realized figures form under the business case.
        page.goto(f"{base}/projects/DWH/business-case/")
        page.locator("#realized").screenshot(path=str(args.out / "lifecycle-realized.png"))
        names.append("lifecycle-realized")
        browser.close()
    for name in names:
        path = args.out / f"{name}.png"
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
