"""Screenshots of the task import wizard (docs/img/import-*.png).

Run against a demo server, like docs/screenshots.py:

    rm -rf /tmp/itpm-shots-data
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm demo
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm serve --port 8123 &
    uv run python docs/screenshots_interop.py --base-url http://127.0.0.1:8123

It logs in as the demo manager ``pm``, uploads a small spreadsheet to the wizard of
PORTAL and stops at the check (nothing is imported). Debian's chromium at
/usr/bin/chromium is used.
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile

from playwright.sync_api import sync_playwright

DEFAULT_OUT = pathlib.Path(__file__).resolve().parent / "img"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHEET = """Task,Level,Duration,Depends on,Resource names,Start,Notes
Data migration,1,,,,,Wave 2 of the portal
Extract customer records,2,3d,,Lee Nakamura,2027-05-03,
Cleanse and de-duplicate,2,4 days,2,Lee Nakamura,,
Load into the new CRM,2,2d,3FS+1d,Kim Larsen,,
Reconcile counts,2,1d,4,Dana Whitfield,,=SUM(A1:A9)
Migration signed off,2,0,5,,,
"""
BROKEN = SHEET.replace("4 days", "four days").replace("3FS+1d", "9FS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8123")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--project", default="PORTAL")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    folder = pathlib.Path(tempfile.mkdtemp())
    (folder / "migration-plan.csv").write_text(SHEET)
    (folder / "migration-plan-v0.csv").write_text(BROKEN)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "pm")
        page.fill("input[name=password]", "demo-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/projects/")
        wizard = f"{base}/projects/{args.project}/import-export/"

        page.goto(wizard)
        page.set_input_files("input[type=file]", str(folder / "migration-plan.csv"))
        page.get_by_role("button", name="Upload and preview").click()
        page.wait_for_selector("table.import-preview")
        page.select_option("select[name=col_0]", "name")
        page.select_option("select[name=col_3]", "predecessors")
        page.select_option("select[name=col_4]", "resources")
        page.locator("#wizard").screenshot(path=str(args.out / "import-preview.png"))
        page.get_by_role("button", name="Check (dry run)").click()
        page.wait_for_selector("text=will be added")
        page.locator("#wizard").screenshot(path=str(args.out / "import-check.png"))

        page.goto(wizard)
        page.set_input_files("input[type=file]", str(folder / "migration-plan-v0.csv"))
        page.get_by_role("button", name="Upload and preview").click()
        page.wait_for_selector("table.import-preview")
        page.select_option("select[name=col_0]", "name")
        page.select_option("select[name=col_3]", "predecessors")
        page.select_option("select[name=col_4]", "resources")
        page.get_by_role("button", name="Check (dry run)").click()
        page.wait_for_selector("text=Nothing was written")
        page.locator("#wizard").screenshot(path=str(args.out / "import-errors.png"))
        browser.close()
    for name in ("import-preview", "import-check", "import-errors"):
        path = args.out / f"{name}.png"
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
