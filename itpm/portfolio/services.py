"""Use cases of projects."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from itpm.accounts.models import Membership, Role, User
from itpm.accounts.permissions import require_role
from itpm.core.errors import Conflict, FieldError, Forbidden, Invalid
from itpm.core.services import apply_changes, audit, check_version, json_value, save_versioned
from itpm.portfolio.models import Category, Project, Stage, key_validator

# What a project update may change; anything else in a request is refused by the schema.
# Not the stage: it moves only through an approved gate review (itpm/portfolio/gates.py).
PROJECT_FIELDS = (
    "name", "goal", "category", "manager", "sponsor", "start_date", "target_date",
    "currency",
)  # fmt: skip


def _validate_project(data: dict[str, Any]) -> None:
    errors: list[FieldError] = []
    if "name" in data and not str(data["name"] or "").strip():
        errors.append(FieldError("name", "must not be empty"))
    if "name" in data and len(str(data["name"])) > 200:
        errors.append(FieldError("name", "at most 200 characters"))
    if "category" in data and data["category"] not in Category.values:
        errors.append(FieldError("category", f"must be one of {', '.join(Category.values)}"))
    if "stage" in data and data["stage"] not in Stage.values:
        errors.append(FieldError("stage", f"must be one of {', '.join(Stage.values)}"))
    if "currency" in data and not (
        isinstance(data["currency"], str)
        and len(data["currency"]) == 3
        and data["currency"].isalpha()
        and data["currency"].isupper()
    ):
        errors.append(FieldError("currency", "must be a 3-letter ISO 4217 code such as USD"))
    start, target = data.get("start_date"), data.get("target_date")
    if isinstance(start, dt.date) and isinstance(target, dt.date) and target < start:
        errors.append(FieldError("target_date", "must not be before start_date"))
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def project_create(
    *,
    actor: User,
    key: str,
    name: str,
    goal: str = "",
    category: str = Category.OTHER,
    stage: str = Stage.INITIATION,
    manager: User | None = None,
    sponsor: User | None = None,
    start_date: dt.date | None = None,
    target_date: dt.date | None = None,
    currency: str = "USD",
) -> Project:
    """Create a project; its creator becomes its owner (and manager unless one is named)."""
    if actor is None or not actor.is_authenticated:
        raise Forbidden("log in to create projects")
    key = (key or "").strip().upper()
    try:
        key_validator(key)
    except ValidationError:
        raise Invalid.field(
            "key", "2 to 10 capital letters or digits, starting with a letter"
        ) from None
    data = {
        "name": name, "goal": goal, "category": category, "stage": stage,
        "start_date": start_date, "target_date": target_date, "currency": currency,
    }  # fmt: skip
    _validate_project(data)
    with transaction.atomic():
        if Project.objects.filter(key=key).exists():
            raise Conflict(f"project key {key} is taken", [FieldError("key", "taken")])
        project = Project.objects.create(key=key, manager=manager or actor, sponsor=sponsor, **data)
        Membership.objects.create(project=project, user=actor, role=Role.OWNER)
        if manager is not None and manager != actor:
            Membership.objects.create(project=project, user=manager, role=Role.MANAGER)
        audit(
            actor=actor,
            action="project.create",
            obj=project,
            project=project,
            changes={name: [None, json_value(value)] for name, value in data.items()},
        )
    return project


def project_update(
    *, actor: User, project: Project, version: int | None, data: dict[str, Any]
) -> Project:
    unknown = set(data) - set(PROJECT_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    require_role(actor, project, Role.MANAGER)
    _validate_project({**_current(project), **data})
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        check_version(project, version)
        changes = apply_changes(project, data)
        if changes:
            save_versioned(project, list(changes))
            audit(
                actor=actor, action="project.update", obj=project, project=project, changes=changes
            )
    return project


def _current(project: Project) -> dict[str, Any]:
    return {name: getattr(project, name) for name in ("start_date", "target_date")}


def project_archive(*, actor: User, project: Project, version: int | None = None) -> Project:
    """Archive (our 'delete'): the project and everything in it become read-only."""
    require_role(actor, project, Role.OWNER)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        check_version(project, version)
        project.archived = True
        save_versioned(project, ["archived"])
        audit(
            actor=actor,
            action="project.archive",
            obj=project,
            project=project,
            changes={"archived": [False, True]},
        )
    return project
