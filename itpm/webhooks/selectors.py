"""Reads of webhooks, scoped by who may see them (project managers; site admins)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from itpm.accounts.models import Role
from itpm.accounts.permissions import is_admin, require_role, visible_projects
from itpm.core.errors import Forbidden, Invalid, NotFound
from itpm.portfolio.models import Project
from itpm.webhooks.models import Delivery, DeliveryStatus, Subscription

MAX_ID = 2**63 - 1


def _check(user: Any, project: Project | None, *, write: bool) -> None:
    """Site-wide subscriptions are the site admins'; a project's are its managers' and owners'.

    A project the user cannot see hides its subscriptions (404); a member below manager
    gets 403, as does a non-admin asking for site-wide ones.
    """
    if project is None:
        if not is_admin(user):
            raise Forbidden("site-wide webhooks are for site admins")
        return
    if not visible_projects(user).filter(pk=project.pk).exists():
        raise NotFound("webhook not found")
    require_role(user, project, Role.MANAGER, write=write)


def subscription_list(*, user: Any, project: Project | None) -> QuerySet[Subscription]:
    _check(user, project, write=False)
    return Subscription.objects.filter(project=project).select_related("project").order_by("id")


def subscription_get(*, user: Any, subscription_id: int, write: bool) -> Subscription:
    if not 0 < subscription_id <= MAX_ID:
        raise NotFound(f"webhook {subscription_id} not found")
    subscription = Subscription.objects.select_related("project").filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound(f"webhook {subscription_id} not found")
    if subscription.project is None and not is_admin(user):
        # A site-wide subscription does not exist for anyone but the site admins.
        raise NotFound(f"webhook {subscription_id} not found")
    _check(user, subscription.project, write=write)
    return subscription


def delivery_list(*, subscription: Subscription, status: str | None = None) -> QuerySet[Delivery]:
    queryset = Delivery.objects.filter(subscription=subscription)
    if status:
        if status not in DeliveryStatus.values:
            raise Invalid.field("status", f"one of {', '.join(DeliveryStatus.values)}")
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def delivery_get(*, user: Any, delivery_id: int, write: bool) -> Delivery:
    if not 0 < delivery_id <= MAX_ID:
        raise NotFound(f"delivery {delivery_id} not found")
    delivery = (
        Delivery.objects.select_related("subscription__project").filter(pk=delivery_id).first()
    )
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found")
    subscription_get(user=user, subscription_id=delivery.subscription_id, write=write)
    return delivery
