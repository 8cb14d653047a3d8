"""Helpers every write service uses: versions, field changes and the audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import models

from itpm.core.errors import Conflict
from itpm.core.models import AuditEvent


def json_value(value: Any) -> Any:
    """Make a field value safe for the audit event's JSON."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [json_value(v) for v in value]
    return value


def check_version(instance: models.Model, expected: int | None) -> None:
    """Refuse a write that was prepared against an older version of the row."""
    current = instance.version  # type: ignore[attr-defined]
    if expected is not None and expected != current:
        raise Conflict(
            f"{instance._meta.verbose_name} was changed by someone else "
            f"(you had version {expected}, it is now {current}); reload and try again"
        )


def apply_changes(instance: models.Model, data: dict[str, Any]) -> dict[str, list[Any]]:
    """Set fields from ``data`` and return ``{field: [before, after]}`` for those that changed.

    The caller decides which fields ``data`` may hold; this never looks at anything else.
    """
    changes: dict[str, list[Any]] = {}
    for name, value in data.items():
        before = getattr(instance, name)
        if before != value:
            changes[name] = [json_value(before), json_value(value)]
            setattr(instance, name, value)
    return changes


def save_versioned(instance: models.Model, changed_fields: list[str]) -> None:
    """Bump the version and save only what changed, guarded by the version we read.

    The ``UPDATE ... WHERE version = old`` makes a concurrent writer that read the same
    version lose with a 409 instead of silently overwriting (the lost-update guard).
    """
    from itpm.core.markdown import RenderedMarkdownField

    model = type(instance)
    old_version = instance.version  # type: ignore[attr-defined]
    # Stored renderings (description -> description_html) follow their source.
    derived = {
        field.attname: field.pre_save(instance, add=False)
        for field in model._meta.concrete_fields
        if isinstance(field, RenderedMarkdownField) and field.source in changed_fields
    }
    updated = model._default_manager.filter(pk=instance.pk, version=old_version).update(
        version=old_version + 1,
        **{name: getattr(instance, name) for name in changed_fields if name != "version"},
        **derived,
        **({"updated_at": _now()} if hasattr(instance, "updated_at") else {}),
    )
    if updated != 1:
        raise Conflict(
            f"{instance._meta.verbose_name} was changed by someone else; reload and try again"
        )
    instance.version = old_version + 1  # type: ignore[attr-defined]


def _now() -> dt.datetime:
    from django.utils import timezone

    return timezone.now()


# Called with every new audit event, inside the writer's transaction. The webhooks app
# registers here (in its AppConfig.ready) so core does not import an app; a listener must be
# cheap and defer real work with ``transaction.on_commit``.
AUDIT_LISTENERS: list[Callable[[AuditEvent], None]] = []


def audit(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    project: Any = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        project=project,
        action=action,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        changes=changes or {},
    )
    for listener in AUDIT_LISTENERS:
        listener(event)
    return event
