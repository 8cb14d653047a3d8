"""Reads of assets and services.

Read rule: every internal user may read assets and services (operations data is shared
across the organization); outside requesters (portal-only) see none. Writes belong to the
members of the owner team and to site admins (services.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from itpm.accounts.permissions import is_admin, visible_projects
from itpm.assets.models import Asset, Service
from itpm.core.errors import NotFound
from itpm.helpdesk.models import is_portal_only


def _internal(user: Any) -> bool:
    return (
        user is not None and user.is_authenticated and user.is_active and not is_portal_only(user)
    )


def can_edit_team(user: Any, team_id: int | None) -> bool:
    if is_admin(user):
        return True
    if team_id is None or not _internal(user):
        return False
    return bool(user.teams.filter(pk=team_id).exists())


def may_import(user: Any) -> bool:
    """Whether ``user`` may import assets at all: site admins and members of some team (each
    row is then checked against its owner team)."""
    return is_admin(user) or (_internal(user) and bool(user.teams.exists()))


def asset_list(
    *,
    user: Any,
    asset_type: str | None = None,
    status: str | None = None,
    team: str | None = None,
    service: int | None = None,
    project: str | None = None,
    search: str | None = None,
) -> QuerySet[Asset]:
    if not _internal(user):
        return Asset.objects.none()
    assets = Asset.objects.select_related("owner_team", "service", "project", "installed_by_task")
    if asset_type:
        assets = assets.filter(asset_type=asset_type)
    if status:
        assets = assets.filter(status=status)
    if team:
        assets = assets.filter(owner_team__name=team)
    if service:
        assets = assets.filter(service_id=service)
    if project:
        # A project the reader may not see does not exist for them: no probing by key.
        assets = assets.filter(project__key=project.upper(), project__in=visible_projects(user))
    if search:
        term = search.strip()
        assets = assets.filter(
            Q(name__icontains=term) | Q(tag__icontains=term) | Q(serial__icontains=term)
            | Q(model__icontains=term) | Q(location__icontains=term)
        )  # fmt: skip
    return assets.order_by("tag")


def visible_project_ids(user: Any) -> set[int] | None:
    """Ids of the projects ``user`` may see, or None for all (site admins).

    Assets and services are shared with every internal user, but the projects behind them
    are not: pages and the API name a linked project (or its task) only to its readers.
    """
    if is_admin(user):
        return None
    return set(visible_projects(user).values_list("pk", flat=True))


def may_see_project(visible: set[int] | None, project_id: int | None) -> bool:
    return project_id is not None and (visible is None or project_id in visible)


def asset_get(*, user: Any, asset_id: int) -> Asset:
    asset = asset_list(user=user).filter(pk=asset_id).first()
    if asset is None:
        raise NotFound("asset not found")
    return asset


def service_list(*, user: Any, search: str | None = None) -> QuerySet[Service]:
    if not _internal(user):
        return Service.objects.none()
    services = Service.objects.select_related("owner_team", "support_queue")
    if search:
        services = services.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return services.order_by("name")


def service_get(*, user: Any, service_id: int) -> Service:
    service = service_list(user=user).filter(pk=service_id).first()
    if service is None:
        raise NotFound("service not found")
    return service
