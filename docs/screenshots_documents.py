"""Screenshots of the Documents tab, the task fields and a task page (docs/img/documents-*.png).

Run against a demo server, like docs/screenshots.py:

    rm -rf /tmp/itpm-shots-data
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm demo
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm serve --port 8123 &
    uv run python docs/screenshots_documents.py --base-url http://127.0.0.1:8123

It logs in as the demo manager ``pm`` and only reads (the error screenshot posts a value
of the wrong type, which changes nothing). Debian's chromium at /usr/bin/chromium is used.
"""

from __future__ import annotations

import re

from shots import arguments, logged_in


def main() -> int:
    args = arguments(__doc__)
    base = args.base
    with logged_in(args, height=800) as page:
        page.goto(f"{base}/projects/NET/documents/")
        page.click("details.version-list summary")  # the runbook's two versions
        page.screenshot(path=str(args.out / "documents-tab.png"), full_page=True)

        page.goto(f"{base}/projects/NET/fields/")
        page.screenshot(path=str(args.out / "documents-fields.png"), full_page=True)
        # One row opened for editing in place (nothing is saved).
        row = page.locator("tr", has=page.get_by_role("link", name="Floor walk and fixes")).nth(2)
        row.locator("button.icon").click()
        page.wait_for_selector("tr.cf-editing select")
        page.locator("tr.cf-editing").scroll_into_view_if_needed()
        page.screenshot(path=str(args.out / "documents-fields-edit.png"))

        link = page.get_by_role("link", name="Core cut-over window")
        href = link.first.get_attribute("href") or ""
        page.goto(f"{base}{href}")
        page.screenshot(path=str(args.out / "documents-task.png"), full_page=True)
        assert re.search(r"/tasks/\d+/documents/$", href), href
    for name in ("documents-tab", "documents-fields", "documents-fields-edit", "documents-task"):
        path = args.out / f"{name}.png"
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
