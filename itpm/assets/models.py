"""Hardware, software and cloud assets, and the services operations runs on them."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from itpm.core.models import VersionedModel


class AssetType(models.TextChoices):
    SERVER = "server", "Server"
    LAPTOP = "laptop", "Laptop"
    SWITCH = "switch", "Network switch"
    ROUTER = "router", "Router"
    FIREWALL = "firewall", "Firewall"
    STORAGE = "storage", "Storage"
    LICENCE = "licence", "Licence"
    CLOUD = "cloud", "Cloud resource"
    OTHER = "other", "Other"


class AssetStatus(models.TextChoices):
    ORDERED = "ordered", "Ordered"
    RECEIVED = "received", "Received"
    INSTALLED = "installed", "Installed"
    IN_SERVICE = "in_service", "In service"
    RETIRED = "retired", "Retired"


class Service(VersionedModel):
    """A service operations runs and supports (from a project handoff or created directly)."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="services"
    )
    support_queue = models.ForeignKey(
        "helpdesk.Queue",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
    )
    # Support hours as people read them, e.g. "Mon–Fri 08:00–18:00" or "24x7".
    hours = models.CharField(max_length=120, blank=True)
    # ["https://wiki.example.com/runbooks/campus-network", ...]
    runbook_links = models.JSONField(default=list, blank=True)
    projects = models.ManyToManyField("portfolio.Project", related_name="services", blank=True)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assets:service_detail", args=[self.pk])


class Asset(VersionedModel):
    asset_type = models.CharField(max_length=16, choices=AssetType.choices)
    name = models.CharField(max_length=200)
    tag = models.CharField(max_length=64, unique=True, help_text="Inventory tag, e.g. FRA-SRV-001")
    serial = models.CharField(max_length=120, blank=True)
    model = models.CharField(max_length=200, blank=True)
    vendor = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=AssetStatus.choices, default=AssetStatus.ORDERED
    )
    owner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="assets"
    )
    purchase_order = models.CharField(max_length=64, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    warranty_end = models.DateField(null=True, blank=True)
    installed_by_task = models.ForeignKey(
        "planning.Task",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="installed_assets",
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
    )
    # The project that bought or built it (its handoff transfers the asset to operations).
    project = models.ForeignKey(
        "portfolio.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assets",
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["tag"]

    def __str__(self) -> str:
        return f"{self.tag} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("assets:asset_detail", args=[self.pk])
