"""Project documents (attachments with versions) and per-project custom fields on tasks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from itpm.core.models import VersionedModel


class Document(VersionedModel):
    """A file kept for a project, optionally about one task; its content lives in versions.

    ``subject`` is a free label ("Risk R-3", "Contract") so a document can be about anything
    without a generic foreign key.
    """

    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="documents"
    )
    task = models.ForeignKey(
        "planning.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    subject = models.CharField(max_length=200, blank=True)
    # The current version's sanitized file name (denormalized for lists and sorting).
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["project", "-updated_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def current(self) -> DocumentVersion | None:
        versions = list(self.versions.all())  # prefetched by the selectors
        return max(versions, key=lambda v: v.number) if versions else None


def _version_path(instance: DocumentVersion, filename: str) -> str:
    # A random folder per file under the project's own folder: names never collide and
    # never carry a path of their own (the name was sanitized before it got here).
    return f"projects/{instance.document.project_id}/{instance.storage_id.hex}/{filename}"


class DocumentVersion(models.Model):
    """One uploaded file of a document. A new upload adds a version; old ones are kept."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    storage_id = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    file = models.FileField(upload_to=_version_path, max_length=400)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    CHOICE = "choice", "Choice"
    USER = "user", "User"
    BOOL = "bool", "Yes/no"


class CustomField(VersionedModel):
    """A field a project adds to its tasks ("Vendor ticket", "Site").

    ``key`` is fixed once created (values and filters use it); the name, choices, required
    flag and position may change.
    """

    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="custom_fields"
    )
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    field_type = models.CharField(max_length=8, choices=FieldType.choices, default=FieldType.TEXT)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["project", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="custom_field_unique_key")
        ]

    def __str__(self) -> str:
        return self.name


class TaskCustomValues(VersionedModel):
    """The custom-field values of one task, ``{key: value}`` in canonical JSON form.

    One row per task (not one per value) so that a task's values change together under one
    ``version`` (a stale edit is one 409), and filters are one JSON key lookup that both
    SQLite and PostgreSQL run. The task lives in the planning app; keeping the values here
    means this app never writes planning's rows or migrations.
    """

    task = models.OneToOneField(
        "planning.Task", on_delete=models.CASCADE, related_name="custom_values"
    )
    values = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "task custom values"
        verbose_name_plural = "task custom values"

    def __str__(self) -> str:
        return f"custom values of task {self.task_id}"
