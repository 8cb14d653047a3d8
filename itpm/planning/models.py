from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from itpm.core.models import VersionedModel


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class Task(VersionedModel):
    """A WBS element. A task with children is a summary task."""

    project = models.ForeignKey("portfolio.Project", on_delete=models.CASCADE, related_name="tasks")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    # Position among its siblings, 1-based and gap-free.
    order = models.PositiveIntegerField(default=1)
    # Derived from the tree ("1.2.3"), refreshed by the service on every structure change;
    # stored so that a project's tasks list in WBS order with one indexed query.
    wbs_code = models.CharField(max_length=64, default="", editable=False)
    wbs_sort = models.CharField(max_length=256, default="", editable=False, db_index=True)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    milestone = models.BooleanField(default=False)
    duration_hours = models.PositiveIntegerField(default=8)
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_finish = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED
    )
    percent_complete = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)]
    )
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="assigned_tasks", blank=True
    )

    class Meta:
        ordering = ["project", "wbs_sort"]
        indexes = [models.Index(fields=["project", "wbs_sort"])]

    def __str__(self) -> str:
        return f"{self.wbs_code} {self.name}".strip()


class DependencyType(models.TextChoices):
    FS = "FS", "Finish-to-start"
    SS = "SS", "Start-to-start"
    FF = "FF", "Finish-to-finish"
    SF = "SF", "Start-to-finish"


class Dependency(VersionedModel):
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="dependencies"
    )
    predecessor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="predecessor_links")
    type = models.CharField(max_length=2, choices=DependencyType.choices, default=DependencyType.FS)
    lag_hours = models.IntegerField(default=0)  # negative = lead

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="dependency_unique"),
            models.CheckConstraint(
                condition=~models.Q(predecessor=models.F("successor")), name="dependency_not_self"
            ),
        ]
        ordering = ["id"]
        verbose_name_plural = "dependencies"

    def __str__(self) -> str:
        lag = f"{self.lag_hours:+d}h" if self.lag_hours else ""
        return f"{self.predecessor.wbs_code} → {self.successor.wbs_code} {self.type}{lag}"
