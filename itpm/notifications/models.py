"""In-app notifications, each person's preferences, and the secret calendar-feed token."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from itpm.core.models import VersionedModel


class Kind(models.TextChoices):
    ASSIGNMENT = "assignment", "Assigned to a task"
    MENTION = "mention", "@mentions"
    APPROVAL = "approval", "Approvals requested"
    GATE_DECISION = "gate_decision", "Gate decisions"
    SLA = "sla", "SLA warnings and breaches"
    STATUS_REPORT = "status_report", "Status reports published"
    TICKET = "ticket", "Help-desk tickets"
    REQUEST = "request", "Project requests"
    COMMENT = "comment", "Comments on my tasks"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    EMAIL = "email", "E-mail"


# What a person gets before they change anything: everything in the app; e-mail for what
# asks them to act. A published status report is mailed (with its PDF) by tracking itself.
DEFAULT_EMAIL = {k.value: k not in (Kind.STATUS_REPORT, Kind.COMMENT) for k in Kind}


class EmailMode(models.TextChoices):
    NONE = "", "Not mailed"
    NOW = "now", "Mailed at once"
    DIGEST = "digest", "In the daily digest"


class Notification(models.Model):
    """One notice for one person. Written once; only ``read_at`` and ``emailed_at`` change."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    project = models.ForeignKey(
        "portfolio.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # A job that runs twice (the SLA sweep, a re-sent mention) names the same key: the
    # second notice for the same person is not written.
    dedupe_key = models.CharField(max_length=120, blank=True, default="")
    # Decided when written, from the recipient's preferences at that moment.
    email_mode = models.CharField(
        max_length=8, choices=EmailMode.choices, default=EmailMode.NONE, blank=True
    )
    # Set when the mail (or the digest holding it) went out: a re-run sends nothing twice.
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Committed before the mail is handed to the mail server: a rerun that finds an old
    # claim without ``emailed_at`` knows the mail may have gone out already (and says so).
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    # False when the person turned the in-app channel off for this kind (mail only).
    in_app = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe_unique",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["email_mode", "emailed_at"]),
        ]

    def __str__(self) -> str:
        return self.text


class NotificationSettings(VersionedModel):
    """A person's choices: per kind and channel, the daily digest, and the feed token."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    # {"mention": {"in_app": true, "email": false}, ...}; a missing entry means the default.
    preferences = models.JSONField(default=dict, blank=True)
    # E-mail collected into one mail a day instead of one mail per notice.
    daily_digest = models.BooleanField(default=False)
    digest_sent_on = models.DateField(null=True, blank=True)
    # sha256 of the secret in the calendar-feed URL; the secret itself is never stored.
    feed_token_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    feed_token_created = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "notification settings"
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"notification settings of {self.user}"

    def wants(self, kind: str, channel: str) -> bool:
        chosen = (self.preferences or {}).get(kind, {})
        if channel in chosen:
            return bool(chosen[channel])
        return True if channel == Channel.IN_APP else DEFAULT_EMAIL.get(kind, True)
