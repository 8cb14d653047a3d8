"""Comments on tasks: markdown, edited by their author only, @mentions notify."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from itpm.core.models import VersionedModel


class TaskComment(VersionedModel):
    task = models.ForeignKey("planning.Task", on_delete=models.CASCADE, related_name="comments")
    # Denormalized so that scoping by project is one indexed filter.
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="task_comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["task", "created_at", "id"]
        indexes = [models.Index(fields=["task", "created_at"])]

    def __str__(self) -> str:
        return f"comment on {self.task_id} by {self.author_id}"
