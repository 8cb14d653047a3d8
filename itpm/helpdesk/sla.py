"""The SLA boundary: a ticket's rows become engine inputs here, once, and back.

- The clock runs on the queue's business calendar (``engine_calendar``), in its zone.
- Targets are business minutes from the queue's SLA policy, per priority.
- First response counts from the ticket's creation; resolution from ``sla_start``, which
  restarts only when a ticket is reopened outside the policy's reopen window.
- Pauses (pending on the requester, and the time between a resolution and a reopening
  inside the window) are stored on the ticket as ISO pairs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from itpm.engine import sla as engine_sla
from itpm.engine.calendar import Calendar
from itpm.helpdesk.models import Queue, SlaTarget, Ticket
from itpm.planning.scheduling import engine_calendar

_calendar_cache: dict[tuple[int, int, str, int], Calendar] = {}


def queue_calendar(queue: Queue) -> Calendar:
    """The engine calendar of a queue (cached per calendar version: holidays are costly)."""
    calendar = queue.calendar
    key = (
        queue.pk or 0,
        calendar.pk if calendar else 0,
        queue.time_zone,
        calendar.version if calendar else 0,
    )
    cached = _calendar_cache.get(key)
    if cached is None:
        cached = engine_calendar(calendar, time_zone=queue.time_zone)
        if len(_calendar_cache) > 256:
            _calendar_cache.clear()
        _calendar_cache[key] = cached
    return cached


def ticket_pauses(ticket: Ticket) -> list[engine_sla.Pause]:
    return [engine_sla.Pause(start, end) for start, end in ticket.pause_pairs()]


@dataclass(frozen=True)
class TicketClocks:
    first_response: engine_sla.Clock | None
    resolution: engine_sla.Clock | None

    def items(self) -> list[tuple[str, str, engine_sla.Clock]]:
        out = []
        if self.first_response is not None:
            out.append((SlaTarget.FIRST_RESPONSE.value, "First response", self.first_response))
        if self.resolution is not None:
            out.append((SlaTarget.RESOLUTION.value, "Resolution", self.resolution))
        return out

    @property
    def worst(self) -> str:
        """The most urgent state across both clocks, for a list's colour."""
        order = ["breached", "warning", "paused", "running", "met"]
        states = [clock.status.value for _, _, clock in self.items() if not clock.stopped] or [
            clock.status.value for _, _, clock in self.items()
        ]
        return min(states, key=order.index) if states else "none"


def ticket_clocks(ticket: Ticket, now: dt.datetime | None = None) -> TicketClocks:
    policy = ticket.queue.sla_policy
    if policy is None:
        return TicketClocks(None, None)
    now = now or timezone.now()
    calendar = queue_calendar(ticket.queue)
    pauses = ticket_pauses(ticket)
    fraction = max(1, min(policy.warning_percent, 100)) / 100
    response = engine_sla.clock(
        calendar,
        start=ticket.created_at,
        target_minutes=policy.target(ticket.priority, "first_response"),
        now=now,
        pauses=pauses if ticket.sla_cycle == 1 else [],
        stopped_at=ticket.first_responded_at,
        warning_fraction=fraction,
    )
    resolution = engine_sla.clock(
        calendar,
        start=ticket.sla_start or ticket.created_at,
        target_minutes=policy.target(ticket.priority, "resolution"),
        now=now,
        pauses=pauses,
        stopped_at=ticket.resolved_at or ticket.closed_at,
        warning_fraction=fraction,
    )
    return TicketClocks(response, resolution)


def refresh_due_times(ticket: Ticket, now: dt.datetime | None = None) -> list[str]:
    """Rewrite the ticket's derived SLA fields; returns the names that changed."""
    clocks = ticket_clocks(ticket, now)
    values = {
        "first_response_due": clocks.first_response.due if clocks.first_response else None,
        "resolution_due": clocks.resolution.due if clocks.resolution else None,
        "response_breached": bool(clocks.first_response and clocks.first_response.breached)
        or (ticket.response_breached and ticket.first_responded_at is not None),
        "resolution_breached": bool(clocks.resolution and clocks.resolution.breached),
    }
    changed = []
    for name, value in values.items():
        if getattr(ticket, name) != value:
            setattr(ticket, name, value)
            changed.append(name)
    return changed


def reopen_resumes(ticket: Ticket, now: dt.datetime) -> bool:
    policy = ticket.queue.sla_policy
    window = policy.reopen_window_days if policy else 7
    resolved = ticket.resolved_at
    return resolved is not None and engine_sla.reopen_resumes(resolved, now, window)
