from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from itpm.core.models import VersionedModel

SCHEDULE_FIELDS = (
    "planned_start", "planned_finish", "early_start", "early_finish", "late_start",
    "late_finish", "total_float_hours", "free_float_hours", "critical",
)  # fmt: skip


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class ConstraintType(models.TextChoices):
    ASAP = "ASAP", "As soon as possible"
    ALAP = "ALAP", "As late as possible"
    SNET = "SNET", "Start no earlier than"
    SNLT = "SNLT", "Start no later than"
    FNET = "FNET", "Finish no earlier than"
    FNLT = "FNLT", "Finish no later than"
    MSO = "MSO", "Must start on"
    MFO = "MFO", "Must finish on"


DATED_CONSTRAINTS = {"SNET", "SNLT", "FNET", "FNLT", "MSO", "MFO"}


class WorkCalendar(VersionedModel):
    """Working time: weekdays, daily periods, a country's holidays and exceptions.

    A project schedules on its calendar; a resource may have its own (part time).
    Weekdays are 0 = Monday ... 6 = Sunday; periods are ``[["09:00", "13:00"], ...]``.
    """

    name = models.CharField(max_length=120)
    # A project-owned calendar is edited by that project's managers; a shared one
    # (project null) by site admins.
    project = models.ForeignKey(
        "portfolio.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendars",
    )
    working_days = models.JSONField(default=list)
    working_hours = models.JSONField(default=list)
    country = models.CharField(max_length=8, blank=True)
    subdivision = models.CharField(max_length=16, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarException(models.Model):
    """A day off (holiday, shutdown) or an extra working day with its own periods."""

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)
    working = models.BooleanField(default=False)
    working_hours = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_exception_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


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
    # Scheduling input.
    constraint_type = models.CharField(
        max_length=4, choices=ConstraintType.choices, default=ConstraintType.ASAP
    )
    constraint_date = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=500, validators=[MaxValueValidator(1000)])
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_finish = models.DateTimeField(null=True, blank=True)
    # Scheduling output, written by the schedule service (never by hand): the engine's
    # early and late dates, floats in working hours, and the critical flag.
    early_start = models.DateTimeField(null=True, blank=True, editable=False)
    early_finish = models.DateTimeField(null=True, blank=True, editable=False)
    late_start = models.DateTimeField(null=True, blank=True, editable=False)
    late_finish = models.DateTimeField(null=True, blank=True, editable=False)
    total_float_hours = models.IntegerField(null=True, blank=True, editable=False)
    free_float_hours = models.IntegerField(null=True, blank=True, editable=False)
    critical = models.BooleanField(default=False, editable=False)
    # Set when a leveled schedule is applied: the task starts no earlier than this, on top
    # of its own constraint, until leveling is cleared (MS Project's leveling delay).
    leveled_start = models.DateTimeField(null=True, blank=True, editable=False)

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
