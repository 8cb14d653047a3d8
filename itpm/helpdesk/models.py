"""Help desk: queues, SLA policies, tickets with replies, notes, attachments and SLA events."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from itpm.core.models import VersionedModel

PRIORITIES = ("P1", "P2", "P3", "P4")


class Level(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Priority(models.TextChoices):
    P1 = "P1", "P1 critical"
    P2 = "P2", "P2 high"
    P3 = "P3", "P3 moderate"
    P4 = "P4", "P4 low"


class TicketType(models.TextChoices):
    INCIDENT = "incident", "Incident"
    SERVICE_REQUEST = "service_request", "Service request"
    PROBLEM = "problem", "Problem"
    CHANGE = "change", "Change"


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING_REQUESTER = "pending_requester", "Pending on requester"
    PENDING_VENDOR = "pending_vendor", "Pending on vendor"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.OPEN,
    TicketStatus.PENDING_REQUESTER,
    TicketStatus.PENDING_VENDOR,
)

# impact -> urgency -> priority (ITIL's usual 3x3 matrix); a queue may override it.
DEFAULT_PRIORITY_MATRIX: dict[str, dict[str, str]] = {
    "high": {"high": "P1", "medium": "P2", "low": "P3"},
    "medium": {"high": "P2", "medium": "P3", "low": "P4"},
    "low": {"high": "P3", "medium": "P4", "low": "P4"},
}

# Business minutes per priority: first response and resolution.
DEFAULT_SLA_TARGETS: dict[str, dict[str, int]] = {
    "P1": {"first_response_minutes": 30, "resolution_minutes": 4 * 60},
    "P2": {"first_response_minutes": 2 * 60, "resolution_minutes": 8 * 60},
    "P3": {"first_response_minutes": 4 * 60, "resolution_minutes": 3 * 8 * 60},
    "P4": {"first_response_minutes": 8 * 60, "resolution_minutes": 5 * 8 * 60},
}


def default_matrix() -> dict[str, dict[str, str]]:
    return {impact: dict(row) for impact, row in DEFAULT_PRIORITY_MATRIX.items()}


def default_targets() -> dict[str, dict[str, int]]:
    return {priority: dict(row) for priority, row in DEFAULT_SLA_TARGETS.items()}


class SlaPolicy(VersionedModel):
    """First-response and resolution targets per priority, in business minutes."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    targets = models.JSONField(default=default_targets)
    # Reopening a resolved ticket within this many days resumes its resolution clock.
    reopen_window_days = models.PositiveIntegerField(default=7)
    # Percent of a target after which the clock shows amber and agents are warned.
    warning_percent = models.PositiveIntegerField(default=75)

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name

    def target(self, priority: str, kind: str) -> int:
        return int(self.targets.get(priority, {}).get(f"{kind}_minutes", 0))


class Queue(VersionedModel):
    key = models.CharField(max_length=10, unique=True, help_text="Short code, e.g. SDESK")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="queues")
    calendar = models.ForeignKey(
        "planning.WorkCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Business hours of the SLA clock; empty = Mon–Fri 09:00–13:00, 14:00–18:00.",
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="queues"
    )
    priority_matrix = models.JSONField(default=default_matrix)
    # Request categories offered on the portal form, e.g. ["Access", "Hardware", "Network"].
    categories = models.JSONField(default=list, blank=True)
    portal_visible = models.BooleanField(default=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("helpdesk:queue", args=[self.key])

    def priority_for(self, impact: str, urgency: str) -> str:
        matrix = self.priority_matrix or DEFAULT_PRIORITY_MATRIX
        return str(matrix.get(impact, {}).get(urgency) or DEFAULT_PRIORITY_MATRIX[impact][urgency])


class Ticket(VersionedModel):
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="tickets")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    ticket_type = models.CharField(
        max_length=20, choices=TicketType.choices, default=TicketType.INCIDENT
    )
    impact = models.CharField(max_length=8, choices=Level.choices, default=Level.MEDIUM)
    urgency = models.CharField(max_length=8, choices=Level.choices, default=Level.MEDIUM)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    category = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="watched_tickets", blank=True
    )
    service = models.ForeignKey(
        "assets.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    project = models.ForeignKey(
        "portfolio.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    # An incident caused by a problem; a problem links many incidents.
    problem = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
        limit_choices_to={"ticket_type": TicketType.PROBLEM},
    )
    # Escalation: a task on a project (both ways: Task.escalated_tickets) or a project
    # request (issue 5's intake request, by id until that model exists here).
    escalated_task = models.ForeignKey(
        "planning.Task",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_tickets",
    )
    escalated_request_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=16, default="agent")  # agent, portal, api
    # The SLA clock (see itpm.engine.sla). ``sla_start`` restarts when a ticket is reopened
    # outside the policy's window; ``pauses`` are [[start, end|null], ...] ISO datetimes.
    sla_start = models.DateTimeField(null=True, blank=True)
    sla_cycle = models.PositiveIntegerField(default=1)
    pauses = models.JSONField(default=list, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    # Derived from the clock, rewritten by the ticket services (for lists and the sweep).
    first_response_due = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution_due = models.DateTimeField(null=True, blank=True, db_index=True)
    response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["queue", "status"])]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("helpdesk:ticket", args=[self.pk])

    @property
    def ref(self) -> str:
        return f"{self.queue.key}-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def pause_pairs(self) -> list[tuple[dt.datetime, dt.datetime | None]]:
        pairs: list[tuple[dt.datetime, dt.datetime | None]] = []
        for start, end in self.pauses or []:
            pairs.append(
                (dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end) if end else None)
            )
        return pairs


class TicketComment(models.Model):
    """A public reply (the requester sees it) or an internal note (agents only). Immutable."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        kind = "reply" if self.public else "note"
        return f"{kind} on {self.ticket.ref}"


def _attachment_path(instance: TicketAttachment, filename: str) -> str:
    # A random folder per file: names never collide and never carry a path of their own.
    return f"helpdesk/{instance.ticket_id}/{uuid.uuid4().hex}/{filename}"


class TicketAttachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        TicketComment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=_attachment_path, max_length=300)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    public = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"


class SlaThreshold(models.TextChoices):
    WARNING = "warning", "Approaching"
    BREACH = "breach", "Breached"


class SlaEvent(models.Model):
    """A threshold a ticket's clock crossed; unique per cycle, so notices go out once."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_events")
    target = models.CharField(max_length=16, choices=SlaTarget.choices)
    threshold = models.CharField(max_length=8, choices=SlaThreshold.choices)
    cycle = models.PositiveIntegerField(default=1)
    due = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "threshold", "cycle"], name="sla_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.ref} {self.target} {self.threshold}"


class CannedReply(VersionedModel):
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.CASCADE, related_name="canned_replies"
    )
    title = models.CharField(max_length=120)
    body = models.TextField()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class SavedFilter(VersionedModel):
    """An agent's named ticket-list filter: the list's query string."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_ticket_filters"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=500)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class RequesterProfile(models.Model):
    """Marks an outside requester: portal only, never the main UI or API."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="requester_profile"
    )
    portal_only = models.BooleanField(default=True)
    organization = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"requester {self.user}"


def is_portal_only(user: Any) -> bool:
    """True for an outside requester (cached on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_itpm_portal_only", None)
    if cached is None:
        cached = RequesterProfile.objects.filter(user_id=user.pk, portal_only=True).exists()
        user._itpm_portal_only = cached
    return bool(cached)
