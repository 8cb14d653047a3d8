"""API: queues, SLA policies, tickets, replies and notes, attachments; the portal API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from itpm.accounts.models import Team
from itpm.accounts.permissions import get_visible_project, request_user
from itpm.accounts.selectors import user_by_username, users_by_username
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.core.errors import Invalid, NotFound
from itpm.core.models import AuditEvent
from itpm.helpdesk import selectors, services
from itpm.helpdesk.models import (
    Level,
    Priority,
    Queue,
    SlaPolicy,
    Ticket,
    TicketAttachment,
    TicketComment,
    TicketStatus,
    TicketType,
)
from itpm.helpdesk.sla import ticket_clocks

router = Router(tags=["help desk"])
portal_router = Router(tags=["requester portal"])

WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# ------------------------------------------------------------------ SLA policies
class Targets(Schema):
    first_response_minutes: int = Field(ge=1, le=525_600, examples=[60])
    resolution_minutes: int = Field(ge=1, le=525_600, examples=[480])


class SlaPolicyOut(Schema):
    id: int
    version: int
    name: str
    description: str
    targets: dict[str, Targets] = Field(description="Business minutes per priority P1..P4.")
    reopen_window_days: int
    warning_percent: int


_TARGETS_EXAMPLE = {
    "P1": {"first_response_minutes": 30, "resolution_minutes": 240},
    "P2": {"first_response_minutes": 120, "resolution_minutes": 480},
    "P3": {"first_response_minutes": 240, "resolution_minutes": 1440},
    "P4": {"first_response_minutes": 480, "resolution_minutes": 2400},
}


class SlaPolicyIn(StrictSchema):
    name: str = Field(min_length=1, max_length=120, examples=["Standard business hours"])
    description: str = Field("", max_length=5000)
    targets: dict[str, Targets] | None = Field(None, examples=[_TARGETS_EXAMPLE])
    reopen_window_days: int = Field(7, ge=0, le=365)
    warning_percent: int = Field(75, ge=1, le=100)


class SlaPolicyPatch(StrictSchema):
    version: int | None = None
    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=5000)
    targets: dict[str, Targets] | None = None
    reopen_window_days: int | None = Field(None, ge=0, le=365)
    warning_percent: int | None = Field(None, ge=1, le=100)


@router.get("/sla-policies", response={200: Page[SlaPolicyOut]})
def sla_policy_list(request: HttpRequest, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """SLA policies (readable by every internal user)."""
    return paginate(selectors.sla_policy_list(user=request.user), limit, offset)


@router.post("/sla-policies", response={201: SlaPolicyOut, **WRITE_ERRORS})
def sla_policy_create(request: HttpRequest, payload: SlaPolicyIn) -> tuple[int, SlaPolicy]:
    """Create an SLA policy (site admins)."""
    selectors.sla_policy_list(user=request.user)  # portal users: nothing
    data = payload.model_dump()
    if data["targets"] is None:
        data.pop("targets")
    return 201, services.sla_policy_create(actor=request_user(request), **data)


@router.get("/sla-policies/{policy_id}", response={200: SlaPolicyOut, 404: ErrorOut})
def sla_policy_get(request: HttpRequest, policy_id: int, response: HttpResponse) -> SlaPolicy:
    policy = selectors.sla_policy_get(user=request.user, policy_id=policy_id)
    with_etag(response, policy.version)
    return policy


@router.patch("/sla-policies/{policy_id}", response={200: SlaPolicyOut, **WRITE_ERRORS})
def sla_policy_update(
    request: HttpRequest, policy_id: int, payload: SlaPolicyPatch, response: HttpResponse
) -> SlaPolicy:
    policy = selectors.sla_policy_get(user=request.user, policy_id=policy_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    policy = services.sla_policy_update(
        actor=request_user(request), policy=policy, version=version, data=data
    )
    with_etag(response, policy.version)
    return policy


# ------------------------------------------------------------------ queues
class QueueOut(Schema):
    id: int
    version: int
    key: str
    name: str
    description: str
    team: str = Field(validation_alias="team.name")
    calendar: int | None = Field(None, validation_alias="calendar_id")
    time_zone: str
    sla_policy: int | None = Field(None, validation_alias="sla_policy_id")
    priority_matrix: dict[str, dict[str, str]] = Field(
        description="impact -> urgency -> priority (P1..P4)."
    )
    categories: list[str]
    portal_visible: bool


_MATRIX_EXAMPLE = {
    "high": {"high": "P1", "medium": "P2", "low": "P3"},
    "medium": {"high": "P2", "medium": "P3", "low": "P4"},
    "low": {"high": "P3", "medium": "P4", "low": "P4"},
}


class QueueIn(StrictSchema):
    key: str = Field(min_length=2, max_length=10, examples=["SDESK"])
    name: str = Field(min_length=1, max_length=120, examples=["Service desk"])
    team: str = Field(description="Name of the owning team.", examples=["Operations"])
    description: str = Field("", max_length=5000)
    calendar: int | None = Field(None, description="Id of a shared work calendar.")
    time_zone: str = Field("UTC", examples=["Europe/Berlin"])
    sla_policy: int | None = Field(None, examples=[1])
    priority_matrix: dict[str, dict[str, str]] | None = Field(None, examples=[_MATRIX_EXAMPLE])
    categories: list[str] = Field([], examples=[["Access", "Hardware", "Network"]])
    portal_visible: bool = True


class QueuePatch(StrictSchema):
    version: int | None = None
    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=5000)
    team: str | None = None
    calendar: int | None = None
    time_zone: str | None = None
    sla_policy: int | None = None
    priority_matrix: dict[str, dict[str, str]] | None = None
    categories: list[str] | None = None
    portal_visible: bool | None = None


def _team(name: str | None) -> Team:
    team = Team.objects.filter(name=name or "").first()
    if team is None:
        raise Invalid.field("team", f"no team called {name!r}")
    return team


def _queue_data(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    from itpm.planning.models import WorkCalendar

    if "team" in data:
        data["team"] = _team(data["team"])
    if data.get("calendar") is not None:
        calendar = WorkCalendar.objects.filter(pk=data["calendar"], project__isnull=True).first()
        if calendar is None:
            raise Invalid.field("calendar", "no shared calendar with this id")
        data["calendar"] = calendar
    if data.get("sla_policy") is not None:
        policy = SlaPolicy.objects.filter(pk=data["sla_policy"]).first()
        if policy is None:
            raise Invalid.field("sla_policy", "no SLA policy with this id")
        data["sla_policy"] = policy
    for required in ("name", "time_zone", "priority_matrix", "categories", "portal_visible"):
        if required in data and data[required] is None:
            raise Invalid.field(required, "must not be null")
    return data


@router.get("/queues", response={200: Page[QueueOut]})
def queue_list(request: HttpRequest, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """Help-desk queues (readable by every internal user)."""
    return paginate(selectors.queue_list(user=request.user), limit, offset)


@router.post("/queues", response={201: QueueOut, **WRITE_ERRORS})
def queue_create(request: HttpRequest, payload: QueueIn) -> tuple[int, Queue]:
    """Create a queue owned by a team (site admins)."""
    data = payload.model_dump()
    if data["priority_matrix"] is None:
        data.pop("priority_matrix")
    data = _queue_data(request, data)
    return 201, services.queue_create(actor=request_user(request), **data)


@router.get("/queues/{queue_key}", response={200: QueueOut, 404: ErrorOut})
def queue_get(request: HttpRequest, queue_key: str, response: HttpResponse) -> Queue:
    queue = selectors.queue_get(user=request.user, key=queue_key)
    with_etag(response, queue.version)
    return queue


@router.patch("/queues/{queue_key}", response={200: QueueOut, **WRITE_ERRORS})
def queue_update(
    request: HttpRequest, queue_key: str, payload: QueuePatch, response: HttpResponse
) -> Queue:
    """Queue settings (its agents or site admins; moving it to another team: admins)."""
    queue = selectors.queue_get(user=request.user, key=queue_key)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    data = _queue_data(request, data)
    queue = services.queue_update(
        actor=request_user(request), queue=queue, version=version, data=data
    )
    queue = selectors.queue_get(user=request.user, key=queue.key)
    with_etag(response, queue.version)
    return queue


# ------------------------------------------------------------------ tickets
class ClockOut(Schema):
    target_minutes: int
    elapsed_minutes: int
    remaining_minutes: int
    due: dt.datetime | None
    status: str = Field(description="running, warning, breached, paused or met.")


class TicketOut(Schema):
    id: int
    version: int
    ref: str = Field(examples=["SDESK-42"])
    queue: str = Field(validation_alias="queue.key")
    title: str
    description: str
    ticket_type: str
    impact: str
    urgency: str
    priority: str
    category: str
    status: str
    requester: str = Field(validation_alias="requester.username")
    assignee: str | None
    watchers: list[str]
    service: int | None = Field(None, validation_alias="service_id")
    asset: int | None = Field(None, validation_alias="asset_id")
    project: str | None
    problem: int | None = Field(None, validation_alias="problem_id")
    escalated_task: int | None = Field(None, validation_alias="escalated_task_id")
    escalated_request: int | None = Field(None, validation_alias="escalated_request_id")
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime
    first_responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    first_response_due: dt.datetime | None
    resolution_due: dt.datetime | None
    response_breached: bool
    resolution_breached: bool
    sla: dict[str, ClockOut] = Field(description="Live clocks: first_response, resolution.")
    resolution: str

    @staticmethod
    def resolve_assignee(ticket: Ticket) -> str | None:
        return ticket.assignee.username if ticket.assignee else None

    @staticmethod
    def resolve_project(ticket: Ticket) -> str | None:
        return ticket.project.key if ticket.project else None

    @staticmethod
    def resolve_watchers(ticket: Ticket) -> list[str]:
        return sorted(u.username for u in ticket.watchers.all())

    @staticmethod
    def resolve_sla(ticket: Ticket) -> dict[str, Any]:
        return {target: clock for target, _, clock in ticket_clocks(ticket).items()}


class TicketIn(StrictSchema):
    queue: str = Field(examples=["SDESK"])
    title: str = Field(min_length=1, max_length=300, examples=["VPN drops every 10 minutes"])
    description: str = Field("", max_length=50_000, examples=["Since this morning, on Wi-Fi."])
    ticket_type: TicketType = TicketType.INCIDENT
    impact: Level = Level.MEDIUM
    urgency: Level = Level.MEDIUM
    category: str = Field("", max_length=120, examples=["Network"])
    requester: str | None = Field(None, description="Username (agents only; default: you).")
    assignee: str | None = Field(None, examples=["ops"])
    service: int | None = None
    asset: int | None = None
    project: str | None = Field(None, description="Project key.", examples=["NET"])
    problem: int | None = Field(None, description="Id of the problem ticket behind it.")


class TicketPatch(StrictSchema):
    version: int | None = Field(None, description="The version you read; or send If-Match.")
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = Field(None, max_length=50_000)
    ticket_type: TicketType | None = None
    impact: Level | None = None
    urgency: Level | None = None
    priority: Priority | None = Field(None, description="Override the matrix.")
    category: str | None = Field(None, max_length=120)
    status: TicketStatus | None = None
    assignee: str | None = None
    watchers: list[str] | None = None
    service: int | None = None
    asset: int | None = None
    project: str | None = None
    problem: int | None = None
    queue: str | None = None
    resolution: str | None = Field(None, max_length=50_000)

    model_config = StrictSchema.model_config | {
        "json_schema_extra": {"examples": [{"version": 2, "status": "pending_requester"}]}
    }


def _links(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    from itpm.assets.selectors import asset_get, service_get

    user = request.user
    if data.get("assignee") is not None:
        data["assignee"] = user_by_username(data["assignee"], field="assignee")
    if data.get("requester") is not None:
        data["requester"] = user_by_username(data["requester"], field="requester")
    if data.get("watchers") is not None:
        data["watchers"] = users_by_username(data["watchers"], field="watchers")
    if data.get("project") is not None:
        try:
            data["project"] = get_visible_project(user, data["project"])
        except NotFound:
            raise Invalid.field("project", "no such project") from None
    if data.get("service") is not None:
        try:
            data["service"] = service_get(user=user, service_id=data["service"])
        except NotFound:
            raise Invalid.field("service", "no such service") from None
    if data.get("asset") is not None:
        try:
            data["asset"] = asset_get(user=user, asset_id=data["asset"])
        except NotFound:
            raise Invalid.field("asset", "no such asset") from None
    if data.get("problem") is not None:
        try:
            data["problem"] = selectors.ticket_get(user=user, ticket_id=data["problem"])
        except NotFound:
            raise Invalid.field("problem", "no such ticket") from None
    if data.get("queue") is not None:
        try:
            data["queue"] = selectors.queue_get(user=user, key=data["queue"])
        except NotFound:
            raise Invalid.field("queue", "no such queue") from None
    return data


@router.get("/tickets", response={200: Page[TicketOut]})
def ticket_list(
    request: HttpRequest,
    queue: str | None = None,
    status: TicketStatus | None = None,
    priority: Priority | None = None,
    ticket_type: TicketType | None = None,
    assignee: str | None = None,
    requester: str | None = None,
    open: bool = False,
    breached: bool | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Tickets you may see: your queues' (as an agent), and those you requested or watch.

    `assignee` is a username, or `none` for unassigned tickets; `open=true` leaves out
    resolved and closed ones."""
    tickets = selectors.ticket_list(
        user=request.user, queue=queue, status=status, priority=priority,
        ticket_type=ticket_type, assignee=assignee, requester=requester, search=search,
        open_only=open, breached=breached,
    ).prefetch_related("watchers")  # fmt: skip
    return paginate(tickets, limit, offset)


@router.post("/tickets", response={201: TicketOut, **WRITE_ERRORS})
def ticket_create(request: HttpRequest, payload: TicketIn) -> tuple[int, Ticket]:
    """Raise a ticket; the priority follows the queue's impact × urgency matrix."""
    data = _links(request, payload.model_dump())
    ticket = services.ticket_create(actor=request_user(request), source="api", **data)
    return 201, selectors.ticket_get(user=request.user, ticket_id=ticket.pk)


@router.get("/tickets/{ticket_id}", response={200: TicketOut, 404: ErrorOut})
def ticket_get(request: HttpRequest, ticket_id: int, response: HttpResponse) -> Ticket:
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    with_etag(response, ticket.version)
    return ticket


@router.patch("/tickets/{ticket_id}", response={200: TicketOut, **WRITE_ERRORS})
def ticket_update(
    request: HttpRequest, ticket_id: int, payload: TicketPatch, response: HttpResponse
) -> Ticket:
    """Agents change a ticket: status (with its SLA clock effects), assignee, links, ..."""
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    data = _links(request, data)
    services.ticket_update(actor=request_user(request), ticket=ticket, version=version, data=data)
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    with_etag(response, ticket.version)
    return ticket


class CommentOut(Schema):
    id: int
    author: str | None
    body: str
    public: bool = Field(description="False: an internal note (agents only).")
    created_at: dt.datetime

    @staticmethod
    def resolve_author(comment: TicketComment) -> str | None:
        return comment.author.username if comment.author else None


class CommentIn(StrictSchema):
    body: str = Field(min_length=1, max_length=50_000, examples=["Could you send a screenshot?"])
    public: bool = Field(True, description="False writes an internal note (agents only).")


@router.get("/tickets/{ticket_id}/comments", response={200: list[CommentOut], 404: ErrorOut})
def comment_list(request: HttpRequest, ticket_id: int) -> list[TicketComment]:
    """Replies (and, for agents, internal notes) in order."""
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    return list(selectors.ticket_comments(user=request.user, ticket=ticket))


@router.post("/tickets/{ticket_id}/comments", response={201: CommentOut, **WRITE_ERRORS})
def comment_create(
    request: HttpRequest, ticket_id: int, payload: CommentIn
) -> tuple[int, TicketComment]:
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    comment = services.ticket_comment_add(
        actor=request_user(request), ticket=ticket, body=payload.body, public=payload.public
    )
    return 201, comment


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    public: bool
    uploaded_by: str | None
    created_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_uploaded_by(attachment: TicketAttachment) -> str | None:
        return attachment.uploaded_by.username if attachment.uploaded_by else None

    @staticmethod
    def resolve_download_url(attachment: TicketAttachment) -> str:
        return reverse("helpdesk:attachment", args=[attachment.pk])


@router.get("/tickets/{ticket_id}/attachments", response={200: list[AttachmentOut], 404: ErrorOut})
def attachment_list(request: HttpRequest, ticket_id: int) -> list[TicketAttachment]:
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    return list(selectors.ticket_attachments(user=request.user, ticket=ticket))


@router.post("/tickets/{ticket_id}/attachments", response={201: AttachmentOut, **WRITE_ERRORS})
def attachment_create(
    request: HttpRequest,
    ticket_id: int,
    file: File[UploadedFile],
    public: Form[bool] = True,
) -> tuple[int, TicketAttachment]:
    """Upload a file (multipart form field `file`; `public=false` for agents' eyes only)."""
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    attachment = services.ticket_attachment_add(
        actor=request_user(request), ticket=ticket, upload=file, public=public
    )
    return 201, attachment


class TicketHistoryOut(Schema):
    created_at: dt.datetime
    actor: str | None
    action: str
    changes: dict[str, Any]

    @staticmethod
    def resolve_actor(event: AuditEvent) -> str | None:
        return event.actor.username if event.actor else None


@router.get("/tickets/{ticket_id}/history", response={200: list[TicketHistoryOut], 404: ErrorOut})
def ticket_history(request: HttpRequest, ticket_id: int) -> list[AuditEvent]:
    """Every change of the ticket, newest first (agents and the people who see it)."""
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    return selectors.ticket_history(user=request.user, ticket=ticket)


class EscalateIn(StrictSchema):
    kind: str = Field("task", pattern="^(task|request)$", examples=["task"])
    project: str | None = Field(None, description="Project key (for a task).", examples=["NET"])
    name: str = Field("", max_length=200, examples=["Replace failing core switch"])


@router.post("/tickets/{ticket_id}/escalate", response={200: TicketOut, **WRITE_ERRORS})
def ticket_escalate(request: HttpRequest, ticket_id: int, payload: EscalateIn) -> Ticket:
    """Escalate into a task on a project or a project request; the link is kept both ways."""
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    project = None
    if payload.project:
        try:
            project = get_visible_project(request.user, payload.project)
        except NotFound:
            raise Invalid.field("project", "no such project") from None
    services.ticket_escalate(
        actor=request_user(request), ticket=ticket, project=project, kind=payload.kind,
        name=payload.name,
    )  # fmt: skip
    return selectors.ticket_get(user=request.user, ticket_id=ticket_id)


# ------------------------------------------------------------------ portal API
class PortalTicketOut(Schema):
    id: int
    ref: str
    queue: str = Field(validation_alias="queue.name")
    title: str
    description: str
    ticket_type: str
    category: str
    status: str
    priority: str
    created_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None


class PortalTicketIn(StrictSchema):
    queue: str = Field(examples=["SDESK"])
    title: str = Field(min_length=1, max_length=300, examples=["New starter needs a laptop"])
    description: str = Field("", max_length=50_000)
    category: str = Field("", max_length=120, examples=["Hardware"])
    ticket_type: Literal["service_request", "incident"] = Field(
        "service_request", description="What you need: a service request, or an incident."
    )
    urgency: Level = Field(Level.MEDIUM, description="How urgent it is for you.")


class PortalCommentOut(Schema):
    id: int
    author: str
    body: str
    created_at: dt.datetime

    @staticmethod
    def resolve_author(comment: TicketComment) -> str:
        return comment.author.display_name if comment.author else "Service desk"


class PortalCommentIn(StrictSchema):
    body: str = Field(min_length=1, max_length=50_000, examples=["Here is the screenshot."])


class PortalQueueOut(Schema):
    key: str
    name: str
    description: str
    categories: list[str]


@portal_router.get("/portal/queues", response={200: list[PortalQueueOut]})
def portal_queue_list(request: HttpRequest) -> list[Queue]:
    """Where a request can go, with the categories of its form."""
    return list(selectors.portal_queues(user=request.user))


@portal_router.get("/portal/tickets", response={200: Page[PortalTicketOut]})
def portal_ticket_list(
    request: HttpRequest,
    status: TicketStatus | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Your own tickets, nothing else."""
    tickets = selectors.ticket_list(
        user=request.user, status=status, search=search, base=selectors.portal_tickets(request.user)
    )
    return paginate(tickets, limit, offset)


@portal_router.post("/portal/tickets", response={201: PortalTicketOut, **WRITE_ERRORS})
def portal_ticket_create(request: HttpRequest, payload: PortalTicketIn) -> tuple[int, Ticket]:
    data = payload.model_dump()
    queue = selectors.portal_queues(user=request.user).filter(key=data.pop("queue").upper()).first()
    if queue is None:
        raise Invalid.field("queue", "no such queue")
    # As on the portal page: the requester says how urgent it is; the impact (how many are
    # hit, how badly) is the desk's assessment, so a request starts low and an agent raises it.
    ticket = services.ticket_create(
        actor=request_user(request), queue=queue, source="portal", impact=Level.LOW, **data
    )
    return 201, ticket


@portal_router.get("/portal/tickets/{ticket_id}", response={200: PortalTicketOut, 404: ErrorOut})
def portal_ticket_get(request: HttpRequest, ticket_id: int) -> Ticket:
    return selectors.portal_ticket_get(user=request.user, ticket_id=ticket_id)


@portal_router.get(
    "/portal/tickets/{ticket_id}/comments", response={200: list[PortalCommentOut], 404: ErrorOut}
)
def portal_comment_list(request: HttpRequest, ticket_id: int) -> list[TicketComment]:
    """Public replies only: internal notes never leave the help desk."""
    ticket = selectors.portal_ticket_get(user=request.user, ticket_id=ticket_id)
    return list(selectors.ticket_comments(user=request.user, ticket=ticket, public_only=True))


@portal_router.post(
    "/portal/tickets/{ticket_id}/comments", response={201: PortalCommentOut, **WRITE_ERRORS}
)
def portal_comment_create(
    request: HttpRequest, ticket_id: int, payload: PortalCommentIn
) -> tuple[int, TicketComment]:
    ticket = selectors.portal_ticket_get(user=request.user, ticket_id=ticket_id)
    return 201, services.ticket_comment_add(
        actor=request_user(request), ticket=ticket, body=payload.body, public=True
    )


class PortalAttachmentOut(Schema):
    id: int
    name: str = Field(examples=["screenshot.png"])
    content_type: str = Field(examples=["image/png"])
    size: int = Field(examples=[48213])
    created_at: dt.datetime
    download_url: str = Field(examples=["/portal/attachments/7/"])

    @staticmethod
    def resolve_download_url(attachment: TicketAttachment) -> str:
        return reverse("helpdesk:portal_attachment", args=[attachment.pk])


@portal_router.get(
    "/portal/tickets/{ticket_id}/attachments",
    response={200: list[PortalAttachmentOut], 404: ErrorOut},
)
def portal_attachment_list(request: HttpRequest, ticket_id: int) -> list[TicketAttachment]:
    """The files of your ticket that you may see: never a file on an internal note."""
    ticket = selectors.portal_ticket_get(user=request.user, ticket_id=ticket_id)
    return list(selectors.ticket_attachments(user=request.user, ticket=ticket, public_only=True))


@portal_router.post(
    "/portal/tickets/{ticket_id}/attachments",
    response={201: PortalAttachmentOut, **WRITE_ERRORS},
)
def portal_attachment_create(
    request: HttpRequest, ticket_id: int, file: File[UploadedFile]
) -> tuple[int, TicketAttachment]:
    """Attach a file to your ticket (multipart form field `file`); the agents see it."""
    ticket = selectors.portal_ticket_get(user=request.user, ticket_id=ticket_id)
    attachment = services.ticket_attachment_add(
        actor=request_user(request), ticket=ticket, upload=file, public=True
    )
    return 201, attachment
