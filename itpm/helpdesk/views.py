"""Agents' pages: queues, ticket lists with saved filters, the ticket page, bulk actions."""

from __future__ import annotations

import urllib.parse
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from itpm.accounts.models import User
from itpm.accounts.permissions import get_visible_project, request_user, visible_projects
from itpm.core.errors import NotFound, ServiceError
from itpm.helpdesk import forms as hd_forms
from itpm.helpdesk import selectors, services
from itpm.helpdesk.models import (
    Priority,
    Queue,
    SavedFilter,
    Ticket,
    TicketAttachment,
    TicketStatus,
    TicketType,
)
from itpm.helpdesk.sla import ticket_clocks
from itpm.web.guards import deny_if_forbidden

FILTER_KEYS = ("queue", "status", "priority", "ticket_type", "assignee", "q", "open", "breached")


def _choice_field(form: Any, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _add_errors(form: Any, exc: ServiceError) -> None:
    if not exc.errors:
        form.add_error(None, exc.detail)
    for error in exc.errors:
        form.add_error(error.field if error.field in form.fields else None, error.message)


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    try:
        return selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    except NotFound:
        raise Http404("ticket not found") from None


def _with_clocks(tickets: Any) -> list[tuple[Ticket, Any]]:
    now = timezone.now()
    return [(ticket, ticket_clocks(ticket, now)) for ticket in tickets]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    queues = []
    for queue in selectors.agent_queues(user).select_related("team").order_by("key"):
        open_tickets = queue.tickets.exclude(status__in=["resolved", "closed"])
        queues.append({
            "queue": queue,
            "open": open_tickets.count(),
            "unassigned": open_tickets.filter(assignee__isnull=True).count(),
            "breached": open_tickets.filter(resolution_breached=True).count()
            + open_tickets.filter(response_breached=True, resolution_breached=False).count(),
        })  # fmt: skip
    mine = selectors.ticket_list(user=user, assignee=user.get_username(), open_only=True)[:50]
    requested = selectors.ticket_list(user=user, requester=user.get_username(), open_only=True)[:20]
    return render(request, "helpdesk/index.html", {
        "queues": queues,
        "mine": _with_clocks(mine),
        "requested": requested,
        "saved": SavedFilter.objects.filter(owner=request_user(request)),
        "is_agent": bool(queues),
    })  # fmt: skip


def _filters(params: QueryDict) -> dict[str, Any]:
    return {key: params.get(key, "") for key in FILTER_KEYS}


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request.GET)
    tickets = selectors.ticket_list(
        user=request.user,
        queue=filters["queue"] or None,
        status=filters["status"] if filters["status"] in TicketStatus.values else None,
        priority=filters["priority"] if filters["priority"] in Priority.values else None,
        ticket_type=filters["ticket_type"] if filters["ticket_type"] in TicketType.values else None,
        assignee=filters["assignee"] or None,
        search=filters["q"] or None,
        open_only=filters["open"] == "1",
        breached=True if filters["breached"] == "1" else None,
    )
    page = Paginator(tickets, 50).get_page(request.GET.get("page"))
    agent_queues = selectors.agent_queues(request.user)
    agents = User.objects.filter(teams__queues__in=agent_queues, is_active=True).distinct()
    query = urllib.parse.urlencode({k: v for k, v in filters.items() if v})
    return render(request, "helpdesk/ticket_list.html", {
        "page": page,
        "rows": _with_clocks(page.object_list),
        "filters": filters,
        "query": query,
        "queues": selectors.queue_list(user=request.user),
        "statuses": TicketStatus.choices,
        "priorities": Priority.choices,
        "types": TicketType.choices,
        "agents": agents.order_by("username"),
        "saved": SavedFilter.objects.filter(owner=request_user(request)),
        "can_bulk": agent_queues.exists(),
    })  # fmt: skip


@login_required
def queue_detail(request: HttpRequest, queue_key: str) -> HttpResponse:
    try:
        queue = selectors.queue_get(user=request.user, key=queue_key)
    except NotFound:
        raise Http404("queue not found") from None
    return redirect(f"/helpdesk/tickets/?queue={queue.key}&open=1")


@login_required
@require_POST
def filter_save(request: HttpRequest) -> HttpResponse:
    try:
        saved = services.saved_filter_create(
            actor=request_user(request),
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
        )
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
        return redirect("helpdesk:tickets")
    messages.success(request, f"Filter “{saved.name}” saved.")
    return redirect(f"/helpdesk/tickets/?{saved.query}")


def _queue_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [(q.key, f"{q.key} · {q.name}") for q in selectors.queue_list(user=request.user)]


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    form = hd_forms.TicketForm(request.POST or None, initial={"queue": request.GET.get("queue")})
    _choice_field(form, "queue").choices = _queue_choices(request)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        queue = Queue.objects.get(key=data.pop("queue"))
        requester_name = data.pop("requester")
        try:
            requester = None
            if requester_name:
                from itpm.accounts.selectors import user_by_username

                requester = user_by_username(requester_name, field="requester")
            ticket = services.ticket_create(
                actor=request_user(request), queue=queue, requester=requester, **data
            )
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, f"Ticket {ticket.ref} raised ({ticket.priority}).")
            return redirect(ticket.get_absolute_url())
    status = 422 if request.method == "POST" else 200
    return render(request, "helpdesk/ticket_form.html", {"form": form}, status=status)


def _ticket_context(request: HttpRequest, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    user = request.user
    agent = selectors.is_agent(user, ticket.queue)
    agents = User.objects.filter(teams=ticket.queue.team, is_active=True).order_by("username")
    edit = extra.pop("edit_form", None) or hd_forms.TicketEditForm(initial={
        "version": ticket.version, "status": ticket.status,
        "assignee": ticket.assignee.username if ticket.assignee else "",
        "priority": ticket.priority, "impact": ticket.impact, "urgency": ticket.urgency,
        "ticket_type": ticket.ticket_type, "category": ticket.category,
        "problem": ticket.problem_id,
    })  # fmt: skip
    _choice_field(edit, "assignee").choices = [("", "— unassigned —")] + [
        (a.username, a.display_name) for a in agents
    ]
    return {
        "ticket": ticket,
        "agent": agent,
        "clocks": ticket_clocks(ticket),
        "comments": selectors.ticket_comments(user=user, ticket=ticket),
        "attachments": selectors.ticket_attachments(user=user, ticket=ticket),
        "edit_form": edit,
        "comment_form": extra.pop("comment_form", None) or hd_forms.CommentForm(),
        "canned": selectors.canned_replies(user=user, queue=ticket.queue) if agent else [],
        "history": selectors.ticket_history(user=user, ticket=ticket)[:100],
        "incidents": ticket.incidents.all() if ticket.ticket_type == "problem" else [],
        "projects": visible_projects(user).filter(archived=False).order_by("key") if agent else [],
        "escalated_request": services.escalated_request(ticket),
        **extra,
    }


@login_required
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    return render(request, "helpdesk/ticket_detail.html", _ticket_context(request, ticket))


@login_required
@require_POST
def ticket_update(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = hd_forms.TicketEditForm(request.POST)
    agents = User.objects.filter(teams=ticket.queue.team, is_active=True)
    _choice_field(form, "assignee").choices = [("", "")] + [
        (a.username, a.username) for a in agents
    ]
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        assignee = data.pop("assignee")
        data["assignee"] = agents.filter(username=assignee).first() if assignee else None
        problem_id = data.pop("problem")
        try:
            data["problem"] = (
                selectors.ticket_get(user=request.user, ticket_id=problem_id)
                if problem_id
                else None
            )
            services.ticket_update(
                actor=request_user(request), ticket=ticket, version=version, data=data
            )
        except NotFound:
            form.add_error("problem", "no such ticket")
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, f"{ticket.ref} saved.")
            return redirect(ticket.get_absolute_url())
    ticket.refresh_from_db()
    context = _ticket_context(request, ticket, edit_form=form)
    return render(request, "helpdesk/ticket_detail.html", context, status=422)


@login_required
@require_POST
def ticket_comment(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = hd_forms.CommentForm(request.POST, request.FILES)
    if form.is_valid():
        actor = request_user(request)
        public = form.cleaned_data["public"] or not selectors.is_agent(actor, ticket.queue)
        try:
            from django.db import transaction

            with transaction.atomic():
                comment = services.ticket_comment_add(
                    actor=actor, ticket=ticket, body=form.cleaned_data["body"], public=public
                )
                if form.cleaned_data["file"]:
                    services.ticket_attachment_add(
                        actor=actor, ticket=ticket, upload=form.cleaned_data["file"],
                        public=public, comment=comment,
                    )  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, "Reply sent." if public else "Internal note added.")
            return redirect(ticket.get_absolute_url())
    context = _ticket_context(request, ticket, comment_form=form)
    return render(request, "helpdesk/ticket_detail.html", context, status=422)


@login_required
@require_POST
def ticket_escalate(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    kind = request.POST.get("kind", "task")
    project = None
    try:
        if request.POST.get("project"):
            project = get_visible_project(request.user, request.POST["project"])
        services.ticket_escalate(
            actor=request_user(request), ticket=ticket, project=project, kind=kind,
            name=request.POST.get("name", ""),
        )  # fmt: skip
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{ticket.ref} escalated.")
    return redirect(ticket.get_absolute_url())


@login_required
@require_POST
def ticket_bulk(request: HttpRequest) -> HttpResponse:
    if not selectors.is_any_agent(request.user):
        raise PermissionDenied("bulk actions are for help-desk agents")
    ids = [int(i) for i in request.POST.getlist("ticket") if i.isdigit()]
    tickets = list(
        selectors.visible_tickets(request.user).filter(pk__in=ids).select_related("queue")
    )
    action = request.POST.get("action", "")
    back = request.POST.get("back", "") or "/helpdesk/tickets/"
    if not back.startswith("/helpdesk/"):
        back = "/helpdesk/tickets/"
    try:
        assignee = None
        if action == "assign":
            from itpm.accounts.selectors import user_by_username

            assignee = user_by_username(request.POST.get("assignee", ""), field="assignee")
        count = services.tickets_bulk_update(
            actor=request_user(request), tickets=tickets, assignee=assignee, close=action == "close"
        )
    except ServiceError as exc:
        deny_if_forbidden(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{count} ticket(s) updated.")
    return redirect(back)


def _download(attachment: TicketAttachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("file missing") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    try:
        attachment = selectors.attachment_get(user=request.user, attachment_id=attachment_id)
    except NotFound:
        raise Http404("attachment not found") from None
    return _download(attachment)
