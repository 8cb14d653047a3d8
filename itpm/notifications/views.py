"""Pages: my notifications (mark read / all read), my preferences, and the calendar feeds.

The feeds answer without a session: the secret token in the URL names the person, and what
they show is what that person may see at the moment of the request.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from itpm.accounts.permissions import request_user, visible_projects
from itpm.core.errors import ServiceError
from itpm.notifications import feeds, selectors, services
from itpm.notifications.api import feed_urls
from itpm.notifications.models import Channel, Kind


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    unread = request.GET.get("show") == "unread"
    rows = selectors.notification_list(user, unread=True if unread else None)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {
        "page": page, "unread_only": unread, "unread": selectors.unread_count(user),
    })  # fmt: skip


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    user = request_user(request)
    try:
        notice = services.notification_mark_read(
            actor=user, notification_id=notification_id, read=request.POST.get("read") != "0"
        )
    except ServiceError as exc:
        raise Http404(exc.detail) from None
    if request.headers.get("HX-Request"):
        return render(request, "notifications/_row.html", {"n": notice})
    if request.POST.get("go") and notice.url.startswith("/"):
        return redirect(notice.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    marked = services.notification_mark_all_read(actor=request_user(request))
    messages.success(request, f"{marked} notification{'s' * (marked != 1)} marked read.")
    return redirect("notifications:list")


def _settings_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    prefs = services.settings_get(request_user(request))
    rows = [
        {"kind": k, "label": label, "in_app": prefs.wants(k, Channel.IN_APP),
         "email": prefs.wants(k, Channel.EMAIL)}
        for k, label in Kind.choices
    ]  # fmt: skip
    return {"prefs": prefs, "rows": rows, **extra}


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        chosen = {
            k: {c: request.POST.get(f"{k}__{c}") == "on" for c in Channel.values}
            for k in Kind.values
        }
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            services.notification_settings_update(
                actor=request_user(request), version=version, preferences=chosen,
                daily_digest=request.POST.get("daily_digest") == "on",
            )  # fmt: skip
        except ServiceError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, "Preferences saved.")
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", _settings_context(request))


@login_required
@require_POST
def calendar_token(request: HttpRequest) -> HttpResponse:
    """Revoke the old feed URL and make a new one, shown on this answer only."""
    token = services.calendar_token_renew(actor=request_user(request))
    return render(
        request, "notifications/settings.html", _settings_context(request, feed=feed_urls(token))
    )


def _ics(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def my_feed(request: HttpRequest, feed_token: str) -> HttpResponse:
    user = services.calendar_feed_user(feed_token)
    if user is None:
        raise Http404("no such feed")
    body = feeds.build_calendar(f"itpm: {user.display_name}", selectors.feed_tasks(user))
    return _ics(body, "my-work")


@require_GET
def project_feed(request: HttpRequest, feed_token: str, key: str) -> HttpResponse:
    user = services.calendar_feed_user(feed_token)
    project = visible_projects(user).filter(key=key.upper()).first() if user else None
    if project is None:
        raise Http404("no such feed")
    body = feeds.build_calendar(f"itpm: {project.key} milestones",
                                selectors.feed_milestones(project))  # fmt: skip
    return _ics(body, f"{project.key}-milestones")
