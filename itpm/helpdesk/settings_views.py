"""Manager pages of the help desk: queues (team, business hours, SLA policy, priority
matrix, portal categories) and SLA policies (targets per priority, warning threshold).

Site admins create queues and policies and move a queue to another team; the agents of a
queue (its team) change its other settings. Anyone else gets a 403, like the API.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from itpm.accounts.models import Team
from itpm.accounts.permissions import is_admin, request_user
from itpm.core.errors import ServiceError
from itpm.helpdesk import selectors, services
from itpm.helpdesk.forms import QueueSettingsForm, SlaPolicyForm
from itpm.helpdesk.models import Level, Priority, Queue, SlaPolicy
from itpm.helpdesk.views import _add_errors
from itpm.planning.models import WorkCalendar
from itpm.web.guards import deny_if_forbidden


def _require_admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied("only site admins manage this")


@login_required
def settings_index(request: HttpRequest) -> HttpResponse:
    queues = selectors.agent_queues(request.user).select_related("team", "sla_policy", "calendar")
    admin = is_admin(request.user)
    if not admin and not queues.exists():
        raise PermissionDenied("help-desk settings are for agents and site admins")
    policies = SlaPolicy.objects.all()
    if not admin:
        policies = policies.filter(queues__in=queues).distinct()
    return render(request, "helpdesk/settings.html", {
        "tab": "settings", "queues": queues.order_by("key"), "is_admin": admin,
        "policies": [(policy, _hours(policy)) for policy in policies],
    })  # fmt: skip


def _hours(policy: SlaPolicy) -> list[tuple[str, str, str]]:
    """Each priority's targets in business hours (the policy stores business minutes)."""

    def hours(minutes: int) -> str:
        return format((Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize(), "f")

    return [
        (p, hours(policy.target(p, "first_response")), hours(policy.target(p, "resolution")))
        for p in Priority.values
    ]


# ------------------------------------------------------------------ SLA policies
def _policy_initial(policy: SlaPolicy | None) -> dict[str, Any]:
    if policy is None:
        from itpm.helpdesk.models import default_targets

        targets, initial = default_targets(), {}
    else:
        targets = policy.targets
        initial = {"version": policy.version, "name": policy.name,
                   "description": policy.description, "warning_percent": policy.warning_percent,
                   "reopen_window_days": policy.reopen_window_days}  # fmt: skip
    for priority in Priority.values:
        row = targets.get(priority, {})
        initial[f"{priority}_first_response"] = Decimal(row.get("first_response_minutes", 60)) / 60
        initial[f"{priority}_resolution"] = Decimal(row.get("resolution_minutes", 480)) / 60
    return initial


def _policy_rows(form: SlaPolicyForm) -> list[tuple[str, Any, Any]]:
    return [(p, form[f"{p}_first_response"], form[f"{p}_resolution"]) for p in Priority.values]


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    _require_admin(request)
    policy = SlaPolicy.objects.filter(pk=policy_id).first() if policy_id else None
    if policy_id and policy is None:
        raise Http404("SLA policy not found")
    form = SlaPolicyForm(request.POST or None, initial=_policy_initial(policy))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {"name": data["name"], "description": data["description"],
                  "warning_percent": data["warning_percent"],
                  "reopen_window_days": data["reopen_window_days"]}  # fmt: skip
        try:
            if policy is None:
                policy = services.sla_policy_create(actor=request_user(request),
                                                    targets=form.targets(), **fields)  # fmt: skip
            else:
                services.sla_policy_update(actor=request_user(request), policy=policy,
                                           version=data["version"],
                                           data={**fields, "targets": form.targets()})  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        else:
            messages.success(request, f"SLA policy {policy.name} saved.")
            return redirect("helpdesk:settings")
    status = 422 if request.method == "POST" else 200
    return render(request, "helpdesk/policy_form.html",
                  {"tab": "settings", "form": form, "policy": policy,
                   "rows": _policy_rows(form)}, status=status)  # fmt: skip


# ------------------------------------------------------------------ queues
def _queue_initial(queue: Queue | None) -> dict[str, Any]:
    if queue is None:
        from itpm.helpdesk.models import default_matrix

        matrix, initial = default_matrix(), {"time_zone": "UTC", "portal_visible": True}
    else:
        matrix = queue.priority_matrix
        initial = {"version": queue.version, "key": queue.key, "name": queue.name,
                   "description": queue.description, "team": queue.team_id,
                   "calendar": queue.calendar_id or "", "time_zone": queue.time_zone,
                   "sla_policy": queue.sla_policy_id or "",
                   "categories": "\n".join(queue.categories),
                   "portal_visible": queue.portal_visible}  # fmt: skip
    for impact in Level.values:
        for urgency in Level.values:
            initial[f"matrix_{impact}_{urgency}"] = matrix.get(impact, {}).get(urgency, "P4")
    return initial


def _queue_form(request: HttpRequest, queue: Queue | None) -> QueueSettingsForm:
    form = QueueSettingsForm(request.POST or None, initial=_queue_initial(queue))
    choices = {
        "team": [(t.pk, t.name) for t in Team.objects.order_by("name")],
        "calendar": [("", "— default business hours")]
        + [(c.pk, c.name) for c in WorkCalendar.objects.filter(project__isnull=True).order_by("name")],
        "sla_policy": [("", "— none")] + [(p.pk, p.name) for p in SlaPolicy.objects.all()],
    }  # fmt: skip
    for name, options in choices.items():
        form.fields[name].choices = [(str(k), v) for k, v in options]  # type: ignore[attr-defined]
    if queue is not None:
        form.fields["key"].disabled = True
        if not is_admin(request.user):
            form.fields["team"].disabled = True  # only site admins move a queue to another team
    return form


@login_required
@require_http_methods(["GET", "POST"])
def queue_edit(request: HttpRequest, queue_key: str | None = None) -> HttpResponse:
    queue = None
    if queue_key is None:
        _require_admin(request)
    else:
        queue = Queue.objects.filter(key=queue_key.upper()).select_related("team").first()
        if (
            queue is None
            or not selectors.queue_list(user=request.user).filter(pk=queue.pk).exists()
        ):
            raise Http404("queue not found")
        if not selectors.is_agent(request.user, queue):
            raise PermissionDenied(f"only agents of {queue.key} change its settings")
    form = _queue_form(request, queue)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields: dict[str, Any] = {
            "name": data["name"], "description": data["description"],
            "calendar": WorkCalendar.objects.filter(pk=data["calendar"] or 0).first(),
            "time_zone": data["time_zone"],
            "sla_policy": SlaPolicy.objects.filter(pk=data["sla_policy"] or 0).first(),
            "priority_matrix": form.matrix(), "portal_visible": data["portal_visible"],
            "categories": [c for c in data["categories"].splitlines() if c.strip()],
        }  # fmt: skip
        team = Team.objects.filter(pk=data["team"] or 0).first()
        try:
            if queue is None:
                if team is None:
                    form.add_error("team", "choose a team")
                    raise _FormInvalid
                queue = services.queue_create(actor=request_user(request), key=data["key"],
                                              team=team, **fields)  # fmt: skip
            else:
                if is_admin(request.user) and team is not None and team != queue.team:
                    fields["team"] = team
                services.queue_update(actor=request_user(request), queue=queue,
                                      version=data["version"], data=fields)  # fmt: skip
        except ServiceError as exc:
            deny_if_forbidden(exc)
            _add_errors(form, exc)
        except _FormInvalid:
            pass
        else:
            messages.success(request, f"Queue {queue.key} saved.")
            return redirect("helpdesk:settings")
    status = 422 if request.method == "POST" else 200
    matrix = [
        (impact, [form[f"matrix_{impact}_{u}"] for u in Level.values]) for impact in Level.values
    ]
    return render(request, "helpdesk/queue_form.html",
                  {"tab": "settings", "form": form, "queue": queue, "matrix": matrix,
                   "levels": Level.values}, status=status)  # fmt: skip


class _FormInvalid(Exception):
    """A form error found in the view (no team chosen); the form shows it."""
