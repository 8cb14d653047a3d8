"""A project's complete JSON archive, and importing one as a new project.

What belongs to a project is found from the models themselves, so a new app's rows are
archived without touching this file: a model is *owned* when it has a foreign key named
``project`` to Project, or a required foreign key to an owned model (a task's estimate, a
baseline's rows, a ticket's attachments). Rows of owned models are written with their
fields; foreign keys to owned rows are remapped to the new ids on import.

Everything else a row points to is a *reference* to shared data (people, teams, shared
resources and calendars, help-desk queues). The archive describes each referenced object
once, and the import finds it again by a natural key (a user by username, then e-mail; a
resource or team by name; a queue by key). A person who is not found becomes an inactive
account with that username and name and no password, so their time entries and comments
keep a name; a shared resource or team that is not found is created.

Uploaded files (attachments, document versions) travel inside the archive as base64 with
their names and content types.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import mimetypes
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import models, transaction

from itpm.accounts.models import Membership, Role, Team, User
from itpm.accounts.permissions import require_role
from itpm.core.errors import Forbidden, Invalid
from itpm.core.models import AuditEvent
from itpm.interop.backup import FullPrecisionEncoder
from itpm.portfolio.models import Project, key_validator

FORMAT = "itpm-project-archive"
FORMAT_VERSION = 1
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
# Not copied with the project: a person's running timer and inbox, webhook subscriptions
# (their targets and secrets belong to this site), and help-desk tickets and assets, which
# live in shared queues and inventories. Tickets and assets are listed as links instead.
SKIPPED = {
    "tracking.Timer", "notifications.Notification", "webhooks.Subscription", "helpdesk.Ticket",
    "assets.Asset",
}  # fmt: skip
LINKED = ("helpdesk.Ticket", "assets.Asset")
Progress = Callable[[str, int, int], None]


# ---------------------------------------------------------------------------- the model graph
def _project_model() -> type[models.Model]:
    return Project


def _target(field: Any) -> Any:
    """The model a relation points to (typed loosely: django-stubs allows "self" and None)."""
    return field.related_model


def _auto_through(field: Any) -> bool:
    """A plain many-to-many (Django made its table), not one through a model of its own."""
    return bool(field.remote_field.through._meta.auto_created)


def _fks(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]


def owned_models() -> list[type[models.Model]]:
    """Owned models in an order where each comes after the models it requires."""
    candidates = [
        m for m in apps.get_models()
        if m.__module__.startswith("itpm.") and m is not Project and m._meta.label not in SKIPPED
    ]  # fmt: skip
    owned: dict[type[models.Model], set[type[models.Model]]] = {}
    changed = True
    while changed:
        changed = False
        for model in candidates:
            if model in owned:
                continue
            needs: set[type[models.Model]] = set()
            is_owned = False
            for fk in _fks(model):
                target = _target(fk)
                if fk.name == "project" and target is Project:
                    is_owned = True
                elif not fk.null and target in owned and target is not model:
                    is_owned = True
                    needs.add(target)
            if is_owned:
                owned[model] = needs
                changed = True
    ordered: list[type[models.Model]] = []
    placed: set[type[models.Model]] = set()
    while len(ordered) < len(owned):
        for model in sorted(owned, key=lambda m: m._meta.label):
            if model not in placed and owned[model] <= placed:
                ordered.append(model)
                placed.add(model)
    return ordered


def _owner_fks(model: type[models.Model], owned: set[type[models.Model]]) -> list[Any]:
    return [
        fk for fk in _fks(model)
        if (fk.name == "project" and _target(fk) is Project)
        or (not fk.null and _target(fk) in owned and _target(fk) is not model)
    ]  # fmt: skip


def _encode(value: Any) -> Any:
    # Full microseconds (DjangoJSONEncoder keeps milliseconds only), so times come back exact.
    return json.loads(json.dumps(value, cls=FullPrecisionEncoder))


# ---------------------------------------------------------------------------- references
def _user_ref(user: User) -> dict[str, Any]:
    return {"username": user.username, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name}  # fmt: skip


def _describe(model: type[models.Model], obj: models.Model) -> dict[str, Any]:
    """A referenced (shared) object, by what another instance can find it by."""
    label = model._meta.label
    if isinstance(obj, User):
        return _user_ref(obj)
    data: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.is_relation or f.name in ("version", "created_at", "updated_at"):
            continue
        if isinstance(f, (models.FileField, models.BinaryField)):
            continue
        data[f.name] = _encode(f.value_from_object(obj))
    if label == "planning.Resource":
        user = getattr(obj, "user", None)
        data["user"] = _user_ref(user) if user else None
        # Its calendar travels by value: its tasks are scheduled on it (a night shift).
        calendar = getattr(obj, "calendar", None)
        data["calendar"] = _calendar_ref(calendar) if calendar is not None else None
    return data


def _calendar_ref(calendar: Any) -> dict[str, Any]:
    return {
        "name": calendar.name, "working_days": calendar.working_days,
        "working_hours": calendar.working_hours, "country": calendar.country,
        "subdivision": calendar.subdivision, "timezone": calendar.timezone,
        "exceptions": [
            {"date": e.date.isoformat(), "name": e.name, "working": e.working,
             "working_hours": e.working_hours}
            for e in calendar.exceptions.all()
        ],
    }  # fmt: skip


# ---------------------------------------------------------------------------- export
def project_export(
    *, actor: User, project: Project, progress: Progress | None = None
) -> dict[str, Any]:
    """The whole project as a JSON-safe dict (managers and above)."""
    require_role(actor, project, Role.MANAGER, write=False)
    order = owned_models()
    owned = set(order)
    ids: dict[type[models.Model], set[Any]] = defaultdict(set)
    ids[Project] = {project.pk}
    rows: dict[str, list[dict[str, Any]]] = {}
    refs: dict[str, dict[str, Any]] = defaultdict(dict)
    files: dict[str, dict[str, Any]] = {}

    def field_value(obj: models.Model, f: Any) -> Any:
        value = f.value_from_object(obj)
        if isinstance(f, models.ForeignKey) and value is not None:
            target = _target(f)
            if target is Project or target in owned:
                return value
            known = refs[target._meta.label]
            if str(value) not in known:
                known[str(value)] = _describe(target, getattr(obj, f.name))
            return value
        if isinstance(f, models.FileField):
            if value and value.name:
                _add_file(value)
                return value.name
            return ""
        if isinstance(f, models.BinaryField):
            return base64.b64encode(bytes(value or b"")).decode() if value is not None else None
        return _encode(value)

    def _add_file(file: Any) -> None:
        if file.name in files:
            return
        try:
            with file.storage.open(file.name, "rb") as handle:
                content = handle.read()
        except OSError:
            content = None
        files[file.name] = {
            "name": file.name.rsplit("/", 1)[-1],
            "content_type": mimetypes.guess_type(file.name)[0] or "application/octet-stream",
            "size": len(content) if content is not None else None,
            "sha256": hashlib.sha256(content).hexdigest() if content is not None else None,
            "base64": base64.b64encode(content).decode() if content is not None else None,
        }

    def serialize(model: type[models.Model], objs: list[models.Model]) -> list[dict[str, Any]]:
        out = []
        m2m = [f for f in model._meta.many_to_many if _auto_through(f)]
        for obj in objs:
            row = {"id": obj.pk}
            for f in model._meta.concrete_fields:
                if not f.primary_key:
                    row[f.name] = field_value(obj, f)
            for f in m2m:
                related = list(getattr(obj, f.name).all())
                target = _target(f)
                if target not in owned and target is not Project:
                    for item in related:
                        refs[target._meta.label].setdefault(str(item.pk), _describe(target, item))
                row[f.name] = sorted(item.pk for item in related)
            out.append(row)
        return out

    rows[Project._meta.label] = serialize(Project, [project])
    for number, model in enumerate(order, start=1):
        query = models.Q(pk__in=[])
        for fk in _owner_fks(model, owned):
            target = Project if _target(fk) is Project else _target(fk)
            query |= models.Q(**{f"{fk.name}_id__in": ids[target]})
        objs = list(model._default_manager.filter(query).order_by("pk"))
        ids[model] = {obj.pk for obj in objs}
        rows[model._meta.label] = serialize(model, objs)
        if progress:
            progress("archiving", number, len(order))
    links = {}
    for label in LINKED:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        links[label] = [{"id": obj.pk, "name": str(obj)[:300]}
                        for obj in model._default_manager.filter(project=project).order_by("pk")]  # fmt: skip
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "itpm_version": _itpm_version(),
        "exported_at": _encode(_now()),
        "project_key": project.key,
        "rows": rows,
        "references": refs,
        "files": files,
        "links": links,
    }


def project_export_json(
    *, actor: User, project: Project, progress: Progress | None = None
) -> bytes:
    archive = project_export(actor=actor, project=project, progress=progress)
    return json.dumps(archive, ensure_ascii=False, separators=(",", ":")).encode()


def _itpm_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("itpm")
    except PackageNotFoundError:
        return "0"


def _now() -> dt.datetime:
    from django.utils import timezone

    return timezone.now()


# ---------------------------------------------------------------------------- import
class _Resolver:
    """Finds (or creates) the shared objects an archive refers to; notes what it did."""

    def __init__(self, refs: dict[str, dict[str, Any]]) -> None:
        self.refs = refs
        self.cache: dict[tuple[str, str], Any] = {}
        self.placeholders: list[str] = []
        self.unresolved: list[str] = []

    def user(self, ref: dict[str, Any] | None) -> User | None:
        if not ref:
            return None
        username = str(ref.get("username") or "")[:150]
        user = User.objects.filter(username=username).first() if username else None
        if user is None and ref.get("email"):
            user = User.objects.filter(email__iexact=ref["email"]).first()
        if user is None and username:
            # A person unknown here keeps their name on an account that cannot log in.
            user = User.objects.create(
                username=username, first_name=str(ref.get("first_name") or "")[:150],
                last_name=str(ref.get("last_name") or "")[:150], is_active=False,
                password=make_password(None),
            )  # fmt: skip
            self.placeholders.append(username)
        return user

    def resolve(self, label: str, old_id: Any) -> Any:
        key = (label, str(old_id))
        if key in self.cache:
            return self.cache[key]
        ref = self.refs.get(label, {}).get(str(old_id))
        found: Any = None
        if ref is not None:
            found = self._find(label, ref)
        if found is None:
            self.unresolved.append(f"{label} {old_id}")
        self.cache[key] = found
        return found

    def _shared_calendar(self, ref: dict[str, Any]) -> Any:
        """A new resource's calendar: the shared one of that name, else a copy of it."""
        from itpm.planning.models import CalendarException, WorkCalendar

        found = WorkCalendar.objects.filter(project=None, name=ref.get("name", "")).first()
        if found is not None:
            return found
        calendar = WorkCalendar.objects.create(
            name=str(ref.get("name", ""))[:120] or "Resource calendar",
            working_days=ref.get("working_days") or [0, 1, 2, 3, 4],
            working_hours=ref.get("working_hours") or [],
            country=ref.get("country") or "", subdivision=ref.get("subdivision") or "",
            timezone=ref.get("timezone") or "UTC",
        )  # fmt: skip
        try:
            CalendarException.objects.bulk_create(
                CalendarException(
                    calendar=calendar,
                    date=dt.date.fromisoformat(e["date"]),
                    name=str(e.get("name", ""))[:120],
                    working=bool(e.get("working")),
                    working_hours=e.get("working_hours") or [],
                )
                for e in ref.get("exceptions", [])
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise Invalid.field(
                "calendar", f"the calendar {calendar.name!r} of a resource is not readable"
            ) from None
        from itpm.planning.scheduling import engine_calendar

        engine_calendar(calendar)  # Invalid naming "calendar" when it has no working time
        return calendar

    def _find(self, label: str, ref: dict[str, Any]) -> Any:
        model = apps.get_model(label)
        if issubclass(model, User):
            return self.user(ref)
        if label == "accounts.Team":
            team = Team.objects.filter(name=ref.get("name")).first()
            if team is None and ref.get("name"):
                team = Team.objects.create(**_plain(Team, ref))
            return team
        if label == "planning.Resource":
            resource = model._default_manager.filter(name=ref.get("name")).first()
            if resource is None and ref.get("name"):
                data = _plain(model, ref)
                user = self.user(ref.get("user"))
                if user is not None and not model._default_manager.filter(user=user).exists():
                    data["user"] = user
                if ref.get("calendar"):
                    data["calendar"] = self._shared_calendar(ref["calendar"])
                resource = model._default_manager.create(**data)
            return resource
        if label == "planning.WorkCalendar":
            calendar = model._default_manager.filter(project=None, name=ref.get("name")).first()
            if calendar is None and ref.get("name"):
                calendar = model._default_manager.create(**_plain(model, ref))
            return calendar
        # Other shared objects (queues, services, policies, requests) are found by their
        # unique field, else left out.
        for f in model._meta.concrete_fields:
            if f.unique and not f.primary_key and not f.is_relation and ref.get(f.name):
                return model._default_manager.filter(**{f.name: ref[f.name]}).first()
        return None


def _plain(model: type[models.Model], ref: dict[str, Any]) -> dict[str, Any]:
    names = {
        f.name: f for f in model._meta.concrete_fields
        if not f.primary_key and not f.is_relation and f.name not in ("version", "created_at", "updated_at")
    }  # fmt: skip
    return {name: names[name].to_python(value) for name, value in ref.items() if name in names}


def _check_header(archive: Any) -> None:
    if not isinstance(archive, dict) or archive.get("format") != FORMAT:
        raise Invalid.field("file", "not an itpm project archive")
    version = archive.get("format_version")
    if not isinstance(version, int):
        raise Invalid.field("format_version", "missing")
    if version > FORMAT_VERSION:
        raise Invalid.field(
            "format_version",
            f"the archive is format {version}; this itpm reads up to {FORMAT_VERSION} (upgrade itpm)",
        )
    rows = archive.get("rows")
    if not isinstance(rows, dict) or len(rows.get(Project._meta.label) or []) != 1:
        raise Invalid.field("rows", "the archive holds no project")


def archive_load(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_ARCHIVE_BYTES:
        raise Invalid.field("file", "larger than 200 MB")
    try:
        archive = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise Invalid.field("file", "not valid JSON") from None
    _check_header(archive)
    return archive  # type: ignore[no-any-return]


def _free_key(wanted: str) -> str:
    wanted = wanted.upper()[:10]
    if not Project.objects.filter(key=wanted).exists():
        return wanted
    for number in range(2, 10_000):
        suffix = str(number)
        candidate = wanted[: 10 - len(suffix)] + suffix
        if not Project.objects.filter(key=candidate).exists():
            return candidate
    raise Invalid.field("key", "no free project key; give one")


def project_import(
    *,
    actor: User,
    data: bytes,
    key: str | None = None,
    name: str | None = None,
    progress: Progress | None = None,
) -> Project:
    """Create a new project from an archive, with new ids, in one transaction.

    Anyone who may create projects may import one; they become its owner.
    """
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise Forbidden("log in to import projects")
    archive = archive_load(data)
    rows: dict[str, list[dict[str, Any]]] = archive["rows"]
    if key:
        key = key.strip().upper()
        try:
            key_validator(key)
        except Exception:
            raise Invalid.field(
                "key", "2 to 10 capital letters or digits, starting with a letter"
            ) from None
        if Project.objects.filter(key=key).exists():
            raise Invalid.field("key", f"a project {key} exists already")
    try:
        with transaction.atomic():
            project = _import_rows(actor, archive, rows, key, name, progress)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # A hand-edited or truncated archive: refuse it whole, naming what broke.
        raise Invalid.field(
            "file", f"the archive is damaged ({type(exc).__name__}: {exc})"
        ) from None
    return project


def _import_rows(
    actor: User,
    archive: dict[str, Any],
    rows: dict[str, list[dict[str, Any]]],
    key: str | None,
    name: str | None,
    progress: Progress | None,
) -> Project:
    from django.core.exceptions import ValidationError

    resolver = _Resolver(archive.get("references") or {})
    files: dict[str, dict[str, Any]] = archive.get("files") or {}
    order = owned_models()
    owned = set(order)
    new_ids: dict[type[models.Model], dict[Any, Any]] = defaultdict(dict)
    # Nullable links to rows that are created later (a task's parent, the project's own
    # calendar) are set in a second pass.
    deferred: list[tuple[type[models.Model], Any, str, type[models.Model], Any]] = []
    m2m_later: list[tuple[type[models.Model], Any, str, list[Any]]] = []
    inserted: set[type[models.Model]] = set()
    total = sum(len(v) for v in rows.values())
    done = 0

    def build(model: type[models.Model], row: dict[str, Any]) -> models.Model | None:
        obj = model()
        for f in model._meta.concrete_fields:
            if f.primary_key or f.name not in row:
                continue
            value = row[f.name]
            if isinstance(f, models.ForeignKey):
                target = _target(f)
                if value is None:
                    setattr(obj, f.attname, None)
                elif target is Project or target in owned:
                    if target is model or target not in inserted:
                        if not f.null:
                            return None
                        deferred.append((model, row["id"], f.attname, target, value))
                        setattr(obj, f.attname, None)
                        continue
                    new = new_ids[target].get(value)
                    if new is None:
                        if not f.null:
                            return None  # its owner was not imported
                        setattr(obj, f.attname, None)
                    else:
                        setattr(obj, f.attname, new)
                else:
                    found = resolver.resolve(target._meta.label, value)
                    if found is None and not f.null:
                        return None
                    setattr(obj, f.attname, found.pk if found is not None else None)
            elif isinstance(f, models.FileField):
                setattr(obj, f.attname, value or "")
            elif isinstance(f, models.BinaryField):
                setattr(obj, f.attname, base64.b64decode(value) if value is not None else None)
            else:
                try:
                    setattr(obj, f.attname, f.to_python(value))
                except ValidationError as exc:
                    raise ValueError(f"{model._meta.label}.{f.name}: {exc.messages[0]}") from None
        m2m_later.extend(
            (model, row["id"], f.name, list(row[f.name]))
            for f in model._meta.many_to_many
            if _auto_through(f) and row.get(f.name)
        )
        return obj

    # The project first, under a free key, owned by the importer.
    project_row = dict(rows[Project._meta.label][0])
    project_row["key"] = key or _free_key(str(project_row.get("key") or "IMP"))
    if name:
        project_row["name"] = name
    project_row["archived"] = False
    project = build(Project, project_row)
    assert isinstance(project, Project)  # noqa: S101 - the project row has no required owned FK
    project.save(force_insert=True)
    _keep_auto_fields(Project, [project], [project_row])
    new_ids[Project][project_row["id"]] = project.pk
    inserted.add(Project)

    skipped: dict[str, int] = defaultdict(int)
    for model in order:
        model_rows = rows.get(model._meta.label) or []
        objs: list[models.Model] = []
        kept: list[dict[str, Any]] = []
        for row in model_rows:
            obj = build(model, row)
            if obj is None:
                skipped[model._meta.label] += 1
                continue
            objs.append(obj)
            kept.append(row)
        _avoid_unique_collisions(model, objs, project.key)
        _restore_files(model, objs, files)
        if objs:
            model._default_manager.bulk_create(objs, batch_size=500)
            _keep_auto_fields(model, objs, kept)
        for obj, row in zip(objs, kept, strict=True):
            new_ids[model][row["id"]] = obj.pk
        inserted.add(model)
        done += len(model_rows)
        if progress:
            progress("importing", done, total)

    updates: dict[tuple[type[models.Model], str], list[tuple[Any, Any]]] = defaultdict(list)
    for model, old_id, attname, target, value in deferred:
        new_pk = new_ids[model].get(old_id)
        new_target = new_ids[target].get(value)
        if new_pk is not None and new_target is not None:
            updates[(model, attname)].append((new_pk, new_target))
    for (model, attname), pairs in updates.items():
        for new_pk, new_target in pairs:
            model._default_manager.filter(pk=new_pk).update(**{attname: new_target})
    for model, old_id, field_name, values in m2m_later:
        new_pk = new_ids[model].get(old_id)
        if new_pk is None:
            continue
        f = model._meta.get_field(field_name)
        target = _target(f)
        if target is Project or target in owned:
            targets = [new_ids[target][v] for v in values if v in new_ids[target]]
        else:
            targets = [
                t.pk for v in values if (t := resolver.resolve(target._meta.label, v)) is not None
            ]
        getattr(model._default_manager.get(pk=new_pk), field_name).set(targets)

    # The importer owns the new project.
    mine = Membership.objects.filter(project=project, user=actor).first()
    if mine is None:
        Membership.objects.create(project=project, user=actor, role=Role.OWNER)
    elif mine.role != Role.OWNER:
        Membership.objects.filter(pk=mine.pk).update(role=Role.OWNER, version=mine.version + 1)
    AuditEvent.objects.create(
        actor=actor, project=project, action="project.import", object_type="project",
        object_id=str(project.pk), object_repr=str(project)[:300],
        changes={"source": [None, archive.get("project_key")],
                 "rows": [None, sum(len(v) for v in new_ids.values())],
                 "placeholder_users": [None, resolver.placeholders],
                 "skipped": [None, dict(skipped)]},
    )  # fmt: skip
    project.refresh_from_db()
    return project


def _keep_auto_fields(
    model: type[models.Model], objs: list[models.Model], rows: list[dict[str, Any]]
) -> None:
    """Put back the archive's created/updated times that auto_now(_add) overwrote."""
    auto = [
        f for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]  # fmt: skip
    if not auto:
        return
    for obj, row in zip(objs, rows, strict=True):
        for f in auto:
            if row.get(f.name):
                setattr(obj, f.attname, f.to_python(row[f.name]))
    model._default_manager.bulk_update(objs, [f.name for f in auto], batch_size=500)


def _avoid_unique_collisions(model: type[models.Model], objs: list[models.Model], key: str) -> None:
    """Globally unique values (order numbers, asset tags, storage ids) get a fresh one."""
    for f in model._meta.concrete_fields:
        if not f.unique or f.primary_key or f.is_relation:
            continue
        values = [getattr(obj, f.attname) for obj in objs if getattr(obj, f.attname) is not None]
        if not values:
            continue
        taken = set(
            model._default_manager.filter(**{f"{f.attname}__in": values}).values_list(
                f.attname, flat=True
            )
        )
        for obj in objs:
            value = getattr(obj, f.attname)
            if value not in taken:
                continue
            if isinstance(f, models.UUIDField):
                setattr(obj, f.attname, uuid.uuid4())
            elif isinstance(value, str):
                limit = f.max_length or 300
                setattr(obj, f.attname, f"{value[: limit - len(key) - 1]}-{key}")


def _restore_files(
    model: type[models.Model], objs: list[models.Model], files: dict[str, dict[str, Any]]
) -> None:
    file_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
    for f in file_fields:
        for obj in objs:
            old_name = getattr(obj, f.attname)
            entry = files.get(old_name) if old_name else None
            if not entry or entry.get("base64") is None:
                continue
            content = base64.b64decode(entry["base64"])
            # The field names the new file (its upload_to may use the new owner's id).
            getattr(obj, f.name).save(entry.get("name") or "file", ContentFile(content), save=False)
