"""Event types: derived from the audit actions every change already writes.

An audit action is ``<object>.<verb>`` ("task.create", "project.stage"); its event type
is ``<object>.<verb in the past tense>`` ("task.created", "project.stage_changed"). Actions
about people's accounts and secrets (users, tokens, saved filters, personal timers) are
never sent anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

# The audit actions of itpm (tests/webhooks/test_events.py fails when a new one is missing).
AUDIT_ACTIONS = """
assignment.create assignment.delete assignment.update asset.create asset.import asset.transfer
asset.update baseline.activate baseline.create baseline.delete budget_line.change
budget_line.create budget_line.delete business_case.create business_case.realized
calendar.create calendar.exception_add calendar.exception_remove calendar.update
canned_reply.create change_request.apply change_request.approve change_request.create
change_request.reject change_request.submit change_request.update closure.acceptors
cycle.close cycle.create cycle.start cycle.update decision.create decision.update
deliverable.accept deliverable.create deliverable.defect_task deliverable.update
dependency.create dependency.delete dependency.update estimate.create estimate.delete
estimate.update expense.create feasibility.create finance.update forecast.request gate.approve
gate.decide gate.history gate.item_add gate.item_update gate.open goods_receipt.create
invoice.accept invoice.record issue.create issue.update label.create lesson.create
member.add member.remove member.update project.accept project.apply_template project.archive
project.cancel project.create project.handoff project.level project.level_clear project.stage
project.update project.wip_limits purchase_order.close purchase_order.create
purchase_request.approve purchase_request.create purchase_request.reject
purchase_request.submit quality_check.record queue.create queue.update request.accept
request.ask_info request.comment request.merge request.reject request.submit request.update
resource.absence_add resource.absence_remove resource.create resource.rate_set resource.update
risk.add_response_task risk.create risk.delete risk.escalate risk.occurred risk.update
service.create service.update sla_policy.create sla_policy.update status_report.generate
status_report.send status_report.update task.board_move task.break_down task.carry_over
task.commit task.create task.delete task.move task.uncommit task.update task_progress.update
ticket.attach ticket.create ticket.escalate ticket.reply ticket.sla_breach ticket.sla_warning
ticket.update time_entry.create time_entry.delete time_entry.update timesheet.approve
timesheet.reject timesheet.submit business_case.pull_budget custom_field.create
custom_field.delete custom_field.update document.delete document.update document.upload
document.version project.import project.import_mspdi request.answer task.custom_fields
task_comment.create task_comment.delete task_comment.update tasks.import asset.create_from_receipt
""".split()  # noqa: SIM905 - a word list reads better than 150 quoted strings

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
}


def event_type(action: str) -> str | None:
    """The webhook event type of an audit action, or None for one that is never sent."""
    obj, _, verb = action.partition(".")
    if not verb or obj in PRIVATE_OBJECTS:
        return None
    return f"{obj}.{_PAST.get(verb, verb)}"


EVENT_TYPES: list[str] = sorted({t for t in map(event_type, AUDIT_ACTIONS) if t})
FAMILIES: list[str] = sorted({t.split(".", 1)[0] for t in EVENT_TYPES})


def pattern_problem(pattern: str) -> str | None:
    """Why a subscription's event-type entry is not valid, or None."""
    if pattern == "*" or pattern in EVENT_TYPES:
        return None
    if pattern.endswith(".*") and pattern[:-2] in FAMILIES:
        return None
    return f"unknown event type {pattern!r} (see GET /api/v1/webhooks/event-types)"


def matches(patterns: Iterable[str], event: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == event:
            return True
        if pattern.endswith(".*") and event.startswith(pattern[:-1]):
            return True
    return False
