"""How pages refuse a too-low role: 403, like the API.

Page views catch a service's errors to show them in the form or as a message; a refusal
for lack of rights is not a form error, so they pass it through ``deny_if_forbidden``
(Django answers ``PermissionDenied`` with the 403 page). Views whose required role is known
before the service runs use ``require_page_role`` instead.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from itpm.accounts.models import ROLE_RANK, Role
from itpm.accounts.permissions import project_role
from itpm.core.errors import ServiceError


def deny_if_forbidden(exc: ServiceError) -> None:
    """Re-raise a service's 403 as the page's 403; other errors are the caller's to show."""
    if exc.status == 403:
        raise PermissionDenied(exc.detail) from exc


def require_page_role(user: Any, project: Any, minimum: Role) -> None:
    """403 for a member (or site admin acting as owner) below ``minimum`` on ``project``.

    The caller has already loaded ``project`` through a visibility check (404 for outsiders).
    """
    role = project_role(user, project)
    if role is None or ROLE_RANK[role] < ROLE_RANK[minimum]:
        raise PermissionDenied(f"this needs the {minimum.label.lower()} role on {project.key}")
