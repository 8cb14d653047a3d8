"""Webhook subscriptions, their deliveries (one per event and subscription) and attempts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from itpm.core.models import VersionedModel


class Subscription(VersionedModel):
    """Where to send which events: for one project, or site-wide (no project; admins only)."""

    project = models.ForeignKey(
        "portfolio.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Exact event types ("task.created"), a family ("risk.*") or everything ("*").
    event_types = models.JSONField(default=list)
    # "whsec_" + base64 of 32 random bytes (Standard Webhooks); needed in clear to sign.
    secret = models.CharField(max_length=100)
    # After a rotation the old secret also signs for a while (Standard Webhooks allows
    # several signatures), so a receiver can switch over without dropping messages.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    # Indexed: the audit hook asks "is any subscription active?" on every change.
    active = models.BooleanField(default=True, db_index=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"webhook {self.pk} → {self.url}"

    @property
    def scope(self) -> str:
        return self.project.key if self.project_id else "site"  # type: ignore[union-attr]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Delivery(models.Model):
    """One message to one subscription; retried until delivered or given up."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The Standard Webhooks ``webhook-id``: the same for every attempt and redelivery of
    # the message, so a receiver can drop duplicates.
    message_id = models.CharField(max_length=40, db_index=True)
    event_type = models.CharField(max_length=64)
    audit_event = models.ForeignKey(
        "core.AuditEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.TextField()  # the exact JSON body sent (and signed)
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["subscription", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery, written before it is sent and completed after."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    url = models.CharField(max_length=2000)
    request_headers = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.TextField(blank=True)  # the first 4 KB
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["number", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300
