from __future__ import annotations

from django.conf import settings
from django.db import models


class VersionedModel(models.Model):
    """A mutable row: ``version`` grows by one with every write (optimistic locking)."""

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One change of data, written in the same transaction as the change itself."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Denormalized so the activity feed of a project is one indexed query.
    project = models.ForeignKey(
        "portfolio.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_events",
    )
    action = models.CharField(max_length=64)  # e.g. "task.update"
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300)
    # {"field": [before, after], ...}, JSON-safe values.
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"


class IdempotencyKey(models.Model):
    """A POST made with an ``Idempotency-Key`` header and the answer it got (``core.idempotency``).

    The row is written in the same transaction as the request's own writes, so it exists
    exactly when they do; the unique constraint makes concurrent duplicates queue behind the
    first and then replay its answer. Rows older than 24 hours are deleted by a periodic job.
    """

    created_at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # "POST /api/v1/projects/APL/tasks": another address with the same key is a 422.
    route = models.CharField(max_length=500)
    body_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=200)
    headers = models.JSONField(default=dict)
    body = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.route}"
