"""iCalendar (RFC 5545) feeds of tasks and milestones, built with the ``icalendar`` package.

Each task is one VEVENT whose UID stays the same across fetches (``task-<id>@<host>``), so a
calendar client updates the event instead of adding a new one when the plan moves. A
milestone is an all-day event on its date; a task spans its planned start to finish.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from itpm.notifications.events import task_url
from itpm.notifications.services import absolute_url


def _host() -> str:
    return urlsplit(settings.ITPM_BASE_URL).hostname or "itpm"


def build_calendar(name: str, tasks: Iterable[Any], *, now: dt.datetime | None = None) -> bytes:
    now = now or timezone.now()
    cal = Calendar()
    cal.add("prodid", "-//itpm//IT project management//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    host = _host()
    for task in tasks:
        start, finish = task.planned_start, task.planned_finish
        if finish is None and start is None:
            continue
        event = Event()
        event.add("uid", f"task-{task.pk}@{host}")
        event.add("dtstamp", now)
        label = f"{task.project.key} {task.wbs_code} {task.name}".strip()
        if task.milestone:
            day = timezone.localtime(finish or start).date()
            event.add("summary", f"◆ {label}")
            event.add("dtstart", day)
            event.add("dtend", day + dt.timedelta(days=1))
            event.add("transp", "TRANSPARENT")
        else:
            event.add("summary", label)
            event.add("dtstart", start or finish)
            if start and finish and finish > start:
                event.add("dtend", finish)  # without one the event is an instant (RFC 5545)
        event.add("url", absolute_url(task_url(task.pk)))
        event.add("description", f"{task.project.name}\n{task.get_status_display()}, "
                  f"{task.percent_complete} % complete")  # fmt: skip
        cal.add_component(event)
    return bytes(cal.to_ical())
