"""Pages: a project's webhooks (Settings → Webhooks), site-wide webhooks (admins), one
subscription with its delivery log, one delivery with its requests and responses.

Thin: parse, call one service or selector, redirect or render. What the user may not see
is 404, what they see but may not change is 403; a refused change re-renders the form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from itpm.accounts.permissions import request_user
from itpm.core.errors import Forbidden, NotFound, ServiceError
from itpm.portfolio.models import Project
from itpm.web.views import _add_errors, _context, _project
from itpm.webhooks import events, selectors, services
from itpm.webhooks.models import Delivery, Subscription

# The session slot that shows a new secret once (a key name, not a secret).
_SECRET_KEY = "webhook_secret"  # noqa: S105


class SubscriptionForm(forms.Form):
    url = forms.CharField(
        label="Target URL",
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/itpm"}),
        help_text="http or https; private, loopback and link-local addresses are refused.",
    )
    event_types = forms.CharField(
        label="Event types",
        max_length=4000,
        help_text="Separated by spaces or commas: task.created, risk.* (a family) or * (all).",
    )
    description = forms.CharField(max_length=200, required=False)

    def clean_event_types(self) -> list[str]:
        return [t for t in re.split(r"[\s,]+", self.cleaned_data["event_types"]) if t]


T = TypeVar("T")


def _guard(call: Callable[[], T]) -> T:
    try:
        return call()
    except NotFound:
        raise Http404("not found") from None
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from None


def _subscription(request: HttpRequest, subscription_id: int, *, write: bool) -> Subscription:
    user = request_user(request)
    return _guard(
        lambda: selectors.subscription_get(user=user, subscription_id=subscription_id, write=write)
    )


def _page_context(request: HttpRequest, project: Project | None, **extra: Any) -> dict[str, Any]:
    base = {"event_types": events.event_types(), "families": events.families(), **extra}
    if project is None:
        return {"project": None, **base}
    return _context(request, project, "settings", **base)


def _list_page(request: HttpRequest, project: Project | None) -> HttpResponse:
    user = request_user(request)
    subscriptions = _guard(lambda: selectors.subscription_list(user=user, project=project))
    form = SubscriptionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                subscription = services.subscription_create(
                    actor=user, project=project, **form.cleaned_data
                )
            except (NotFound, Forbidden):
                raise
            except ServiceError as exc:
                _add_errors(form, exc)
            else:
                request.session[_SECRET_KEY] = [subscription.pk, subscription.secret]
                messages.success(request, "Webhook created. Copy its secret now.")
                return redirect("webhooks:detail", subscription_id=subscription.pk)
        status = 422
    context = _page_context(request, project, subscriptions=subscriptions, form=form)
    return render(request, "webhooks/list.html", context, status=status)


@login_required
def project_webhooks(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    return _guard(lambda: _list_page(request, project))


@login_required
def site_webhooks(request: HttpRequest) -> HttpResponse:
    return _guard(lambda: _list_page(request, None))


@login_required
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    write = request.method == "POST"
    subscription = _subscription(request, subscription_id, write=write)
    initial = {
        "url": subscription.url,
        "event_types": " ".join(subscription.event_types),
        "description": subscription.description,
    }
    form = SubscriptionForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.subscription_update(
                    actor=request_user(request),
                    subscription=subscription,
                    version=int(request.POST.get("version") or 0) or None,
                    data=form.cleaned_data,
                )
            except ServiceError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, "Webhook saved.")
                return redirect("webhooks:detail", subscription_id=subscription.pk)
        status = 422
    shown = request.session.pop(_SECRET_KEY, None)
    secret = shown[1] if shown and shown[0] == subscription.pk else None
    deliveries = selectors.delivery_list(subscription=subscription)[:50]
    context = _page_context(
        request,
        subscription.project,
        subscription=subscription,
        form=form,
        secret=secret,
        deliveries=deliveries,
        now=timezone.now(),
    )
    return render(request, "webhooks/detail.html", context, status=status)


@login_required
@require_POST
def subscription_action(request: HttpRequest, subscription_id: int, action: str) -> HttpResponse:
    if action not in ("rotate", "enable", "disable", "delete"):
        raise Http404("no such action")
    subscription = _subscription(request, subscription_id, write=True)
    actor = request_user(request)
    version = int(request.POST.get("version") or 0) or None
    try:
        if action == "rotate":
            rotated = services.subscription_rotate_secret(
                actor=actor, subscription=subscription, version=version
            )
            request.session[_SECRET_KEY] = [rotated.pk, rotated.secret]
            messages.success(
                request, "New secret made; the old one also signs for 24 hours. Copy it now."
            )
        elif action == "delete":
            services.subscription_delete(actor=actor, subscription=subscription)
            messages.success(request, "Webhook deleted.")
            if subscription.project:
                return redirect("webhooks:project", key=subscription.project.key)
            return redirect("webhooks:site")
        else:
            services.subscription_update(
                actor=actor,
                subscription=subscription,
                version=version,
                data={"active": action == "enable"},
            )
            messages.success(request, f"Webhook {action}d.")
    except ServiceError as exc:
        messages.error(request, exc.detail)
    return redirect("webhooks:detail", subscription_id=subscription.pk)


def _delivery(request: HttpRequest, delivery_id: int, *, write: bool) -> Delivery:
    user = request_user(request)
    return _guard(lambda: selectors.delivery_get(user=user, delivery_id=delivery_id, write=write))


def _indented(payload: str) -> str:
    """The body for reading; the request carries it compact, exactly as signed."""
    try:
        return json.dumps(json.loads(payload), indent=2, ensure_ascii=False)
    except ValueError:
        return payload


@login_required
def delivery_detail(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _delivery(request, delivery_id, write=False)
    subscription = delivery.subscription
    context = _page_context(
        request,
        subscription.project,
        subscription=subscription,
        delivery=delivery,
        body=_indented(delivery.payload),
        attempts=list(delivery.attempt_log.all()),
    )
    return render(request, "webhooks/delivery.html", context)


@login_required
@require_POST
def delivery_redeliver(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _delivery(request, delivery_id, write=True)
    try:
        again = services.delivery_redeliver(actor=request_user(request), delivery=delivery)
    except ServiceError as exc:
        messages.error(request, exc.detail)
        return redirect("webhooks:delivery", delivery_id=delivery.pk)
    messages.success(request, "Queued for redelivery (same webhook-id).")
    return redirect("webhooks:delivery", delivery_id=again.pk)
