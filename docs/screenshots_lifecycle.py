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

from shots import arguments, logged_in


def main() -> int:
    args = arguments(__doc__)
    base = args.base
    names = []
    with logged_in(args, height=800) as page:
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
    for name in names:
        path = args.out / f"{name}.png"
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
