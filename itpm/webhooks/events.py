"""Event types: derived from the audit actions every change already writes.

An audit action is ``<object>.<verb>`` ("task.create", "project.stage"); its event type
is ``<object>.<verb in the past tense>`` ("task.created", "project.stage_changed"). Actions
about people's accounts and secrets (users, tokens, saved filters, personal timers) are
never sent anywhere.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

# Audit actions whose name the code builds at run time (f-strings), which the scan of the
# source below cannot see.
BUILT_ACTIONS = [
    "purchase_request.approve",
    "purchase_request.reject",
    "purchase_request.submit",
    "ticket.sla_breach",
    "ticket.sla_warning",
    "timesheet.approve",
    "timesheet.reject",
]
_ACTION_IN_SOURCE = re.compile(r'\baction="([a-z_]+\.[a-z_]+)"')


@functools.cache
def audit_actions() -> list[str]:
    """Every audit action of itpm: the ``audit(action="...")`` calls in its source.

    Read from the code once per process (a few milliseconds), so a new action is an event
    type the day it is written, without a second list to keep in step.
    """
    root = Path(__file__).resolve().parent.parent
    found = set(BUILT_ACTIONS)
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        found.update(_ACTION_IN_SOURCE.findall(path.read_text(encoding="utf-8")))
    return sorted(found)


# Never delivered: accounts, credentials and personal settings.
PRIVATE_OBJECTS = {
    "user",
    "token",
    "saved_filter",
    "timer",
    "team",
    "webhook",
    "calendar_feed",
    "notification_settings",
}

_PAST = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "stage": "stage_changed",
    "submit": "submitted",
    "approve": "approved",
    "reject": "rejected",
    "archive": "archived",
    "escalate": "escalated",
    "accept": "accepted",
    "apply": "applied",
    "close": "closed",
    "cancel": "cancelled",
    "move": "moved",
    "reply": "replied",
    "start": "started",
    "open": "opened",
    "decide": "decided",
    "activate": "activated",
    "record": "recorded",
    "change": "changed",
    "transfer": "transferred",
    "attach": "attached",
    "send": "sent",
    "generate": "generated",
    "handoff": "handed_off",
    "add": "added",
    "remove": "removed",
    "commit": "committed",
    "uncommit": "uncommitted",
    "merge": "merged",
    "import": "imported",
    "request": "requested",
    "level": "leveled",
    "upload": "uploaded",
    "version": "versioned",
    "answer": "answered",
    "pull_budget": "budget_pulled",
    "custom_fields": "custom_fields_changed",
    "create_from_receipt": "created_from_receipt",
    "board_move": "board_moved",
}


def event_type(action: str) -> str | None:
    """The webhook event type of an audit action, or None for one that is never sent."""
    obj, _, verb = action.partition(".")
    if not verb or obj in PRIVATE_OBJECTS:
        return None
    return f"{obj}.{_PAST.get(verb, verb)}"


@functools.cache
def event_types() -> list[str]:
    return sorted({t for t in map(event_type, audit_actions()) if t})


@functools.cache
def families() -> list[str]:
    return sorted({t.split(".", 1)[0] for t in event_types()})


def pattern_problem(pattern: str) -> str | None:
    """Why a subscription's event-type entry is not valid, or None."""
    if pattern == "*" or pattern in event_types():
        return None
    if pattern.endswith(".*") and pattern[:-2] in families():
        return None
    return f"unknown event type {pattern!r} (see GET /api/v1/webhooks/event-types)"


def matches(patterns: Iterable[str], event: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == event:
            return True
        if pattern.endswith(".*") and event.startswith(pattern[:-1]):
            return True
    return False
