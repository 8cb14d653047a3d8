from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from itpm.core.markdown import RenderedMarkdownField
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
    # The description as sanitized HTML, rendered on save (a list shows 50 of them).
    description_html = RenderedMarkdownField(source="description")
    milestone = models.BooleanField(default=False)
    duration_hours = models.PositiveIntegerField(default=8)
    # The exact duration when it is not whole hours (7 h 30 = 450; a 37.5-hour week);
    # NULL: duration_hours x 60. duration_hours is then that duration rounded to the hour
    # (half up), for sums and short displays (itpm.planning.durations).
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    # Pauses in the work, [[after_hours, pause_hours], ...] (itpm.planning.splits): the
    # task spans its duration plus its pauses.
    splits = models.JSONField(default=list, blank=True)
    # Elapsed duration: ``duration_hours`` are calendar hours, day and night, weekends too
    # (a 72-hour burn-in, DNS propagation, a vendor's 5-day delivery), as MS Project's
    # "eh"/"ed" durations.
    elapsed = models.BooleanField(default=False)
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
    # Execution: the cycle a task is committed to, its labels, when it was done. A planning
    # package is coarse work beyond the current window, broken down when its window nears.
    cycle = models.ForeignKey(
        "planning.Cycle", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    labels = models.ManyToManyField("planning.Label", blank=True, related_name="tasks")
    planning_package = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    board_rank = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["project", "wbs_sort"]
        indexes = [models.Index(fields=["project", "wbs_sort"])]

    def __str__(self) -> str:
        return f"{self.wbs_code} {self.name}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields is not None and "description" in fields and "description_html" not in fields:
            kwargs["update_fields"] = [*fields, "description_html"]
        super().save(*args, **kwargs)


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


class ResourceKind(models.TextChoices):
    PERSON = "person", "Person"
    EQUIPMENT = "equipment", "Equipment"
    HARDWARE = "hardware", "Hardware (e.g. a test rack)"


class Resource(VersionedModel):
    """Who or what does the work. Shared across projects: its load counts everywhere."""

    name = models.CharField(max_length=120)
    kind = models.CharField(
        max_length=16, choices=ResourceKind.choices, default=ResourceKind.PERSON
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resource",
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    # Units available at once: 1.0 = one full-time person; 0.5 = half time; 3 = three racks.
    capacity = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    calendar = models.ForeignKey(
        WorkCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    # The current cost rate; ResourceRate keeps the history (rates change over time).
    cost_rate = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ResourceRate(models.Model):
    """A cost rate per working hour valid from a date on (the latest one before a date wins)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="rates")
    valid_from = models.DateField()
    rate = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["resource", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "valid_from"], name="resource_rate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.rate}/h from {self.valid_from}"


class ResourceAbsence(models.Model):
    """Vacation, training, sick leave: no capacity from ``start`` to ``finish`` inclusive."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="absences")
    start = models.DateField()
    finish = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["start"]

    def __str__(self) -> str:
        return f"{self.resource} off {self.start}–{self.finish}"


class Assignment(VersionedModel):
    """A resource working on a task at ``units`` (1.0 = full time, 0.5 = half)."""

    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="assignments"
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="assignments")
    units = models.DecimalField(max_digits=5, decimal_places=2, default=1)

    class Meta:
        ordering = ["task", "resource__name"]
        constraints = [
            models.UniqueConstraint(fields=["task", "resource"], name="assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource} on {self.task} at {self.units}"


class Baseline(models.Model):
    """A named snapshot of the schedule and cost, to measure variance against."""

    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="baselines"
    )
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The active baseline is the one earned value measures against.
    active = models.BooleanField(default=False)
    finish = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="baseline_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class BaselineTask(models.Model):
    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="tasks")
    # Kept when the task is deleted later: the baseline still shows what was planned.
    task = models.ForeignKey(
        Task, null=True, on_delete=models.SET_NULL, related_name="baseline_entries"
    )
    wbs_code = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    start = models.DateTimeField(null=True)
    finish = models.DateTimeField(null=True)
    duration_hours = models.IntegerField(default=0)
    work_hours = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["baseline", "wbs_code"]

    def __str__(self) -> str:
        return f"{self.baseline}: {self.wbs_code} {self.name}"


class CycleKind(models.TextChoices):
    SPRINT = "sprint", "Sprint"
    WINDOW = "window", "Rolling-wave window"


class CycleState(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Cycle(VersionedModel):
    """A planning cycle: a sprint, or a rolling-wave window with its capacity."""

    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="cycles"
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=CycleKind.choices, default=CycleKind.SPRINT)
    start = models.DateField()
    finish = models.DateField()
    capacity_hours = models.PositiveIntegerField(default=0)
    goal = models.TextField(blank=True)
    state = models.CharField(max_length=8, choices=CycleState.choices, default=CycleState.PLANNED)

    class Meta:
        ordering = ["project", "start"]

    def __str__(self) -> str:
        return self.name


class Label(models.Model):
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="labels"
    )
    name = models.CharField(max_length=60)
    color = models.CharField(max_length=7, default="#6b7280")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="label_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class LevelingRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    APPLIED = "applied", "Applied"
    DISCARDED = "discarded", "Discarded"


class LevelingRun(models.Model):
    """One leveling preview of a project: its options, progress and result (a proposal).

    A preview changes no task; applying it copies ``result["starts"]`` into
    ``Task.leveled_start``. Long runs execute as a background job that fills this row.
    """

    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="leveling_runs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    solver = models.CharField(max_length=16, default="heuristic")
    time_limit = models.FloatField(default=10.0)
    status = models.CharField(
        max_length=16, choices=LevelingRunStatus.choices, default=LevelingRunStatus.QUEUED
    )
    progress = models.CharField(max_length=200, blank=True)
    # The schedule the preview was computed from: a later plan change makes it stale.
    schedule_stamp = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.project_id} leveling {self.solver} {self.status}"
