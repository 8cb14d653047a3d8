from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from itpm.core.models import VersionedModel


class User(AbstractUser):
    """A person. ``is_staff`` marks a site admin; project rights come from Membership."""

    time_zone = models.CharField(max_length=64, default="UTC")
    # Set when the person proved they read mail at ``email`` (a signed link); password resets
    # go only to a verified address. Changing the address clears it.
    email_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The address as loaded, to notice a change in save() (deferred: not loaded, None).
        self._loaded_email: str | None = self.__dict__.get("email")

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A new address is not verified, whoever changed it (the admin, a script, a service).
        loaded = getattr(self, "_loaded_email", None)
        if loaded is not None and loaded != self.email and self.email_verified_at is not None:
            self.email_verified_at = None
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "email_verified_at"}
        super().save(*args, **kwargs)
        self._loaded_email = self.email

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
    # None: never expires (tokens made before expiry existed, or ITPM_API_TOKEN_DAYS=0).
    expires_at = models.DateTimeField(null=True, blank=True)

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
