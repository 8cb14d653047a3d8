"""Screenshots of the MS Project import (docs/img/mspdi-*.png).

Run against a demo server, like docs/screenshots.py:

    rm -rf /tmp/itpm-shots-data
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm demo
    ITPM_DATA_DIR=/tmp/itpm-shots-data uv run itpm serve --port 8123 &
    uv run python docs/screenshots_mspdi.py --base-url http://127.0.0.1:8123

It logs in as the demo manager ``pm``, fills the import form with a small MS Project XML
plan (a network refresh, written below as MS Project saves it), imports it as project
NETREF and shoots its Gantt chart. Debian's chromium at /usr/bin/chromium is used.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import tempfile

from shots import arguments, logged_in

# (UID, outline level, name, hours, predecessors as (UID, type code, lag in hours), extra XML)
TASKS = [
    (1, 1, "Design", 0, [], "<Summary>1</Summary>"),
    (2, 2, "Survey sites and closets", 24, [], "<PercentComplete>100</PercentComplete>"
     "<ActualStart>{d0}T08:00:00</ActualStart><ActualFinish>{d2}T17:00:00</ActualFinish>"),
    (3, 2, "Low-level design", 40, [(2, 1, 0)], "<PercentComplete>40</PercentComplete>"
     "<ActualStart>{d3}T08:00:00</ActualStart>"),
    (4, 2, "Design approved", 0, [(3, 1, 0)], "<Milestone>1</Milestone>"),
    (5, 1, "Procurement", 0, [], "<Summary>1</Summary>"),
    (6, 2, "Order switches and access points", 16, [(4, 1, 0)], ""),
    (7, 2, "Delivery lead time", 80, [(6, 1, 0)], ""),
    (8, 1, "Rollout", 0, [], "<Summary>1</Summary>"),
    (9, 2, "Stage and configure", 32, [(7, 1, 0)], ""),
    (10, 2, "Replace building A", 40, [(9, 1, 0)], "<ConstraintType>4</ConstraintType>"
     "<ConstraintDate>{d35}T08:00:00</ConstraintDate>"),
    (11, 2, "Replace building B", 40, [(10, 3, 16)], ""),
    (12, 2, "Decommission old switches", 16, [(11, 0, 8)], ""),
    (13, 1, "Network live", 0, [(12, 1, 0)], "<Milestone>1</Milestone>"
     "<Deadline>{d53}T17:00:00</Deadline>"),
]  # fmt: skip


def plan_xml(start: dt.date) -> str:
    """The plan, starting on ``start`` (a Monday), so that the Gantt opens on it."""
    days = {f"d{n}": (start + dt.timedelta(days=n)).isoformat() for n in range(60)}
    tasks = []
    for uid, level, name, hours, links, extra in TASKS:
        link_xml = "".join(
            f"<PredecessorLink><PredecessorUID>{p}</PredecessorUID><Type>{t}</Type>"
            f"<LinkLag>{lag * 600}</LinkLag><LagFormat>7</LagFormat></PredecessorLink>"
            for p, t, lag in links
        )
        tasks.append(
            f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><OutlineLevel>{level}"
            f"</OutlineLevel><Duration>PT{hours}H0M0S</Duration>{extra.format(**days)}{link_xml}</Task>"
        )
    week = "".join(
        f"<WeekDay><DayType>{d}</DayType><DayWorking>1</DayWorking><WorkingTimes>"
        "<WorkingTime><FromTime>08:00:00</FromTime><ToTime>12:00:00</ToTime></WorkingTime>"
        "<WorkingTime><FromTime>13:00:00</FromTime><ToTime>17:00:00</ToTime></WorkingTime>"
        "</WorkingTimes></WeekDay>"
        for d in range(2, 7)
    )
    return (
        (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Project xmlns="http://schemas.microsoft.com/project"><Name>network-refresh.xml</Name>'
            "<Title>Campus network refresh</Title><StartDate>{d0}T08:00:00</StartDate>"
            "<CalendarUID>1</CalendarUID><MinutesPerDay>480</MinutesPerDay><Calendars><Calendar>"
            "<UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar><WeekDays>"
            "<WeekDay><DayType>1</DayType><DayWorking>0</DayWorking></WeekDay>"
            f"<WeekDay><DayType>7</DayType><DayWorking>0</DayWorking></WeekDay>{week}</WeekDays>"
            "<Exceptions><Exception><TimePeriod><FromDate>{d21}T00:00:00</FromDate>"
            "<ToDate>{d22}T23:59:00</ToDate></TimePeriod><Name>Year-end freeze</Name><Type>1</Type>"
            "<DayWorking>0</DayWorking></Exception></Exceptions></Calendar></Calendars>"
            f"<Tasks>{''.join(tasks)}</Tasks></Project>"
        )
        .replace("{d0}", days["d0"])
        .replace("{d21}", days["d21"])
        .replace("{d22}", days["d22"])
    )


def main() -> int:
    args = arguments(__doc__)
    base = args.base
    path = pathlib.Path(tempfile.mkdtemp()) / "network-refresh.xml"
    today = dt.date.today()  # noqa: DTZ011 - only places the sample plan near today
    path.write_text(plan_xml(today - dt.timedelta(days=today.weekday() + 7)))
    with logged_in(args, height=760) as page:
        page.get_by_role("button", name="Import from MS Project").click()
        page.wait_for_url(f"{base}/projects/import/mspdi/")
        page.set_input_files("input[type=file]", str(path))
        page.fill("input[name=key]", "NETREF")
        page.locator("main").screenshot(path=str(args.out / "mspdi-import.png"))
        page.get_by_role("button", name="Import plan").click()
        page.wait_for_url(f"{base}/projects/NETREF/gantt/")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(args.out / "mspdi-gantt.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
