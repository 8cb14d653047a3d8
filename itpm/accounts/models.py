from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from itpm.core.models import VersionedModel


class User(AbstractUser):
    """A person. ``is_staff`` marks a site admin; project rights come from Membership."""

    time_zone = models.CharField(max_length=64, default="UTC")
    version = models.PositiveIntegerField(default=1, editable=False)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"
    MANAGER = "manager", "Manager"
    OWNER = "owner", "Owner"


# Higher rank includes every right of the lower ones.
ROLE_RANK = {Role.VIEWER: 1, Role.MEMBER: 2, Role.MANAGER: 3, Role.OWNER: 4}


class TeamKind(models.TextChoices):
    DELIVERY = "delivery", "Delivery"
    BUSINESS_DATA = "business_data", "Business data"
    SECURITY_COMPLIANCE = "security_compliance", "Security & compliance"
    PROCUREMENT = "procurement", "Procurement"
    OPERATIONS = "operations", "Operations"
    OTHER = "other", "Other"


class Team(VersionedModel):
    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=32, choices=TeamKind.choices, default=TeamKind.DELIVERY)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(VersionedModel):
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user")
        ]
        ordering = ["project", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} of {self.project}"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the secret is shown once."""

    PREFIX = "itpm_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, default="API token")
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters let a user tell tokens apart without revealing them.
    key_prefix = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.name})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def new_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)
