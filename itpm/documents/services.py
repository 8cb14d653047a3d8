"""Use cases: upload, new version and delete of documents; custom-field definitions and
the values of a task. Each runs in one transaction: permission, validation, write,
version bump, audit event.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max

from itpm.accounts.models import ROLE_RANK, Role, User
from itpm.accounts.permissions import require_role
from itpm.core.errors import Conflict, Forbidden, Invalid
from itpm.core.services import apply_changes, audit, check_version, save_versioned
from itpm.core.uploads import SafeName
from itpm.documents.custom_fields import KEY_PATTERN, parse_value, project_members
from itpm.documents.models import (
    CustomField,
    Document,
    DocumentVersion,
    FieldType,
    TaskCustomValues,
)
from itpm.documents.uploads import check_document
from itpm.planning.models import Task
from itpm.portfolio.models import Project

log = logging.getLogger(__name__)


def _digest(upload: Any) -> str:
    sha = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        sha.update(chunk)
    upload.seek(0)
    return sha.hexdigest()


def _store_version(
    *,
    actor: User,
    document: Document,
    upload: Any,
    checked: SafeName,
    number: int,
    written: list[str],
) -> DocumentVersion:
    version = DocumentVersion(
        document=document, number=number, name=checked.name, content_type=checked.content_type,
        size=checked.size, sha256=_digest(upload), uploaded_by=actor,
    )  # fmt: skip
    version.file.save(checked.name, upload, save=False)
    written.append(str(version.file.name))
    version.save()
    return version


def _remove(names: list[str]) -> None:
    """Delete stored files: after a delete commits, or when the rows that named them were
    rolled back (Django has on_commit but no on_rollback, so callers catch and call this)."""
    for name in names:
        try:
            default_storage.delete(name)
            # The file's own random folder goes too (local storage only; others have none).
            folder = Path(default_storage.path(name)).parent
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        except NotImplementedError:
            pass
        except OSError:
            log.warning("could not remove the upload %s", name)


# ---------------------------------------------------------------------------- documents
def document_upload(
    *,
    actor: User,
    project: Project,
    upload: Any,
    task: Task | None = None,
    subject: str = "",
) -> Document:
    """A new document with its first version (members and up)."""
    require_role(actor, project, Role.MEMBER)
    if task is not None and task.project_id != project.pk:
        raise Invalid.field("task", f"no task {task.pk} in {project.key}")
    subject = (subject or "").strip()
    if len(subject) > 200:
        raise Invalid.field("subject", "at most 200 characters")
    checked = check_document(upload)
    limit = settings.ITPM_DOCUMENT_MAX_PER_PROJECT
    written: list[str] = []
    try:
        with transaction.atomic():
            # Counted under the project's row lock so two uploads cannot both pass the limit.
            Project.objects.select_for_update().filter(pk=project.pk).first()
            if Document.objects.filter(project=project).count() >= limit:
                raise Invalid.field("file", f"{project.key} already holds {limit} documents")
            document = Document.objects.create(
                project=project, task=task, subject=subject, name=checked.name, created_by=actor
            )
            _store_version(actor=actor, document=document, upload=upload, checked=checked,
                           number=1, written=written)  # fmt: skip
            audit(actor=actor, action="document.upload", obj=document, project=project,
                  changes={"name": [None, checked.name], "size": [None, checked.size],
                           "task": [None, task.pk if task else None],
                           "subject": [None, subject]})  # fmt: skip
    except BaseException:
        _remove(written)
        raise
    return document


def document_add_version(
    *, actor: User, document: Document, upload: Any, version: int | None
) -> DocumentVersion:
    """Upload a new file for a document; earlier versions stay downloadable."""
    project = document.project
    require_role(actor, project, Role.MEMBER)
    checked = check_document(upload)
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = Document.objects.select_for_update().get(pk=document.pk)
            check_version(locked, version)
            number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            stored = _store_version(
                actor=actor,
                document=locked,
                upload=upload,
                checked=checked,
                number=number,
                written=written,
            )
            before = locked.name
            locked.name = checked.name
            save_versioned(locked, ["name"])
            audit(actor=actor, action="document.version", obj=locked, project=project,
                  changes={"version": [number - 1, number], "name": [before, checked.name],
                           "size": [None, checked.size]})  # fmt: skip
    except BaseException:
        _remove(written)
        raise
    document.version, document.name = locked.version, locked.name
    return stored


def document_update(
    *, actor: User, document: Document, version: int | None, data: dict[str, Any]
) -> Document:
    """Change what a document is about: its task and its subject label."""
    project = document.project
    require_role(actor, project, Role.MEMBER)
    if "subject" in data:
        data["subject"] = (data["subject"] or "").strip()
        if len(data["subject"]) > 200:
            raise Invalid.field("subject", "at most 200 characters")
    task = data.get("task")
    if task is not None and task.project_id != project.pk:
        raise Invalid.field("task", f"no task {task.pk} in {project.key}")
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        check_version(locked, version)
        changes = apply_changes(locked, {k: v for k, v in data.items() if k in ("task", "subject")})
        if changes:
            save_versioned(locked, list(changes))
            audit(actor=actor, action="document.update", obj=locked, project=project,
                  changes=changes)  # fmt: skip
    return locked


def document_delete(*, actor: User, document: Document, version: int | None = None) -> None:
    """Remove a document and all its versions (its manager or the person who uploaded it)."""
    project = document.project
    role = require_role(actor, project, Role.MEMBER)
    if ROLE_RANK[role] < ROLE_RANK[Role.MANAGER] and document.created_by_id != actor.pk:
        raise Forbidden("only a manager or the person who uploaded it may delete a document")
    with transaction.atomic():
        locked = Document.objects.select_for_update().filter(pk=document.pk).first()
        if locked is None:
            raise Conflict("the document was deleted meanwhile")
        check_version(locked, version)
        names = list(locked.versions.values_list("file", flat=True))
        audit(actor=actor, action="document.delete", obj=locked, project=project,
              changes={"name": [locked.name, None], "versions": [len(names), 0]})  # fmt: skip
        locked.delete()
        # The files go once the rows are gone for good; a rollback keeps both.
        transaction.on_commit(lambda: _remove(names))


# ---------------------------------------------------------------------------- custom fields
FIELD_FIELDS = ("name", "choices", "required", "position")


def _clean_field_data(data: dict[str, Any], field_type: str) -> dict[str, Any]:
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            raise Invalid.field("name", "required")
        if len(data["name"]) > 80:
            raise Invalid.field("name", "at most 80 characters")
    if "choices" in data:
        choices = [str(c).strip() for c in (data["choices"] or [])]
        if any(not c or len(c) > 80 for c in choices):
            raise Invalid.field("choices", "each choice is 1 to 80 characters")
        if len(set(choices)) != len(choices):
            raise Invalid.field("choices", "choices must differ")
        if len(choices) > 100:
            raise Invalid.field("choices", "at most 100 choices")
        data["choices"] = choices
    if field_type == FieldType.CHOICE and "choices" in data and not data["choices"]:
        raise Invalid.field("choices", "a choice field needs at least one choice")
    if field_type != FieldType.CHOICE and data.get("choices"):
        raise Invalid.field("choices", "only a choice field has choices")
    return data


def custom_field_create(
    *,
    actor: User,
    project: Project,
    key: str,
    name: str,
    field_type: str = FieldType.TEXT,
    choices: list[str] | None = None,
    required: bool = False,
    position: int | None = None,
) -> CustomField:
    """Define a field on the project's tasks (managers)."""
    require_role(actor, project, Role.MANAGER)
    key = (key or "").strip()
    if not KEY_PATTERN.match(key):
        raise Invalid.field(
            "key", "lower-case letters, digits and _ (starting with a letter), at most 40"
        )
    if field_type not in FieldType.values:
        raise Invalid.field("field_type", f"one of {', '.join(FieldType.values)}")
    data = _clean_field_data({"name": name, "choices": choices or []}, field_type)
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        if CustomField.objects.filter(project=project, key=key).exists():
            raise Invalid.field("key", f"{project.key} already has a field {key!r}")
        if CustomField.objects.filter(project=project).count() >= 50:
            raise Invalid.field("key", "a project has at most 50 custom fields")
        if position is None:
            position = (
                CustomField.objects.filter(project=project).aggregate(p=Max("position"))["p"] or 0
            ) + 1
        field = CustomField.objects.create(
            project=project, key=key, field_type=field_type, required=required,
            position=position, **data,
        )  # fmt: skip
        audit(actor=actor, action="custom_field.create", obj=field, project=project,
              changes={"key": [None, key], "name": [None, field.name],
                       "field_type": [None, field_type]})  # fmt: skip
    return field


def custom_field_update(
    *, actor: User, field: CustomField, version: int | None, data: dict[str, Any]
) -> CustomField:
    """Rename, reorder, change choices or the required flag (key and type stay)."""
    project = field.project
    require_role(actor, project, Role.MANAGER)
    data = _clean_field_data({k: v for k, v in data.items() if k in FIELD_FIELDS}, field.field_type)
    with transaction.atomic():
        locked = CustomField.objects.select_for_update().get(pk=field.pk)
        check_version(locked, version)
        changes = apply_changes(locked, data)
        if changes:
            save_versioned(locked, list(changes))
            audit(actor=actor, action="custom_field.update", obj=locked, project=project,
                  changes=changes)  # fmt: skip
    return locked


def custom_field_delete(*, actor: User, field: CustomField, version: int | None = None) -> None:
    """Remove a field and its values from every task of the project."""
    project = field.project
    require_role(actor, project, Role.MANAGER)
    with transaction.atomic():
        locked = CustomField.objects.select_for_update().filter(pk=field.pk).first()
        if locked is None:
            raise Conflict("the field was deleted meanwhile")
        check_version(locked, version)
        rows = TaskCustomValues.objects.select_for_update().filter(
            task__project=project, values__has_key=locked.key
        )
        cleared = 0
        for row in rows:
            row.values = {k: v for k, v in row.values.items() if k != locked.key}
            save_versioned(row, ["values"])
            cleared += 1
        audit(actor=actor, action="custom_field.delete", obj=locked, project=project,
              changes={"key": [locked.key, None], "values_cleared": [cleared, 0]})  # fmt: skip
        locked.delete()


def task_custom_values_set(
    *, actor: User, task: Task, values: dict[str, Any], version: int | None
) -> TaskCustomValues:
    """Set some of a task's custom values (a None or "" clears one), all or nothing.

    Every value is checked against its field's type; a required field may not end up
    empty. Errors name the field as ``values.<key>``.
    """
    project = task.project
    require_role(actor, project, Role.MEMBER)
    fields = {f.key: f for f in CustomField.objects.filter(project=project)}
    members = project_members(project)
    parsed: dict[str, Any] = {}
    for key, raw in values.items():
        field = fields.get(key)
        if field is None:
            raise Invalid.field(f"values.{key}", f"no custom field {key!r} in {project.key}")
        parsed[key] = parse_value(field, raw, name=f"values.{key}", members=members)
    with transaction.atomic():
        row, _ = TaskCustomValues.objects.get_or_create(task=task)
        row = TaskCustomValues.objects.select_for_update().get(pk=row.pk)
        check_version(row, version)
        merged = {k: v for k, v in row.values.items() if k in fields}
        for key, value in parsed.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        for key, field in fields.items():
            if field.required and key not in merged:
                raise Invalid.field(f"values.{key}", f"{field.name} is required")
        changes = {
            key: [row.values.get(key), merged.get(key)]
            for key in set(row.values) | set(merged)
            if row.values.get(key) != merged.get(key)
        }
        if changes:
            row.values = merged
            save_versioned(row, ["values"])
            audit(actor=actor, action="task.custom_fields", obj=task, project=project,
                  changes=changes)  # fmt: skip
    return row


def custom_fields_add_suggested(
    *, actor: User, project: Project, keys: list[str] | None = None
) -> list[CustomField]:
    """Add the fields the project's category suggests (all, or those named in ``keys``).

    Keys the project already has are skipped; one transaction adds the rest.
    """
    from itpm.documents.field_templates import suggested_fields

    require_role(actor, project, Role.MANAGER)
    templates = suggested_fields(project.category)
    known = {t["key"] for t in templates}
    for key in keys or []:
        if key not in known:
            raise Invalid.field("keys", f"{key!r} is not a suggested field of this category")
    wanted = [t for t in templates if keys is None or t["key"] in keys]
    with transaction.atomic():
        existing = set(CustomField.objects.filter(project=project).values_list("key", flat=True))
        return [
            custom_field_create(actor=actor, project=project, **template)
            for template in wanted
            if template["key"] not in existing
        ]
