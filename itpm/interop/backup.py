"""Backup and restore of the whole site: every table and every uploaded file in one zip.

The zip holds ``manifest.json`` (format version, itpm version, the migrations applied,
row count and SHA-256 per table, one checksum over all), ``data/<app.Model>.jsonl`` (one
row per line, Django's serialized form, primary keys kept) and ``media/<path>`` (the
uploads). Content types and permissions are rebuilt by ``migrate`` on the target, with
other ids maybe: rows that point at them are translated by their natural key
(``app_label.model``, ``app_label.codename``).

Restore only goes into an empty database (after ``migrate``), in one transaction, and
then resets the primary-key sequences (PostgreSQL), so SQLite and PostgreSQL backups
restore into either. Checksums are computed over a canonical JSON form (keys sorted,
full microseconds), so the same content gives the same checksum on both.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import io
import json
import os
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, models, transaction

from itpm.core.errors import Conflict, Invalid

FORMAT = "itpm-backup"
FORMAT_VERSION = 1
Progress = Callable[[str, int, int], None]
# Rebuilt by migrate on the target (ids translated), or not worth keeping.
NOT_DUMPED = {"contenttypes.ContentType", "auth.Permission", "sessions.Session"}
# Rows that migrations create on an empty database: restore replaces them.
SEEDED_OK = NOT_DUMPED


class FullPrecisionEncoder(json.JSONEncoder):
    """Like DjangoJSONEncoder but keeps full microseconds, so content survives unchanged."""

    def default(self, o: Any) -> Any:
        if isinstance(o, (dt.datetime, dt.date, dt.time)):
            return o.isoformat()
        if isinstance(o, dt.timedelta):
            return o.total_seconds()
        if isinstance(o, (decimal.Decimal, uuid.UUID)):
            return str(o)
        if isinstance(o, (bytes, memoryview)):
            import base64

            return base64.b64encode(bytes(o)).decode()
        return super().default(o)


def dumped_models() -> list[type[models.Model]]:
    existing = set(connection.introspection.table_names())
    result = [
        m for m in apps.get_models(include_auto_created=False)
        if m._meta.label not in NOT_DUMPED and m._meta.managed and not m._meta.proxy
        and m._meta.db_table in existing
    ]  # fmt: skip
    return sorted(result, key=lambda m: m._meta.label)


def _ct_maps() -> tuple[dict[int, str], dict[int, str]]:
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    cts = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}
    perms = {
        p.pk: f"{p.content_type.app_label}.{p.content_type.model}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }
    return cts, perms


def _rows(model: type[models.Model]) -> Iterator[dict[str, Any]]:
    queryset = model._default_manager.order_by("pk")
    for start in range(0, 1 << 62, 2000):
        chunk = list(queryset[start : start + 2000])
        if not chunk:
            return
        yield from serializers.serialize("python", chunk)
        if len(chunk) < 2000:
            return


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, cls=FullPrecisionEncoder, sort_keys=True, ensure_ascii=False)


def table_checksums() -> dict[str, dict[str, Any]]:
    """Row count and content checksum of every dumped table of the current database."""
    result = {}
    cts, perms = _ct_maps()
    for model in dumped_models():
        digest = hashlib.sha256()
        count = 0
        for obj in _rows(model):
            digest.update(_line(_portable(model, obj, cts, perms)).encode() + b"\n")
            count += 1
        result[model._meta.label] = {"rows": count, "sha256": digest.hexdigest()}
    return result


def _ct_fields(model: type[models.Model]) -> tuple[list[str], list[str], list[str], list[str]]:
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    fk_ct, fk_perm, m2m_ct, m2m_perm = [], [], [], []
    for f in model._meta.concrete_fields:
        if f.is_relation and f.related_model is ContentType:
            fk_ct.append(f.name)
        elif f.is_relation and f.related_model is Permission:
            fk_perm.append(f.name)
    for f in model._meta.many_to_many:
        if f.related_model is ContentType:
            m2m_ct.append(f.name)
        elif f.related_model is Permission:
            m2m_perm.append(f.name)
    return fk_ct, fk_perm, m2m_ct, m2m_perm


def _portable(
    model: type[models.Model], obj: dict[str, Any], cts: dict[int, str], perms: dict[int, str]
) -> dict[str, Any]:
    """Replace content-type and permission ids by their natural names."""
    fk_ct, fk_perm, m2m_ct, m2m_perm = _ct_fields(model)
    fields = obj["fields"]
    for name in fk_ct:
        fields[name] = cts.get(fields[name]) if fields[name] is not None else None
    for name in fk_perm:
        fields[name] = perms.get(fields[name]) if fields[name] is not None else None
    for name in m2m_ct:
        fields[name] = sorted(cts[v] for v in fields[name] if v in cts)
    for name in m2m_perm:
        fields[name] = sorted(perms[v] for v in fields[name] if v in perms)
    for f in model._meta.many_to_many:
        if f.name in fields and f.name not in m2m_ct + m2m_perm:
            fields[f.name] = sorted(fields[f.name], key=str)
    return obj


def _local(
    model: type[models.Model], obj: dict[str, Any], cts: dict[str, int], perms: dict[str, int]
) -> dict[str, Any]:
    fk_ct, fk_perm, m2m_ct, m2m_perm = _ct_fields(model)
    fields = obj["fields"]

    def one(table: dict[str, int], value: Any, what: str) -> Any:
        if value is None:
            return None
        if value not in table:
            raise Invalid.field("file", f"the backup names {what} {value}, unknown here")
        return table[value]

    for name in fk_ct:
        fields[name] = one(cts, fields[name], "content type")
    for name in fk_perm:
        fields[name] = one(perms, fields[name], "permission")
    for name in m2m_ct:
        fields[name] = [one(cts, v, "content type") for v in fields[name]]
    for name in m2m_perm:
        fields[name] = [one(perms, v, "permission") for v in fields[name]]
    return obj


def _migrations() -> dict[str, list[str]]:
    from django.db.migrations.recorder import MigrationRecorder

    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------- backup
def site_backup(*, path: str | Path, progress: Progress | None = None) -> dict[str, Any]:
    """Write the backup zip to ``path`` (atomically: a temp file renamed at the end)."""
    target = Path(path)
    temporary = target.with_name(target.name + ".partial")
    cts, perms = _ct_maps()
    tables: dict[str, dict[str, Any]] = {}
    media: dict[str, str] = {}
    model_list = dumped_models()
    # One read transaction: on PostgreSQL a repeatable snapshot; rows written meanwhile
    # are either all in or all out.
    # Only the outermost transaction can choose its isolation (a caller may hold one).
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for number, model in enumerate(model_list, start=1):
                digest = hashlib.sha256()
                count = 0
                with archive.open(f"data/{model._meta.label}.jsonl", "w") as handle:
                    for obj in _rows(model):
                        line = _line(_portable(model, obj, cts, perms)).encode() + b"\n"
                        digest.update(line)
                        handle.write(line)
                        count += 1
                tables[model._meta.label] = {"rows": count, "sha256": digest.hexdigest()}
                if progress:
                    progress("tables", number, len(model_list))
            root = Path(settings.MEDIA_ROOT)
            files = _media_files()
            for number, file in enumerate(files, start=1):
                relative = file.relative_to(root).as_posix()
                content = file.read_bytes()
                media[relative] = hashlib.sha256(content).hexdigest()
                archive.writestr(f"media/{relative}", content)
                if progress:
                    progress("files", number, len(files))
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "itpm_version": _version(),
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "database": connection.vendor,
                "migrations": _migrations(),
                "tables": tables,
                "media": media,
                "checksum": _overall(tables, media),
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(temporary, target)
    return manifest


def _overall(tables: dict[str, dict[str, Any]], media: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for label, info in sorted(tables.items()):
        digest.update(f"{label} {info['rows']} {info['sha256']}\n".encode())
    for name, sha in sorted(media.items()):
        digest.update(f"media {name} {sha}\n".encode())
    return digest.hexdigest()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("itpm")
    except PackageNotFoundError:
        return "0"


# ---------------------------------------------------------------------------- restore
def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError):
        raise Invalid.field("file", "not an itpm backup (no manifest)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Invalid.field("file", "not an itpm backup")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise Invalid.field(
            "format_version",
            f"backup format {version} is newer than this itpm reads ({FORMAT_VERSION})",
        )
    return manifest


def database_is_empty() -> bool:
    return not any(m._default_manager.exists() for m in dumped_models())


def site_restore(*, path: str | Path, progress: Progress | None = None) -> dict[str, Any]:
    """Load a backup into this (migrated, empty) database and its media directory."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise Invalid.field("file", f"cannot read the backup ({exc})") from None
    with archive:
        manifest = read_manifest(archive)
        here = _migrations()
        for app, names in (manifest.get("migrations") or {}).items():
            unknown = set(names) - set(here.get(app, []))
            if unknown:
                raise Invalid.field(
                    "migrations",
                    f"the backup comes from a newer itpm ({app} {sorted(unknown)[0]}); upgrade first",
                )
        if not database_is_empty():
            raise Conflict("the database is not empty; restore only into a new, migrated database")
        tables: dict[str, Any] = manifest.get("tables") or {}
        _verify(archive, manifest)
        ct_names, perm_names = _ct_maps()
        cts = {name: pk for pk, name in ct_names.items()}
        perms = {name: pk for pk, name in perm_names.items()}
        labels = [label for label in sorted(tables) if _model(label) is not None]
        with transaction.atomic(), connection.constraint_checks_disabled():
            for number, label in enumerate(labels, start=1):
                model = _model(label)
                assert model is not None  # noqa: S101 - filtered above
                with archive.open(f"data/{label}.jsonl") as handle:
                    _load(model, handle, cts, perms)
                if progress:
                    progress("tables", number, len(labels))
            table_names = [m._meta.db_table for m in (_model(label) for label in labels) if m]
            connection.check_constraints(table_names=table_names)
            _reset_sequences([m for m in (_model(label) for label in labels) if m])
            _restore_media(archive, manifest, progress)
    return manifest


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _verify(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Refuse a damaged or edited backup before touching the database."""
    for label, info in (manifest.get("tables") or {}).items():
        digest = hashlib.sha256()
        try:
            with archive.open(f"data/{label}.jsonl") as handle:
                for line in handle:
                    digest.update(line)
        except KeyError:
            raise Invalid.field("file", f"the backup lacks the table {label}") from None
        if digest.hexdigest() != info.get("sha256"):
            raise Invalid.field("file", f"the checksum of {label} does not match: damaged backup")
    if _overall(manifest.get("tables") or {}, manifest.get("media") or {}) != manifest.get(
        "checksum"
    ):
        raise Invalid.field("file", "the manifest's checksum does not match: damaged backup")


def _load(
    model: type[models.Model], handle: IO[bytes], cts: dict[str, int], perms: dict[str, int]
) -> None:
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        for item in serializers.deserialize("python", batch, ignorenonexistent=True):
            item.save()
        batch.clear()

    for raw in io.TextIOWrapper(handle, encoding="utf-8"):
        if raw.strip():
            batch.append(_local(model, json.loads(raw), cts, perms))
        if len(batch) >= 1000:
            flush()
    flush()


def _reset_sequences(model_list: list[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _restore_media(
    archive: zipfile.ZipFile, manifest: dict[str, Any], progress: Progress | None
) -> None:
    root = Path(settings.MEDIA_ROOT).resolve()
    media: dict[str, str] = manifest.get("media") or {}
    for number, (name, sha) in enumerate(sorted(media.items()), start=1):
        target = (root / name).resolve()
        if root not in target.parents:
            raise Invalid.field("file", f"the backup names a file outside the media folder: {name}")
        content = archive.read(f"media/{name}")
        if hashlib.sha256(content).hexdigest() != sha:
            raise Invalid.field("file", f"the checksum of the file {name} does not match")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        if progress:
            progress("files", number, len(media))
