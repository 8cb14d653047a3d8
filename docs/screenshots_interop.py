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

import pathlib
import tempfile

from shots import arguments, logged_in

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
    args = arguments(__doc__, project="PORTAL")
    base = args.base
    folder = pathlib.Path(tempfile.mkdtemp())
    (folder / "migration-plan.csv").write_text(SHEET)
    (folder / "migration-plan-v0.csv").write_text(BROKEN)
    with logged_in(args, height=900) as page:
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
        page.wait_for_selector("text=tasks to create")
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
    for name in ("import-preview", "import-check", "import-errors"):
        path = args.out / f"{name}.png"
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
