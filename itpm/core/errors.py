"""Errors a service raises; each entry point (API, page, CLI) turns them into its own answer.

The API maps them to 400/403/404/409/422 with ``{"detail", "errors": [{"field", "message"}]}``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ServiceError(Exception):
    status = 400

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class NotFound(ServiceError):
    """The object does not exist, or the user may not see it (never tell which)."""

    status = 404


class Forbidden(ServiceError):
    """The user sees the object but may not do this to it."""

    status = 403


class Conflict(ServiceError):
    """A stale version, or a state that forbids the change (e.g. an archived project)."""

    status = 409


class Invalid(ServiceError):
    """Input that breaks a rule; ``errors`` names the fields."""

    status = 422

    @classmethod
    def field(cls, field: str, message: str) -> Invalid:
        return cls(f"{field}: {message}", [FieldError(field, message)])
