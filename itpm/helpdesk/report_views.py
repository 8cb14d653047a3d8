"""Help-desk reports: volume, backlog, SLA attainment, mean time to respond and resolve,
per queue and priority, drawn as server-side SVG with the numbers in tables below."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from itpm.engine import sla as engine_sla
from itpm.helpdesk import selectors
from itpm.helpdesk.models import OPEN_STATUSES, PRIORITIES, Ticket
from itpm.helpdesk.sla import queue_calendar, ticket_clocks, ticket_pauses

WEEKS = 8
# The default period: the last 13 weeks (a quarter), today included.
DAYS = 91
REPORT_FIELDS = (
    "id", "queue_id", "priority", "status", "created_at", "sla_start", "sla_cycle", "pauses",
    "first_responded_at", "resolved_at", "closed_at",
)  # fmt: skip


def _now() -> dt.datetime:
    """The reports' clock (a seam: tests set the day the report is read)."""
    return timezone.now()


def _bars(
    values: Sequence[tuple[str, float]], *, width: int = 520, unit: str = ""
) -> dict[str, Any]:
    """Geometry of a horizontal bar chart (the template draws the SVG)."""
    top = max((v for _, v in values), default=0) or 1
    row = 26
    bars = []
    for i, (label, value) in enumerate(values):
        length = int((width - 190) * value / top) if value else 0
        bars.append({"label": label, "value": value, "y": i * row + 4, "w": max(length, 1),
                     "text_x": 150 + max(length, 1) + 6, "text_y": i * row + 19, "unit": unit})  # fmt: skip
    return {"bars": bars, "height": max(len(values) * row + 8, 30), "width": width}


def _weekly(values: list[tuple[str, int, int]]) -> dict[str, Any]:
    """Geometry of a column chart of created vs resolved per week."""
    top = max((max(a, b) for _, a, b in values), default=0) or 1
    height, col = 160, 56
    columns = []
    for i, (label, created, resolved) in enumerate(values):
        hc = int((height - 30) * created / top)
        hr = int((height - 30) * resolved / top)
        columns.append({"label": label, "created": created, "resolved": resolved,
                        "x": 30 + i * col, "hc": hc, "yc": height - 20 - hc,
                        "hr": hr, "yr": height - 20 - hr, "label_x": 30 + i * col + 20,
                        "label_y": height - 4})  # fmt: skip
    return {"columns": columns, "height": height, "width": 30 + len(values) * col + 10}


def _hours(minutes: list[int]) -> float | None:
    return round(sum(minutes) / len(minutes) / 60, 1) if minutes else None


def _period(request: HttpRequest, today: dt.date) -> tuple[dt.date, dt.date, list[str]]:
    """The report's period from ``?from=&to=`` (ISO dates), by default the last DAYS days.
    A bad or reversed date is named on the page and the default is used instead."""
    errors = []
    values = {"from": today - dt.timedelta(days=DAYS - 1), "to": today}
    for name in ("from", "to"):
        raw = (request.GET.get(name) or "").strip()
        if raw:
            try:
                values[name] = dt.date.fromisoformat(raw)
            except ValueError:
                errors.append(f"{name}: a date such as {today.isoformat()}")
    if values["from"] > values["to"]:
        errors.append("from: must not be after to")
        values = {"from": today - dt.timedelta(days=DAYS - 1), "to": today}
    return values["from"], values["to"], errors


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    now = _now()
    first_day, last_day, period_errors = _period(request, timezone.localdate(now))
    zone = timezone.get_current_timezone()
    period_start = dt.datetime.combine(first_day, dt.time(0, 0), tzinfo=zone)
    period_end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone)
    queues = list(selectors.agent_queues(request.user).select_related("sla_policy", "calendar"))
    # Only the columns the report reads, and each ticket's queue from the list above: building
    # full rows (and a queue, policy and calendar per ticket) cost more than the clocks.
    # Tickets raised in the period, plus every open one (the backlog is today's, whenever a
    # ticket was raised); the period keeps the page's cost bounded on a large desk.
    by_id = {queue.pk: queue for queue in queues}
    fetched = list(
        Ticket.objects.filter(queue__in=queues)
        .filter(
            Q(created_at__gte=period_start, created_at__lt=period_end) | Q(status__in=OPEN_STATUSES)
        )
        .only(*REPORT_FIELDS)
        .order_by()
    )
    for ticket in fetched:
        ticket.queue = by_id[ticket.queue_id]
    tickets = [t for t in fetched if period_start <= t.created_at < period_end]
    open_tickets = [t for t in fetched if t.is_open]
    # Volume: created and resolved per ISO week, the last WEEKS weeks of the period.
    start_of_week = last_day - dt.timedelta(days=last_day.weekday())
    weeks = [start_of_week - dt.timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    created: dict[dt.date, int] = defaultdict(int)
    resolved: dict[dt.date, int] = defaultdict(int)
    for ticket in tickets:
        day = timezone.localdate(ticket.created_at)
        created[day - dt.timedelta(days=day.weekday())] += 1
        if ticket.resolved_at:
            day = timezone.localdate(ticket.resolved_at)
            resolved[day - dt.timedelta(days=day.weekday())] += 1
    volume = [(w.strftime("%d %b"), created[w], resolved[w]) for w in weeks]

    # Per queue and priority: backlog, attainment, mean business hours to respond/resolve.
    rows: list[dict[str, Any]] = []
    groups: dict[tuple[int, str], list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        groups[(ticket.queue_id, ticket.priority)].append(ticket)
    backlogs: dict[tuple[int, str], int] = defaultdict(int)
    for ticket in open_tickets:
        backlogs[(ticket.queue_id, ticket.priority)] += 1
    for queue in queues:
        calendar = queue_calendar(queue)
        for priority in PRIORITIES:
            group = groups.get((queue.pk, priority), [])
            backlog = backlogs[(queue.pk, priority)]
            if not group and not backlog:
                continue
            respond, resolve, met, measured = [], [], 0, 0
            for t in group:
                clocks = ticket_clocks(t, now)
                # A stopped clock's elapsed time is the business time to respond or resolve
                # (pauses left out), so the means need no second count.
                if t.first_responded_at:
                    first = clocks.first_response
                    respond.append(first.elapsed_minutes if first else engine_sla.elapsed_minutes(
                        calendar, t.created_at, t.first_responded_at, ticket_pauses(t)))  # fmt: skip
                if t.resolved_at:
                    last = clocks.resolution
                    resolve.append(last.elapsed_minutes if last else engine_sla.elapsed_minutes(
                        calendar, t.sla_start or t.created_at, t.resolved_at, ticket_pauses(t)))  # fmt: skip
                for _, _, clock in clocks.items():
                    if clock.stopped or clock.breached:
                        measured += 1
                        met += clock.status == engine_sla.ClockStatus.MET
            rows.append({
                "queue": queue.key, "priority": priority, "volume": len(group),
                "backlog": backlog, "attainment": round(100 * met / measured) if measured else None,
                "measured": measured, "respond_hours": _hours(respond),
                "resolve_hours": _hours(resolve),
            })  # fmt: skip
    by_queue: dict[str, dict[str, int]] = defaultdict(
        lambda: {"met": 0, "measured": 0, "backlog": 0}
    )
    for row in rows:
        if row["attainment"] is not None:
            by_queue[row["queue"]]["met"] += round(row["attainment"] * row["measured"] / 100)
            by_queue[row["queue"]]["measured"] += row["measured"]
        by_queue[row["queue"]]["backlog"] += row["backlog"]
    # Only what was measured is drawn: a queue with no clock stopped yet, or a group with no
    # ticket resolved, has no bar (a 0 bar would read as 0 % met or resolved in 0 h).
    attainment = [
        (key, round(100 * v["met"] / v["measured"]))
        for key, v in sorted(by_queue.items())
        if v["measured"]
    ]
    backlog_bars = [(f"{r['queue']} {r['priority']}", r["backlog"]) for r in rows]
    resolve_chart = [
        (f"{r['queue']} {r['priority']}", r["resolve_hours"])
        for r in rows
        if r["resolve_hours"] is not None
    ]
    return render(request, "helpdesk/reports.html", {
        "queues": queues,
        "rows": rows,
        "volume": _weekly(volume),
        "backlog_chart": _bars(backlog_bars),
        "attainment_chart": _bars(attainment, unit="%"),
        "resolve_chart": _bars(resolve_chart, unit=" h"),
        "total": len(tickets),
        "period_from": first_day, "period_to": last_day, "period_errors": period_errors,
    })  # fmt: skip
