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

from shots import arguments, logged_in


def main() -> int:
    args = arguments(__doc__)
    base = args.base
    with logged_in(args, height=800) as page:
        page.goto(f"{base}/projects/PORTAL/webhooks/")
        page.screenshot(path=str(args.out / "webhooks-list.png"), full_page=True)
        page.get_by_role("link", name="https://chat.example.com/hooks/itpm-portal").first.click()
        page.screenshot(path=str(args.out / "webhooks-delivery-log.png"), full_page=True)
        # The newest delivery: the failed one with its seven attempts.
        page.locator("table.compact a").first.click()
        page.screenshot(path=str(args.out / "webhooks-delivery.png"), full_page=True)
    for name in ("webhooks-list", "webhooks-delivery-log", "webhooks-delivery"):
        path = args.out / f"{name}.png"
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
