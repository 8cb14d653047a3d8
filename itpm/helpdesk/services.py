"""Use cases of the help desk: queues, SLA policies, tickets, replies, attachments, sweep.

Every write checks permission, validates, runs in one transaction, bumps ``version`` and
writes an audit event (ticket history) in that same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from itpm.accounts.models import Role, Team, User
from itpm.accounts.permissions import is_admin, require_role
from itpm.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from itpm.core.services import apply_changes, audit, check_version, json_value, save_versioned
from itpm.core.uploads import check_upload
from itpm.helpdesk import selectors
from itpm.helpdesk.models import (
    DEFAULT_PRIORITY_MATRIX,
    OPEN_STATUSES,
    PRIORITIES,
    CannedReply,
    Level,
    Queue,
    SavedFilter,
    SlaEvent,
    SlaPolicy,
    SlaTarget,
    SlaThreshold,
    Ticket,
    TicketAttachment,
    TicketComment,
    TicketStatus,
    TicketType,
    is_portal_only,
)
from itpm.helpdesk.sla import refresh_due_times, reopen_resumes, ticket_clocks
from itpm.planning.models import WorkCalendar
from itpm.portfolio.models import Project

log = logging.getLogger(__name__)

# Attachments: file types by extension (the browser's content type is not trusted).
ALLOWED_EXTENSIONS = {
    ".txt": "text/plain", ".log": "text/plain", ".csv": "text/csv", ".pdf": "application/pdf",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".json": "application/json", ".xml": "application/xml",
    ".zip": "application/zip", ".eml": "message/rfc822", ".msg": "application/vnd.ms-outlook",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}  # fmt: skip

TICKET_FIELDS = (
    "title", "description", "ticket_type", "impact", "urgency", "priority", "category",
    "status", "assignee", "service", "asset", "project", "problem", "resolution", "queue",
    "watchers",
)  # fmt: skip
QUEUE_FIELDS = (
    "name", "description", "calendar", "time_zone", "sla_policy", "priority_matrix",
    "categories", "portal_visible",
)  # fmt: skip
QUEUE_KEY = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")


def _now() -> dt.datetime:
    return timezone.now()


def _errors(errors: list[FieldError]) -> None:
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def _internal(actor: Any, what: str) -> None:
    if actor is None or not actor.is_authenticated:
        raise Forbidden(f"log in to {what}")
    if is_portal_only(actor):
        raise NotFound("not found")


def _require_agent(actor: Any, queue: Queue) -> None:
    if not selectors.is_agent(actor, queue):
        raise Forbidden(f"only agents of {queue.key} ({queue.team.name}) may do this")


# ------------------------------------------------------------------ SLA policies
def _validate_targets(targets: Any) -> dict[str, dict[str, int]]:
    if not isinstance(targets, dict):
        raise Invalid.field("targets", "expected an object keyed by priority P1..P4")
    clean: dict[str, dict[str, int]] = {}
    for priority in PRIORITIES:
        row = targets.get(priority)
        if not isinstance(row, dict):
            raise Invalid.field(f"targets.{priority}", "missing")
        clean[priority] = {}
        for name in ("first_response_minutes", "resolution_minutes"):
            value = row.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 525_600:
                raise Invalid.field(
                    f"targets.{priority}.{name}", "business minutes from 1 to 525600"
                )
            clean[priority][name] = value
        if clean[priority]["resolution_minutes"] < clean[priority]["first_response_minutes"]:
            raise Invalid.field(
                f"targets.{priority}.resolution_minutes", "must not be below first response"
            )
    unknown = set(targets) - set(PRIORITIES)
    if unknown:
        raise Invalid.field(f"targets.{sorted(unknown)[0]}", "unknown priority (P1..P4)")
    return clean


def sla_policy_create(
    *,
    actor: Any,
    name: str,
    targets: dict[str, Any] | None = None,
    description: str = "",
    reopen_window_days: int = 7,
    warning_percent: int = 75,
) -> SlaPolicy:
    if not is_admin(actor):
        raise Forbidden("only site admins may create SLA policies")
    name = (name or "").strip()
    if not name:
        raise Invalid.field("name", "must not be empty")
    data: dict[str, Any] = {
        "name": name, "description": description,
        "reopen_window_days": reopen_window_days, "warning_percent": warning_percent,
    }  # fmt: skip
    if targets is not None:
        data["targets"] = _validate_targets(targets)
    _validate_policy(data)
    with transaction.atomic():
        if SlaPolicy.objects.filter(name=name).exists():
            raise Conflict(f"an SLA policy named {name!r} exists", [FieldError("name", "taken")])
        policy = SlaPolicy.objects.create(**data)
        audit(actor=actor, action="sla_policy.create", obj=policy,
              changes={k: [None, json_value(v)] for k, v in data.items()})  # fmt: skip
    return policy


def _validate_policy(data: dict[str, Any]) -> None:
    if "reopen_window_days" in data and not 0 <= int(data["reopen_window_days"]) <= 365:
        raise Invalid.field("reopen_window_days", "from 0 to 365")
    if "warning_percent" in data and not 1 <= int(data["warning_percent"]) <= 100:
        raise Invalid.field("warning_percent", "from 1 to 100")


def sla_policy_update(
    *, actor: Any, policy: SlaPolicy, version: int | None, data: dict[str, Any]
) -> SlaPolicy:
    if not is_admin(actor):
        raise Forbidden("only site admins may change SLA policies")
    allowed = {"name", "description", "targets", "reopen_window_days", "warning_percent"}
    unknown = set(data) - allowed
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    if "targets" in data:
        data["targets"] = _validate_targets(data["targets"])
    if "name" in data and not str(data["name"] or "").strip():
        raise Invalid.field("name", "must not be empty")
    _validate_policy(data)
    with transaction.atomic():
        policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
        check_version(policy, version)
        changes = apply_changes(policy, data)
        if changes:
            try:
                with transaction.atomic():
                    save_versioned(policy, list(changes))
            except IntegrityError:
                raise Conflict("an SLA policy with this name exists") from None
            audit(actor=actor, action="sla_policy.update", obj=policy, changes=changes)
    return policy


# ------------------------------------------------------------------ queues
def _validate_matrix(matrix: Any) -> dict[str, dict[str, str]]:
    if not isinstance(matrix, dict):
        raise Invalid.field("priority_matrix", "expected {impact: {urgency: priority}}")
    clean: dict[str, dict[str, str]] = {}
    for impact in Level.values:
        row = matrix.get(impact)
        if not isinstance(row, dict):
            raise Invalid.field(f"priority_matrix.{impact}", "missing")
        clean[impact] = {}
        for urgency in Level.values:
            value = row.get(urgency)
            if value not in PRIORITIES:
                raise Invalid.field(f"priority_matrix.{impact}.{urgency}", "must be P1..P4")
            clean[impact][urgency] = value
    return clean


def _validate_queue(data: dict[str, Any]) -> dict[str, Any]:
    if "name" in data and not str(data["name"] or "").strip():
        raise Invalid.field("name", "must not be empty")
    if "priority_matrix" in data:
        data["priority_matrix"] = _validate_matrix(data["priority_matrix"])
    if "categories" in data:
        cats = data["categories"]
        if not isinstance(cats, list) or not all(isinstance(c, str) and c.strip() for c in cats):
            raise Invalid.field("categories", "a list of non-empty names")
        data["categories"] = list(dict.fromkeys(c.strip()[:120] for c in cats))
    if "time_zone" in data:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(str(data["time_zone"]))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise Invalid.field("time_zone", "unknown time zone") from None
    return data


def queue_create(
    *,
    actor: Any,
    key: str,
    name: str,
    team: Team,
    description: str = "",
    calendar: WorkCalendar | None = None,
    time_zone: str = "UTC",
    sla_policy: SlaPolicy | None = None,
    priority_matrix: dict[str, dict[str, str]] | None = None,
    categories: list[str] | None = None,
    portal_visible: bool = True,
) -> Queue:
    """Create a help-desk queue owned by ``team`` (site admins only)."""
    if not is_admin(actor):
        raise Forbidden("only site admins may create queues")
    key = (key or "").strip().upper()
    if not QUEUE_KEY.match(key):
        raise Invalid.field("key", "2 to 10 capital letters or digits, starting with a letter")
    data = _validate_queue({
        "name": name, "description": description, "calendar": calendar, "time_zone": time_zone,
        "sla_policy": sla_policy, "categories": categories or [], "portal_visible": portal_visible,
        "priority_matrix": priority_matrix or {k: dict(v) for k, v in DEFAULT_PRIORITY_MATRIX.items()},
    })  # fmt: skip
    with transaction.atomic():
        if Queue.objects.filter(key=key).exists():
            raise Conflict(f"queue key {key} is taken", [FieldError("key", "taken")])
        queue = Queue.objects.create(key=key, team=team, **data)
        audit(actor=actor, action="queue.create", obj=queue,
              changes={"key": [None, key], "team": [None, team.name],
                       **{k: [None, json_value(v)] for k, v in data.items()}})  # fmt: skip
    return queue


def queue_update(*, actor: Any, queue: Queue, version: int | None, data: dict[str, Any]) -> Queue:
    """Queue settings: admins, or agents of the queue (its team)."""
    unknown = set(data) - set(QUEUE_FIELDS) - {"team"}
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    if "team" in data and not is_admin(actor):
        raise Forbidden("only site admins may move a queue to another team")
    _require_agent(actor, queue)
    data = _validate_queue(dict(data))
    with transaction.atomic():
        queue = Queue.objects.select_for_update().get(pk=queue.pk)
        check_version(queue, version)
        changes = apply_changes(queue, data)
        if changes:
            save_versioned(queue, list(changes))
            audit(actor=actor, action="queue.update", obj=queue, changes=changes)
    return queue


# ------------------------------------------------------------------ tickets
def _validate_ticket(data: dict[str, Any]) -> None:
    errors: list[FieldError] = []
    if "title" in data:
        title = str(data["title"] or "").strip()
        if not title:
            errors.append(FieldError("title", "must not be empty"))
        elif len(title) > 300:
            errors.append(FieldError("title", "at most 300 characters"))
    if "description" in data and len(str(data["description"] or "")) > 50_000:
        errors.append(FieldError("description", "at most 50000 characters"))
    for name, choices in (
        ("ticket_type", TicketType.values), ("impact", Level.values), ("urgency", Level.values),
        ("status", TicketStatus.values), ("priority", list(PRIORITIES)),
    ):  # fmt: skip
        if name in data and data[name] not in choices:
            errors.append(FieldError(name, f"must be one of {', '.join(choices)}"))
    if "category" in data and len(str(data["category"] or "")) > 120:
        errors.append(FieldError("category", "at most 120 characters"))
    _errors(errors)


def _check_links(actor: Any, data: dict[str, Any], ticket: Ticket | None = None) -> None:
    """Linked objects must be ones the actor may see; an assignee must be an agent."""
    from itpm.accounts.permissions import visible_projects

    project = data.get("project")
    if project is not None and not visible_projects(actor).filter(pk=project.pk).exists():
        raise Invalid.field("project", "no such project")
    queue = data.get("queue") or (ticket.queue if ticket else None)
    assignee = data.get("assignee")
    if assignee is not None and queue is not None and not selectors.is_agent(assignee, queue):
        raise Invalid.field("assignee", f"{assignee.username} is not an agent of {queue.key}")
    problem = data.get("problem")
    if problem is not None:
        if problem.ticket_type != TicketType.PROBLEM:
            raise Invalid.field("problem", f"{problem.ref} is not a problem ticket")
        if ticket is not None and problem.pk == ticket.pk:
            raise Invalid.field("problem", "a ticket cannot be its own problem")


def ticket_create(
    *,
    actor: User,
    queue: Queue,
    title: str,
    description: str = "",
    ticket_type: str = TicketType.INCIDENT,
    impact: str = Level.MEDIUM,
    urgency: str = Level.MEDIUM,
    category: str = "",
    requester: User | None = None,
    assignee: User | None = None,
    service: Any = None,
    asset: Any = None,
    project: Project | None = None,
    problem: Ticket | None = None,
    source: str = "agent",
    now: dt.datetime | None = None,
) -> Ticket:
    """Raise a ticket. Anyone logged in may raise one for themselves; agents of the queue
    may raise one on someone's behalf and set assignee and links."""
    if actor is None or not actor.is_authenticated:
        raise Forbidden("log in to raise tickets")
    agent = selectors.is_agent(actor, queue)
    if not agent and not queue.portal_visible:
        raise NotFound("queue not found")
    on_behalf = requester is not None and requester.pk != actor.pk
    if not agent and (on_behalf or assignee or problem):
        raise Forbidden(f"only agents of {queue.key} may set requester, assignee or problem")
    if is_portal_only(actor) and (project is not None or asset is not None):
        raise NotFound("not found")
    requester = requester or actor
    data = {
        "title": (title or "").strip(), "description": description, "ticket_type": ticket_type,
        "impact": impact, "urgency": urgency, "category": (category or "").strip(),
    }  # fmt: skip
    _validate_ticket(data)
    if queue.categories and data["category"] and data["category"] not in queue.categories:
        raise Invalid.field("category", f"must be one of {', '.join(queue.categories)}")
    links = {"assignee": assignee, "project": project, "problem": problem, "queue": queue}
    _check_links(actor, links)
    now = now or _now()
    with transaction.atomic():
        ticket = Ticket(
            queue=queue, requester=requester, assignee=assignee, service=service, asset=asset,
            project=project, problem=problem, source=source,
            priority=queue.priority_for(impact, urgency), sla_start=now,
            status=TicketStatus.OPEN if assignee else TicketStatus.NEW, **data,
        )  # fmt: skip
        ticket.save()
        # created_at is the clock's start; pin it to ``now`` (tests and imports inject it).
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now)
        ticket.created_at = now
        refresh_due_times(ticket, now)
        Ticket.objects.filter(pk=ticket.pk).update(
            first_response_due=ticket.first_response_due, resolution_due=ticket.resolution_due
        )
        if requester.pk != actor.pk:
            ticket.watchers.add(requester)
        audit(
            actor=actor,
            action="ticket.create",
            obj=ticket,
            project=project,
            changes={
                **{k: [None, json_value(v)] for k, v in data.items() if v not in ("", None)},
                "queue": [None, queue.key], "priority": [None, ticket.priority],
                "requester": [None, requester.username],
                **({"assignee": [None, assignee.username]} if assignee else {}),
            },
        )  # fmt: skip
        _notify_agents(ticket, f"New ticket {ticket.ref}: {ticket.title}", exclude=actor)
        _copy_hypercare_team(ticket, actor, now)
    return ticket


def _copy_hypercare_team(ticket: Ticket, actor: User, now: dt.datetime) -> list[User]:
    """During the hypercare window after a project's handoff, the project team watches (and
    is told about) tickets on the services it delivered; afterwards operations is alone.

    Runs inside the caller's transaction. Returns the people newly added as watchers.
    """
    if ticket.service_id is None:
        return []
    from itpm.portfolio.closing import hypercare_watchers

    already = set(ticket.watchers.values_list("pk", flat=True))
    people = [
        person
        for person in hypercare_watchers(ticket.service, today=timezone.localdate(now))
        if person.pk not in already and person.pk != ticket.requester_id and person.is_active
    ]
    if not people:
        return []
    ticket.watchers.add(*people)
    audit(actor=actor, action="ticket.hypercare_watchers", obj=ticket, project=ticket.project,
          changes={"watchers": [None, sorted(p.username for p in people)]})  # fmt: skip
    _notify(people, f"Hypercare: {ticket.ref} on {ticket.service}: {ticket.title}", ticket)
    return people


def _pause_open(ticket: Ticket, now: dt.datetime) -> None:
    pauses = list(ticket.pauses or [])
    if not pauses or pauses[-1][1] is not None:
        pauses.append([now.isoformat(), None])
    ticket.pauses = pauses


def _pause_close(ticket: Ticket, now: dt.datetime) -> None:
    pauses = [list(p) for p in ticket.pauses or []]
    if pauses and pauses[-1][1] is None:
        pauses[-1][1] = now.isoformat()
    ticket.pauses = pauses


def _transition(ticket: Ticket, new: str, now: dt.datetime) -> dict[str, list[Any]]:
    """Apply a status change and its clock effects; returns the extra field changes."""
    old = ticket.status
    if old == new:
        return {}
    if old == TicketStatus.CLOSED:
        raise Conflict(f"{ticket.ref} is closed; raise a new ticket instead")
    before = {
        "pauses": list(ticket.pauses or []), "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at, "sla_start": ticket.sla_start,
        "sla_cycle": ticket.sla_cycle, "reopened_at": ticket.reopened_at,
    }  # fmt: skip
    if old == TicketStatus.PENDING_REQUESTER:
        _pause_close(ticket, now)
    if new == TicketStatus.PENDING_REQUESTER:
        _pause_open(ticket, now)
    if new in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and ticket.resolved_at is None:
        ticket.resolved_at = now
    if new == TicketStatus.CLOSED:
        ticket.closed_at = now
    if old == TicketStatus.RESOLVED and new in OPEN_STATUSES:
        ticket.reopened_at = now
        if reopen_resumes(ticket, now):
            # Within the window the clock resumes where it stopped: the time it stood
            # resolved becomes a pause.
            assert ticket.resolved_at is not None
            ticket.pauses = [*list(ticket.pauses or []), [ticket.resolved_at.isoformat(), now.isoformat()]]  # fmt: skip
        else:
            ticket.sla_cycle += 1
            ticket.sla_start = now
            ticket.pauses = [] if new != TicketStatus.PENDING_REQUESTER else ticket.pauses[-1:]
            ticket.resolution_breached = False
        ticket.resolved_at = None
    ticket.status = new
    changes: dict[str, list[Any]] = {"status": [old, new]}
    for name, value in before.items():
        if getattr(ticket, name) != value:
            changes[name] = [json_value(value), json_value(getattr(ticket, name))]
    return changes


def ticket_update(
    *,
    actor: User,
    ticket: Ticket,
    version: int | None,
    data: dict[str, Any],
    now: dt.datetime | None = None,
) -> Ticket:
    """Agents change a ticket: fields, status (with its clock effects), assignee, links."""
    unknown = set(data) - set(TICKET_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    _require_agent(actor, ticket.queue)
    data = dict(data)
    if "title" in data and data["title"] is not None:
        data["title"] = str(data["title"]).strip()
    for required in ("title", "ticket_type", "impact", "urgency", "status", "priority", "queue"):
        if required in data and data[required] is None:
            raise Invalid.field(required, "must not be null")
    _validate_ticket(data)
    _check_links(actor, data, ticket)
    for person in data.get("watchers") or []:
        # The portal shows a requester their own tickets only: another outside requester
        # named as a watcher would be told of a ticket they can never open.
        if is_portal_only(person) and person.pk != ticket.requester_id:
            raise Invalid.field(
                "watchers", f"{person.username} is an outside requester of another ticket"
            )
    if "queue" in data and data["queue"] != ticket.queue:
        _require_agent(actor, data["queue"])
    now = now or _now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("queue").get(pk=ticket.pk)
        check_version(ticket, version)
        status = data.pop("status", None)
        watchers = data.pop("watchers", None)
        if ("impact" in data or "urgency" in data) and "priority" not in data:
            data["priority"] = ticket.queue.priority_for(
                data.get("impact", ticket.impact), data.get("urgency", ticket.urgency)
            )
        changes = apply_changes(ticket, data)
        if status is not None:
            changes.update(_transition(ticket, status, now))
        elif "assignee" in changes and ticket.status == TicketStatus.NEW and ticket.assignee:
            changes.update(_transition(ticket, TicketStatus.OPEN, now))
        if watchers is not None:
            before = sorted(ticket.watchers.values_list("username", flat=True))
            after = sorted({u.username for u in watchers})
            if before != after:
                ticket.watchers.set(watchers)
                changes["watchers"] = [before, after]
        if changes:
            changed = [n for n in changes if n != "watchers"]
            changed += refresh_due_times(ticket, now)
            if changed:
                save_versioned(ticket, list(dict.fromkeys(changed)))
            audit(actor=actor, action="ticket.update", obj=ticket, project=ticket.project,
                  changes=changes)  # fmt: skip
            if "service" in changes:
                _copy_hypercare_team(ticket, actor, now)
            if "assignee" in changes and ticket.assignee and ticket.assignee != actor:
                _notify([ticket.assignee], f"{ticket.ref} was assigned to you: {ticket.title}",
                        ticket)  # fmt: skip
            if "status" in changes and status in (
                TicketStatus.RESOLVED,
                TicketStatus.PENDING_REQUESTER,
            ):
                verb = "was resolved" if status == TicketStatus.RESOLVED else "needs your reply"
                _notify([ticket.requester], f"Your ticket {ticket.ref} {verb}", ticket,
                        portal=True)  # fmt: skip
    return ticket


def ticket_comment_add(
    *,
    actor: User,
    ticket: Ticket,
    body: str,
    public: bool = True,
    now: dt.datetime | None = None,
) -> TicketComment:
    """A public reply or an internal note.

    Agents may write both; the requester and watchers write public replies. An agent's
    first public reply stops the first-response clock; a requester's reply brings a ticket
    that waits on them (or a resolved one) back to open.
    """
    body = (body or "").strip()
    if not body:
        raise Invalid.field("body", "must not be empty")
    if len(body) > 50_000:
        raise Invalid.field("body", "at most 50000 characters")
    agent = selectors.is_agent(actor, ticket.queue)
    if not agent:
        if not selectors.visible_tickets(actor).filter(pk=ticket.pk).exists():
            raise NotFound("ticket not found")
        if not public:
            raise Forbidden("only agents may write internal notes")
    if ticket.status == TicketStatus.CLOSED:
        raise Conflict(f"{ticket.ref} is closed; raise a new ticket instead")
    now = now or _now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("queue").get(pk=ticket.pk)
        comment = TicketComment.objects.create(
            ticket=ticket, author=actor, body=body, public=public
        )
        TicketComment.objects.filter(pk=comment.pk).update(created_at=now)
        comment.created_at = now
        changes: dict[str, list[Any]] = {}
        if agent and public and ticket.first_responded_at is None:
            ticket.first_responded_at = now
            changes["first_responded_at"] = [None, now.isoformat()]
            if ticket.status == TicketStatus.NEW:
                changes.update(_transition(ticket, TicketStatus.OPEN, now))
        is_requester_side = not agent or actor.pk == ticket.requester_id
        if is_requester_side and public and ticket.status in (
            TicketStatus.PENDING_REQUESTER, TicketStatus.RESOLVED,
        ):  # fmt: skip
            changes.update(_transition(ticket, TicketStatus.OPEN, now))
        if changes:
            changed = [n for n in changes] + refresh_due_times(ticket, now)
            save_versioned(ticket, list(dict.fromkeys(changed)))
        audit(
            actor=actor,
            action="ticket.reply" if public else "ticket.note",
            obj=ticket,
            project=ticket.project,
            changes={"comment": [None, comment.pk], **changes},
        )
        if public and agent and actor.pk != ticket.requester_id:
            _notify([ticket.requester], f"New reply on your ticket {ticket.ref}", ticket,
                    portal=True)  # fmt: skip
        elif public:
            people = [ticket.assignee] if ticket.assignee else None
            _notify_agents(ticket, f"{actor.display_name} replied on {ticket.ref}", exclude=actor,
                           people=people)  # fmt: skip
    return comment


def ticket_attachment_add(
    *,
    actor: User,
    ticket: Ticket,
    upload: Any,
    public: bool = True,
    comment: TicketComment | None = None,
) -> TicketAttachment:
    """Attach a file: size and type checked, name sanitized, stored on the default storage."""
    agent = selectors.is_agent(actor, ticket.queue)
    if not agent:
        if not selectors.visible_tickets(actor).filter(pk=ticket.pk).exists():
            raise NotFound("ticket not found")
        if not public:
            raise Forbidden("only agents may attach files to internal notes")
    if ticket.status == TicketStatus.CLOSED:
        raise Conflict(f"{ticket.ref} is closed")
    # Size, type (by content) and a safe name: the checks every upload passes (issue 10).
    safe = check_upload(
        upload, max_bytes=settings.ITPM_MAX_UPLOAD_MB * 1024 * 1024,
        allowed_types=ALLOWED_EXTENSIONS,
    )  # fmt: skip
    if ticket.attachments.count() >= settings.ITPM_MAX_ATTACHMENTS:
        raise Invalid.field("file", f"a ticket holds at most {settings.ITPM_MAX_ATTACHMENTS} files")
    name, size, content_type = safe.name, safe.size, safe.content_type
    with transaction.atomic():
        attachment = TicketAttachment(
            ticket=ticket, comment=comment, name=name, content_type=content_type, size=size,
            public=public, uploaded_by=actor,
        )  # fmt: skip
        attachment.file.save(name, upload, save=False)
        attachment.save()
        audit(actor=actor, action="ticket.attach", obj=ticket, project=ticket.project,
              changes={"attachment": [None, name], "public": [None, public]})  # fmt: skip
    return attachment


def tickets_bulk_update(
    *, actor: User, tickets: Iterable[Ticket], assignee: User | None = None, close: bool = False
) -> int:
    """Assign many tickets (to ``assignee``) or close them, all or nothing."""
    tickets = list(tickets)
    if not tickets:
        raise Invalid.field("tickets", "choose at least one ticket")
    if assignee is None and not close:
        raise Invalid.field("action", "choose an assignee or close")
    with transaction.atomic():
        for ticket in tickets:
            data: dict[str, Any] = {}
            if assignee is not None:
                data["assignee"] = assignee
            if close:
                data["status"] = TicketStatus.CLOSED
            ticket_update(actor=actor, ticket=ticket, version=None, data=data)
    return len(tickets)


def ticket_escalate(
    *,
    actor: User,
    ticket: Ticket,
    project: Project | None = None,
    kind: str = "task",
    name: str = "",
) -> Ticket:
    """Escalate a ticket into a task on a project, or into a project request (intake).

    The link is kept both ways: ``ticket.escalated_task`` / ``task.escalated_tickets``, and
    ``ticket.escalated_request_id`` with the request's description naming the ticket.
    """
    _require_agent(actor, ticket.queue)
    if ticket.escalated_task_id or ticket.escalated_request_id:
        raise Conflict(f"{ticket.ref} is already escalated")
    title = (name or "").strip() or f"{ticket.ref}: {ticket.title}"[:200]
    body = f"Escalated from help-desk ticket {ticket.ref}.\n\n{ticket.description}"
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("queue").get(pk=ticket.pk)
        if kind == "task":
            if project is None:
                raise Invalid.field("project", "choose the project that takes the task")
            from itpm.planning.services import task_create

            require_role(actor, project, Role.MEMBER)
            task = task_create(actor=actor, project=project, name=title[:300], description=body)
            ticket.escalated_task = task
            ticket.project = ticket.project or project
            fields = ["escalated_task", "project"]
            changes = {"escalated_task": [None, task.pk]}
        elif kind == "request":
            request_id = _escalate_to_request(actor=actor, ticket=ticket, title=title, body=body)
            ticket.escalated_request_id = request_id
            fields = ["escalated_request_id"]
            changes = {"escalated_request": [None, request_id]}
        else:
            raise Invalid.field("kind", "must be task or request")
        save_versioned(ticket, fields)
        audit(actor=actor, action="ticket.escalate", obj=ticket, project=ticket.project,
              changes=changes)  # fmt: skip
    return ticket


def _escalate_to_request(*, actor: User, ticket: Ticket, title: str, body: str) -> int:
    """The hook into intake (issue 5): a project request that names the ticket."""
    try:
        from itpm.portfolio.intake import request_submit
    except ImportError:  # intake not installed: nothing to escalate into
        raise Invalid.field("kind", "project requests are not available here") from None
    request = request_submit(actor=actor, title=title[:200], problem=body)
    return int(request.pk)


def escalated_request(ticket: Ticket) -> Any:
    """The project request a ticket was escalated into (None when there is none)."""
    if not ticket.escalated_request_id:
        return None
    try:
        from itpm.portfolio.models import ProjectRequest
    except ImportError:
        return None
    return ProjectRequest.objects.filter(pk=ticket.escalated_request_id).first()


def canned_reply_create(
    *, actor: User, title: str, body: str, queue: Queue | None = None
) -> CannedReply:
    if queue is not None:
        _require_agent(actor, queue)
    elif not is_admin(actor):
        raise Forbidden("only site admins may create replies for every queue")
    if not (title or "").strip():
        raise Invalid.field("title", "must not be empty")
    if not (body or "").strip():
        raise Invalid.field("body", "must not be empty")
    with transaction.atomic():
        reply = CannedReply.objects.create(queue=queue, title=title.strip()[:120], body=body)
        audit(actor=actor, action="canned_reply.create", obj=reply,
              changes={"title": [None, reply.title]})  # fmt: skip
    return reply


def saved_filter_create(*, actor: User, name: str, query: str) -> SavedFilter:
    _internal(actor, "save filters")
    name = (name or "").strip()[:80]
    if not name:
        raise Invalid.field("name", "must not be empty")
    query = (query or "").lstrip("?")[:500]
    with transaction.atomic():
        saved, created = SavedFilter.objects.get_or_create(owner=actor, name=name,
                                                           defaults={"query": query})  # fmt: skip
        if not created and saved.query != query:
            changes = apply_changes(saved, {"query": query})
            save_versioned(saved, ["query"])
            audit(actor=actor, action="saved_filter.update", obj=saved, changes=changes)
        elif created:
            audit(actor=actor, action="saved_filter.create", obj=saved,
                  changes={"query": [None, query]})  # fmt: skip
    return saved


def saved_filter_delete(*, actor: User, saved: SavedFilter) -> None:
    if saved.owner_id != actor.pk:
        raise NotFound("filter not found")
    with transaction.atomic():
        audit(actor=actor, action="saved_filter.delete", obj=saved)
        saved.delete()


# ------------------------------------------------------------------ notifications
def _notify(
    users: Iterable[User | None], text: str, ticket: Ticket, *, portal: bool = False,
    kind: str = "ticket", dedupe_key: str = "",
) -> None:  # fmt: skip
    from itpm.portfolio.notify import notify

    people = [u for u in users if u is not None]
    url = f"/portal/tickets/{ticket.pk}/" if portal else ticket.get_absolute_url()
    notify(users=people, text=text, url=url, kind=kind, project=ticket.project,
           dedupe_key=dedupe_key)  # fmt: skip


def _notify_agents(
    ticket: Ticket, text: str, *, exclude: User | None = None, people: list[User] | None = None,
    kind: str = "ticket", dedupe_key: str = "",
) -> None:  # fmt: skip
    if people is None:
        people = list(ticket.queue.team.members.filter(is_active=True))
    _notify([p for p in people if exclude is None or p.pk != exclude.pk], text, ticket,
            kind=kind, dedupe_key=dedupe_key)  # fmt: skip


# ------------------------------------------------------------------ the SLA sweep
def sla_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Record every threshold crossed by open tickets and notify, once per threshold.

    Idempotent: a (ticket, target, threshold, cycle) event exists at most once (a unique
    constraint), and notices go out only with the event's creation. Safe to run from
    several workers at once.
    """
    now = now or _now()
    counts = {"tickets": 0, "warnings": 0, "breaches": 0}
    tickets = (
        Ticket.objects.filter(queue__sla_policy__isnull=False)
        .exclude(status=TicketStatus.CLOSED)
        .select_related("queue", "queue__sla_policy", "queue__calendar", "queue__team", "assignee")
    )
    for ticket in tickets.iterator(chunk_size=200):
        counts["tickets"] += 1
        clocks = ticket_clocks(ticket, now)
        for target, label, state in clocks.items():
            if state.stopped or state.paused:
                continue
            thresholds = []
            if state.status.value in ("warning", "breached"):
                thresholds.append(SlaThreshold.WARNING)
            if state.breached:
                thresholds.append(SlaThreshold.BREACH)
            for threshold in thresholds:
                if _record_sla_event(ticket, target, threshold, state.due, label):
                    counts["warnings" if threshold == SlaThreshold.WARNING else "breaches"] += 1
        with transaction.atomic():
            locked = (
                # Lock the ticket row only: the queue's policy and calendar are nullable
                # joins, which PostgreSQL cannot lock.
                Ticket.objects.select_for_update(of=("self",))
                .select_related("queue", "queue__sla_policy", "queue__calendar")
                .get(pk=ticket.pk)
            )
            changed = refresh_due_times(locked, now)
            if changed:
                # Derived clock data: rewritten without a version bump (like the schedule).
                Ticket.objects.filter(pk=locked.pk).update(
                    **{n: getattr(locked, n) for n in changed}
                )
    return counts


def _record_sla_event(
    ticket: Ticket, target: str, threshold: str, due: dt.datetime | None, label: str
) -> bool:
    try:
        with transaction.atomic():
            SlaEvent.objects.create(
                ticket=ticket, target=target, threshold=threshold, cycle=ticket.sla_cycle, due=due
            )
            if threshold == SlaThreshold.BREACH:
                flag = (
                    "response_breached"
                    if target == SlaTarget.FIRST_RESPONSE
                    else "resolution_breached"
                )
                Ticket.objects.filter(pk=ticket.pk).update(**{flag: True})
            audit(actor=None, action=f"ticket.sla_{threshold}", obj=ticket, project=ticket.project,
                  changes={"target": [None, target], "due": [None, json_value(due)]})  # fmt: skip
            when = f"due {timezone.localtime(due):%a %d %b %H:%M}" if due else "due"
            verb = "breached its" if threshold == SlaThreshold.BREACH else "is close to its"
            people = [ticket.assignee] if ticket.assignee else None
            _notify_agents(ticket, f"{ticket.ref} {verb} {label.lower()} target ({when})",
                           people=people, kind="sla",
                           dedupe_key=f"sla:{ticket.pk}:{target}:{threshold}:{ticket.sla_cycle}")  # fmt: skip
    except IntegrityError:
        return False  # already recorded by an earlier sweep (or a concurrent worker)
    return True
