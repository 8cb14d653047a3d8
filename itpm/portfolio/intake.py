"""Intake: project requests and their triage by portfolio managers.

Portfolio managers are the site admins and the members of the Django group
"Portfolio managers" (``PORTFOLIO_MANAGERS_GROUP``). A group, not a project role, because
triage happens before any project exists; an admin adds people to it in the admin site.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import is_admin
from itpm.accounts.services import membership_set
from itpm.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from itpm.core.services import apply_changes, audit, check_version, json_value, save_versioned
from itpm.portfolio.models import (
    OPEN_REQUEST_STATUSES,
    Category,
    Project,
    ProjectRequest,
    RequestComment,
    RequestStatus,
    Urgency,
)
from itpm.portfolio.notify import notify
from itpm.portfolio.services import project_create

PORTFOLIO_MANAGERS_GROUP = "Portfolio managers"
MAX_MONEY = Decimal("99999999999999.99")

REQUEST_FIELDS = (
    "title", "problem", "goal", "category", "business_unit", "desired_date", "currency",
    "rough_cost", "rough_benefit", "urgency",
)  # fmt: skip


def is_portfolio_manager(user: Any) -> bool:
    if is_admin(user):
        return True
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.groups.filter(name=PORTFOLIO_MANAGERS_GROUP).exists())


# ---------------------------------------------------------------------------- reads
def request_list(
    *, user: Any, status: str | None = None, mine: bool = False, search: str | None = None
) -> QuerySet[ProjectRequest]:
    """Requests the user may see: their own; portfolio managers see every request."""
    if user is None or not user.is_authenticated:
        return ProjectRequest.objects.none()
    requests = ProjectRequest.objects.select_related("requester", "project", "merged_into")
    if mine or not is_portfolio_manager(user):
        requests = requests.filter(requester=user)
    if status:
        requests = requests.filter(status=status)
    if search:
        requests = requests.filter(Q(title__icontains=search) | Q(problem__icontains=search))
    return requests.order_by("-created_at", "-id")


def request_get(*, user: Any, request_id: int) -> ProjectRequest:
    found = request_list(user=user).filter(pk=request_id).first()
    if found is None:
        raise NotFound(f"request {request_id} not found")
    return found


def triage_queue(*, user: Any) -> QuerySet[ProjectRequest]:
    if not is_portfolio_manager(user):
        return ProjectRequest.objects.none()
    return request_list(user=user).filter(status__in=OPEN_REQUEST_STATUSES)


# ---------------------------------------------------------------------------- writes
def _validate(data: dict[str, Any]) -> None:
    errors: list[FieldError] = []
    errors.extend(
        FieldError(name, "must not be empty")
        for name in ("title", "problem")
        if name in data and not str(data[name] or "").strip()
    )
    if "title" in data and len(str(data["title"])) > 200:
        errors.append(FieldError("title", "at most 200 characters"))
    if "category" in data and data["category"] not in Category.values:
        errors.append(FieldError("category", f"must be one of {', '.join(Category.values)}"))
    if "urgency" in data and data["urgency"] not in Urgency.values:
        errors.append(FieldError("urgency", f"must be one of {', '.join(Urgency.values)}"))
    if "currency" in data and not (
        isinstance(data["currency"], str)
        and len(data["currency"]) == 3
        and data["currency"].isalpha()
        and data["currency"].isupper()
    ):
        errors.append(FieldError("currency", "must be a 3-letter ISO 4217 code such as USD"))
    for name in ("rough_cost", "rough_benefit"):
        value = data.get(name)
        if value is not None and not (Decimal(0) <= Decimal(value) <= MAX_MONEY):
            errors.append(FieldError(name, "must be from 0 to 99,999,999,999,999.99"))
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def request_submit(
    *,
    actor: User,
    title: str,
    problem: str,
    goal: str = "",
    category: str = Category.OTHER,
    business_unit: str = "",
    desired_date: dt.date | None = None,
    currency: str = "USD",
    rough_cost: Decimal | None = None,
    rough_benefit: Decimal | None = None,
    urgency: str = Urgency.MEDIUM,
) -> ProjectRequest:
    """Anyone logged in submits a request; it waits in the portfolio managers' triage queue."""
    if actor is None or not actor.is_authenticated:
        raise Forbidden("log in to submit requests")
    data = {
        "title": (title or "").strip(), "problem": problem, "goal": goal, "category": category,
        "business_unit": business_unit, "desired_date": desired_date, "currency": currency,
        "rough_cost": rough_cost, "rough_benefit": rough_benefit, "urgency": urgency,
    }  # fmt: skip
    _validate(data)
    with transaction.atomic():
        req = ProjectRequest.objects.create(requester=actor, **data)
        audit(
            actor=actor,
            action="request.submit",
            obj=req,
            changes={name: [None, json_value(value)] for name, value in data.items()},
        )
        managers = User.objects.filter(
            Q(is_staff=True) | Q(groups__name=PORTFOLIO_MANAGERS_GROUP), is_active=True
        ).distinct()
        notify(
            users=[m for m in managers if m.pk != actor.pk],
            text=f"New project request {req}",
            url=req.get_absolute_url(),
            email=False,
        )
    return req


def request_update(
    *, actor: User, request: ProjectRequest, version: int | None, data: dict[str, Any]
) -> ProjectRequest:
    """The requester edits an open request (to answer a question); managers may too.

    Editing a request that waits for information sends it back to triage.
    """
    unknown = set(data) - set(REQUEST_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    if request.requester_id != actor.pk and not is_portfolio_manager(actor):
        raise Forbidden("only the requester or a portfolio manager changes a request")
    if request.status not in OPEN_REQUEST_STATUSES:
        raise Conflict(f"the request is {request.get_status_display().lower()}; it is closed")
    _validate(data)
    with transaction.atomic():
        req = ProjectRequest.objects.select_for_update().get(pk=request.pk)
        check_version(req, version)
        changes = apply_changes(req, data)
        if req.status == RequestStatus.INFO_REQUESTED and req.requester_id == actor.pk:
            changes.update(apply_changes(req, {"status": RequestStatus.SUBMITTED}))
        if changes:
            save_versioned(req, list(changes))
            audit(actor=actor, action="request.update", obj=req, changes=changes)
    return req


def request_answer(
    *,
    actor: User,
    request: ProjectRequest,
    version: int | None,
    answer: str,
    data: dict[str, Any] | None = None,
) -> ProjectRequest:
    """The requester answers the portfolio managers' question: the answer goes into the
    conversation, corrected fields are saved, and the request returns to triage."""
    if request.requester_id != actor.pk:
        raise Forbidden("only the requester answers a question about the request")
    if request.status != RequestStatus.INFO_REQUESTED:
        raise Conflict("nobody asked for more information about this request")
    answer = (answer or "").strip()
    if not answer:
        raise Invalid.field("answer", "write the information that was asked for")
    data = dict(data or {})
    unknown = set(data) - set(REQUEST_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    _validate(data)
    with transaction.atomic():
        req = ProjectRequest.objects.select_for_update().get(pk=request.pk)
        check_version(req, version)
        changes = apply_changes(req, {**data, "status": RequestStatus.SUBMITTED})
        RequestComment.objects.create(request=req, author=actor, body=answer)
        save_versioned(req, list(changes))
        audit(actor=actor, action="request.answer", obj=req,
              changes={**changes, "answer": [None, answer]})  # fmt: skip
        managers = [req.decided_by] if req.decided_by_id else []
        notify(
            users=[m for m in managers if m is not None and m.pk != actor.pk],
            text=f"{actor.display_name} answered about request {req}: {answer[:200]}",
            url=req.get_absolute_url(),
        )
    return req


def request_comment(*, actor: User, request: ProjectRequest, body: str) -> RequestComment:
    if request.requester_id != actor.pk and not is_portfolio_manager(actor):
        raise Forbidden("only the requester or a portfolio manager comments here")
    if not (body or "").strip():
        raise Invalid.field("body", "must not be empty")
    with transaction.atomic():
        comment = RequestComment.objects.create(request=request, author=actor, body=body.strip())
        audit(actor=actor, action="request.comment", obj=request, changes={"comment": [None, body]})
    return comment


def _decide(
    actor: User, request: ProjectRequest, version: int | None, status: str, note: str
) -> tuple[ProjectRequest, dict[str, list[Any]]]:
    if not is_portfolio_manager(actor):
        raise Forbidden("only portfolio managers triage requests")
    req = ProjectRequest.objects.select_for_update().get(pk=request.pk)
    check_version(req, version)
    if req.status not in OPEN_REQUEST_STATUSES:
        raise Conflict(f"request {req.pk} is already {req.get_status_display().lower()}")
    changes = apply_changes(
        req,
        {"status": status, "triage_note": note, "decided_by": actor, "decided_at": timezone.now()},
    )
    return req, changes


def request_ask_info(
    *, actor: User, request: ProjectRequest, version: int | None, question: str
) -> ProjectRequest:
    """Send the request back to its requester with a question."""
    if not (question or "").strip():
        raise Invalid.field("note", "say what information is missing")
    with transaction.atomic():
        req, changes = _decide(actor, request, version, RequestStatus.INFO_REQUESTED, question)
        RequestComment.objects.create(request=req, author=actor, body=question.strip())
        save_versioned(req, list(changes))
        audit(actor=actor, action="request.ask_info", obj=req, changes=changes)
        notify(
            users=[req.requester],
            text=f"{actor.display_name} asks about your request {req}: {question}",
            url=req.get_absolute_url(),
        )
    return req


def request_reject(
    *, actor: User, request: ProjectRequest, version: int | None, reason: str
) -> ProjectRequest:
    if not (reason or "").strip():
        raise Invalid.field("note", "give the requester a reason")
    with transaction.atomic():
        req, changes = _decide(actor, request, version, RequestStatus.REJECTED, reason)
        save_versioned(req, list(changes))
        audit(actor=actor, action="request.reject", obj=req, changes=changes)
        notify(
            users=[req.requester],
            text=f"Your request {req} was rejected: {reason}",
            url=req.get_absolute_url(),
        )
    return req


def request_merge(
    *,
    actor: User,
    request: ProjectRequest,
    version: int | None,
    into: ProjectRequest,
    note: str = "",
) -> ProjectRequest:
    """Close a duplicate by pointing it at the request (or project) that covers it."""
    if into.pk == request.pk:
        raise Invalid.field("merge_into", "a request cannot be merged into itself")
    if into.status in (RequestStatus.REJECTED, RequestStatus.MERGED):
        raise Invalid.field("merge_into", f"request {into.pk} is {into.status}; merge elsewhere")
    with transaction.atomic():
        req, changes = _decide(
            actor, request, version, RequestStatus.MERGED, note or f"Merged into {into}"
        )
        changes.update(apply_changes(req, {"merged_into": into}))
        save_versioned(req, list(changes))
        audit(actor=actor, action="request.merge", obj=req, changes=changes)
        notify(
            users=[req.requester],
            text=f"Your request {req} was merged into {into}",
            url=req.get_absolute_url(),
        )
    return req


def request_accept(
    *,
    actor: User,
    request: ProjectRequest,
    version: int | None,
    key: str,
    name: str | None = None,
    manager: User | None = None,
    sponsor: User | None = None,
    note: str = "",
) -> ProjectRequest:
    """Accept into initiation: create the project (stage initiation) and link the two."""
    with transaction.atomic():
        req, changes = _decide(actor, request, version, RequestStatus.ACCEPTED, note)
        project: Project = project_create(
            actor=actor,
            key=key,
            name=name or req.title,
            goal=req.goal or req.problem,
            category=req.category,
            manager=manager,
            sponsor=sponsor,
            start_date=None,
            target_date=req.desired_date,
            currency=req.currency,
        )
        # The requester follows the project they asked for, and the sponsor sees what they
        # approve and sign off (read-only unless given more).
        for person in (req.requester, sponsor):
            skip = person is None or person.pk in (actor.pk, getattr(manager, "pk", None))
            if (
                person is not None
                and not skip
                and not project.memberships.filter(user=person).exists()
            ):
                membership_set(actor=actor, project=project, user=person, role=Role.VIEWER)
        changes.update(apply_changes(req, {"project": project}))
        save_versioned(req, list(changes))
        audit(actor=actor, action="request.accept", obj=req, project=project, changes=changes)
        notify(
            users=[req.requester],
            text=f"Your request {req} was accepted as project {project.key}",
            url=req.get_absolute_url(),
        )
    return req
