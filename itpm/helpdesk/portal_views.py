"""The requester portal: a separate, minimal face. Everyone sees only their own tickets,
with public replies only; what is not theirs is a 404."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from itpm.accounts.permissions import request_user
from itpm.core.errors import NotFound, ServiceError
from itpm.helpdesk import forms as hd_forms
from itpm.helpdesk import selectors, services
from itpm.helpdesk.models import Level, Ticket, TicketStatus
from itpm.helpdesk.views import _add_errors, _choice_field, _download


def _portal_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """A portal page that is not found answers with the portal's own not-found page: the
    main app's 404 carries its navigation (projects, resources, ...), which is no face for
    an outside requester."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)  # type: ignore[no-any-return]
        except Http404:
            return render(request, "helpdesk/portal/not_found.html", status=404)

    return wrapper


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    try:
        return selectors.portal_ticket_get(user=request.user, ticket_id=ticket_id)
    except NotFound:
        raise Http404("ticket not found") from None


@login_required
@_portal_page
def home(request: HttpRequest) -> HttpResponse:
    tickets = selectors.portal_tickets(request.user).select_related("queue").order_by("-id")
    status = request.GET.get("status", "")
    if status == "open":
        tickets = tickets.exclude(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
    elif status == "done":
        tickets = tickets.filter(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
    return render(
        request, "helpdesk/portal/home.html", {"tickets": tickets[:200], "status": status}
    )


@login_required
@_portal_page
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    queues = list(selectors.portal_queues(user=request.user))
    form = hd_forms.PortalTicketForm(request.POST or None, request.FILES or None)
    _choice_field(form, "queue").choices = [(q.key, q.name) for q in queues]
    categories = sorted({c for q in queues for c in q.categories})
    _choice_field(form, "category").choices = [("", "— choose —")] + [(c, c) for c in categories]
    chosen = request.GET.get("category")
    if chosen in categories and request.method == "GET":
        # The form by category: a topic picks the queue that handles it.
        form.initial["category"] = chosen
        form.initial["queue"] = next(q.key for q in queues if chosen in q.categories)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        key = data.pop("queue")
        queue = next(q for q in queues if q.key == key)
        if data["category"] and data["category"] not in queue.categories:
            queue = next(q for q in queues if data["category"] in q.categories)
        upload = data.pop("file")
        actor = request_user(request)
        try:
            with transaction.atomic():
                ticket = services.ticket_create(
                    actor=actor, queue=queue, source="portal", impact=Level.LOW, **data
                )
                if upload:
                    services.ticket_attachment_add(actor=actor, ticket=ticket, upload=upload)
        except ServiceError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Thank you. Your request {ticket.ref} is with {queue.name}.")
            return redirect("helpdesk:portal_ticket", ticket_id=ticket.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "helpdesk/portal/new.html", {"form": form, "categories": categories}, status=status
    )


@login_required
@_portal_page
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    return render(request, "helpdesk/portal/ticket.html", _context(request, ticket))


def _context(request: HttpRequest, ticket: Ticket, form: object = None) -> dict[str, object]:
    return {
        "ticket": ticket,
        "comments": selectors.ticket_comments(user=request.user, ticket=ticket, public_only=True),
        "attachments": selectors.ticket_attachments(
            user=request.user, ticket=ticket, public_only=True
        ),
        "form": form or hd_forms.PortalReplyForm(),
    }


@login_required
@_portal_page
@require_POST
def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = hd_forms.PortalReplyForm(request.POST, request.FILES)
    if form.is_valid():
        actor = request_user(request)
        try:
            with transaction.atomic():
                comment = services.ticket_comment_add(
                    actor=actor, ticket=ticket, body=form.cleaned_data["body"], public=True
                )
                if form.cleaned_data["file"]:
                    services.ticket_attachment_add(
                        actor=actor, ticket=ticket, upload=form.cleaned_data["file"],
                        comment=comment,
                    )  # fmt: skip
        except ServiceError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Reply sent.")
            return redirect("helpdesk:portal_ticket", ticket_id=ticket.pk)
    return render(
        request, "helpdesk/portal/ticket.html", _context(request, ticket, form), status=422
    )


@login_required
@_portal_page
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    try:
        attachment = selectors.attachment_get(
            user=request.user, attachment_id=attachment_id, portal=True
        )
    except NotFound:
        raise Http404("attachment not found") from None
    return _download(attachment)
