from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

from itpm.core.models import VersionedModel


class Category(models.TextChoices):
    HARDWARE = "hardware", "Hardware installation"
    SOFTWARE = "software", "Software, website and app development"
    NETWORK_CLOUD = "network_cloud", "Network and cloud rollout"
    DATA = "data", "Data management and analytics"
    HELPDESK = "helpdesk", "Help-desk service"
    OTHER = "other", "Other technology service"


class Stage(models.TextChoices):
    INITIATION = "initiation", "Initiation"
    PLANNING = "planning", "Planning"
    EXECUTION = "execution", "Execution"
    MONITORING = "monitoring", "Monitoring & control"
    CLOSING = "closing", "Closing"
    CLOSED = "closed", "Closed"


key_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$", "2 to 10 capital letters or digits, starting with a letter"
)


class Project(VersionedModel):
    key = models.CharField(max_length=10, unique=True, validators=[key_validator])
    name = models.CharField(max_length=200)
    goal = models.TextField(blank=True)
    category = models.CharField(max_length=32, choices=Category.choices, default=Category.OTHER)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.INITIATION)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_projects",
    )
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sponsored_projects",
    )
    start_date = models.DateField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    currency = models.CharField(
        max_length=3, default="USD", validators=[RegexValidator(r"^[A-Z]{3}$", "ISO 4217 code")]
    )
    archived = models.BooleanField(default=False)
    calendar = models.ForeignKey(
        "planning.WorkCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Working time the plan is scheduled on; empty = Mon–Fri 09:00–17:00.",
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    # Kanban WIP limits per task status, e.g. {"in_progress": 5}.
    wip_limits = models.JSONField(default=dict, blank=True)
    # The schedule's finish and when it was last computed (written by the schedule service).
    scheduled_finish = models.DateTimeField(null=True, blank=True, editable=False)
    scheduled_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("web:project_overview", args=[self.key])
