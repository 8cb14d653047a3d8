"""The one permission module: deny by default, scoped querysets, role checks.

Rules:
- A site admin (``is_staff``) may do everything.
- Anyone else sees a project only through a Membership; the role says what they may do.
- What a user may not see does not exist for them (404); what they see but may not
  change answers 403.
- An archived project is read-only for everyone, admins included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import HttpRequest

from itpm.accounts.models import ROLE_RANK, Membership, Role, User
from itpm.core.errors import Conflict, Forbidden, NotFound

if TYPE_CHECKING:
    from itpm.portfolio.models import Project


def is_admin(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def visible_projects(user: Any) -> QuerySet[Project]:
    from itpm.portfolio.models import Project

    if user is None or not user.is_authenticated or not user.is_active:
        return Project.objects.none()
    if is_admin(user):
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user)


def project_role(user: Any, project: Project) -> Role | None:
    """The user's role on the project; admins act as owners; None for outsiders."""
    if is_admin(user):
        return Role.OWNER
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    role = (
        Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    )
    return Role(role) if role else None


def require_role(user: Any, project: Project, minimum: Role, *, write: bool = True) -> Role:
    """Check that ``user`` holds at least ``minimum`` on ``project``.

    Outsiders get NotFound (they must not learn the project exists), members with a lower
    role get Forbidden, and any write to an archived project is a Conflict.
    """
    role = project_role(user, project)
    if role is None:
        raise NotFound("project not found")
    if ROLE_RANK[role] < ROLE_RANK[minimum]:
        raise Forbidden(f"this needs the {minimum.label.lower()} role on {project.key}")
    if write and project.archived:
        raise Conflict(f"project {project.key} is archived and read-only")
    return role


def get_visible_project(user: Any, key: str) -> Project:
    project = visible_projects(user).filter(key=key.upper()).first()
    if project is None:
        raise NotFound(f"project {key!r} not found")
    return project


def request_user(request: HttpRequest) -> User:
    """The logged-in user of a request that passed authentication (typed for the services)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotFound("not found")
    return user
