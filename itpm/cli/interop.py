"""``itpm import``, ``itpm export``, ``itpm backup`` and ``itpm restore``.

Imports act as a user (``--as USERNAME``; by default the first site admin, i.e. the
superuser with the lowest id), so permissions and the audit trail name someone. Progress
goes to standard error (a bar on a terminal, plain lines otherwise), results to standard
output. Bad input: exit code 2 and one line on standard error.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

FORMATS = ("mspdi", "csv", "xlsx", "json")
_EXTENSIONS = {".xml": "mspdi", ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx",
               ".xlsm": "xlsx", ".json": "json"}  # fmt: skip


def _fail(message: str) -> None:
    from itpm.cli import _fail as fail

    fail(message)


def _setup() -> None:
    from itpm.cli import _django

    _django()


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback: a rich bar on a terminal, plain throttled lines otherwise."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if console.is_terminal:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console, transient=True,
        ) as bar:  # fmt: skip
            tasks: dict[str, Any] = {}

            def update(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            yield update
        return
    last: dict[str, int] = {}

    def plain(stage: str, done: int, total: int) -> None:
        step = max(total // 20, 1)
        if done == total or done - last.get(stage, -step) >= step:
            last[stage] = done
            sys.stderr.write(f"{stage}: {done}/{total}\n")
            sys.stderr.flush()

    yield plain


def _actor(username: str | None) -> Any:
    from itpm.accounts.models import User

    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            _fail(f"--as: no active user {username!r}")
        return user
    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        user = User.objects.filter(is_staff=True, is_active=True).order_by("pk").first()
    if user is None:
        _fail("no site admin to act as; name a user with --as USERNAME")
    return user


def _mspdi(name: str) -> Callable[..., Any]:
    """The MS Project XML functions live in itpm/interop/mspdi_*.py (looked up lazily)."""
    import itpm.interop

    for module in pkgutil.iter_modules(itpm.interop.__path__):
        if module.name.startswith("mspdi"):
            loaded = importlib.import_module(f"itpm.interop.{module.name}")
            function = getattr(loaded, name, None)
            if callable(function):
                return function  # type: ignore[no-any-return]
    _fail("MS Project XML (mspdi) is not available in this itpm")
    raise AssertionError  # _fail exits


def _detect(path: Path, data: bytes) -> str | None:
    kind = _EXTENSIONS.get(path.suffix.lower())
    if kind:
        return kind
    head = data[:200].lstrip()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"{"):
        return "json"
    if head.startswith(b"<"):
        return "mspdi"
    return None


def import_command(
    file: Annotated[
        Path, typer.Argument(help="A .xml (MS Project), .csv, .xlsx or .json (itpm archive) file.")
    ],
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            help="CSV/XLSX: the project whose tasks the file adds or updates (required). "
            "JSON/XML: the key of the new project.",
        ),
    ] = None,
    format: Annotated[
        str | None,
        typer.Option("--format", help="mspdi, csv, xlsx or json (default: by extension)."),
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Act as this user (default: the first site admin).")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help='CSV/XLSX: "Column header=field" (repeatable; field "" skips).'),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="CSV/XLSX: check only, write nothing.")
    ] = False,
) -> None:
    """Import a file; print the key of the project it created or updated."""
    if not file.is_file():
        _fail(f"{file}: no such file")
    data = file.read_bytes()
    kind = format or _detect(file, data)
    if kind not in FORMATS:
        _fail(
            f"{file}: unknown format {kind or file.suffix or '(none)'}; use --format {'|'.join(FORMATS)}"
        )
    _setup()
    from itpm.accounts.permissions import get_visible_project
    from itpm.core.errors import ServiceError

    actor = _actor(as_user)
    try:
        with _progress() as progress:
            if kind in ("csv", "xlsx"):
                from itpm.interop.tabular import tasks_import

                if not project:
                    _fail("--project KEY is required for a CSV or XLSX import")
                target = get_visible_project(actor, project or "")
                columns = dict(_split(item) for item in mapping or [])
                report = tasks_import(actor=actor, project=target, data=data, filename=file.name,
                                      mapping=columns or None, dry_run=dry_run, progress=progress)  # fmt: skip
                if dry_run:
                    for error in report.errors:
                        typer.echo(f"row {error.row}, {error.column}: {error.message}", err=True)
                    for row in report.plan:
                        if row["action"] == "update":
                            fields = ", ".join(row["changes"])
                            typer.echo(f"row {row['row']}: update {row['name']} ({fields})")
                    typer.echo(f"{target.key}: {len(report.tasks)} tasks ({report.created} to "
                               f"create, {report.updated} to update, {report.unchanged} unchanged), "
                               f"{report.links} links, {len(report.errors)} problems "
                               "(dry run, nothing written)")  # fmt: skip
                    if report.errors:
                        raise typer.Exit(code=2)
                    return
                typer.echo(target.key)
            elif kind == "json":
                from itpm.interop.archive import project_import

                created = project_import(actor=actor, data=data, key=project, progress=progress)
                typer.echo(created.key)
            else:
                mspdi_import = _mspdi("mspdi_import")
                created = mspdi_import(
                    data=data, actor=actor, project_key=project,
                    progress=lambda done, total: progress("importing MS Project tasks", done, total),
                )  # fmt: skip
                typer.echo(created.key)
    except ServiceError as exc:
        _fail(exc.detail)


def _split(item: str) -> tuple[str, str]:
    header, sep, field = item.rpartition("=")
    if not sep:
        _fail(f'--map {item!r}: write it as "Column header=field"')
    return header.strip(), field.strip()


def export_command(
    key: Annotated[str, typer.Argument(help="The project key.")],
    format: Annotated[str, typer.Option("--format", help="mspdi, csv, xlsx or json.")],
    output: Annotated[
        Path | None, typer.Option("--output", help="File to write (default: standard output).")
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Act as this user (default: the first site admin).")
    ] = None,
) -> None:
    """Export a project (tasks as CSV/XLSX, MS Project XML, or the full JSON archive)."""
    if format not in FORMATS:
        _fail(f"--format: unknown format {format!r}; use {'|'.join(FORMATS)}")
    if format == "xlsx" and output is None:
        _fail("--format xlsx writes a binary file: give --output PATH")
    _setup()
    from itpm.accounts.permissions import get_visible_project
    from itpm.core.errors import ServiceError

    actor = _actor(as_user)
    try:
        project = get_visible_project(actor, key)
        with _progress() as progress:
            if format == "csv":
                from itpm.interop.tabular import tasks_export_csv

                data = tasks_export_csv(project=project)
            elif format == "xlsx":
                from itpm.interop.tabular import tasks_export_xlsx

                data = tasks_export_xlsx(project=project)
            elif format == "json":
                from itpm.interop.archive import project_export_json

                data = project_export_json(actor=actor, project=project, progress=progress)
            else:
                data = _mspdi("mspdi_export")(project=project)
    except ServiceError as exc:
        _fail(exc.detail)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        try:
            output.write_bytes(data)
        except OSError as exc:
            _fail(f"--output: {exc.strerror or exc}")


def backup_command(
    path: Annotated[Path, typer.Argument(help="The backup file to write (a zip).")],
) -> None:
    """Back up the whole site (all tables and uploaded files) into one file."""
    if path.is_dir() or not path.parent.is_dir():
        _fail(f"{path}: not a file in an existing folder")
    _setup()
    from itpm.interop.backup import site_backup

    with _progress() as progress:
        manifest = site_backup(path=path, progress=progress)
    rows = sum(info["rows"] for info in manifest["tables"].values())
    typer.echo(f"{path}: {rows} rows in {len(manifest['tables'])} tables, "
               f"{len(manifest['media'])} files, checksum {manifest['checksum'][:12]}")  # fmt: skip


def restore_command(
    path: Annotated[Path, typer.Argument(help="A file written by itpm backup.")],
) -> None:
    """Restore a backup into an empty database (it is migrated first)."""
    if not path.is_file():
        _fail(f"{path}: no such file")
    _setup()
    from django.core.management import call_command

    from itpm.core.errors import ServiceError
    from itpm.interop.backup import site_restore

    call_command("migrate", interactive=False, verbosity=0)
    try:
        with _progress() as progress:
            manifest = site_restore(path=path, progress=progress)
    except ServiceError as exc:
        _fail(exc.detail)
    rows = sum(info["rows"] for info in manifest["tables"].values())
    typer.echo(f"restored {rows} rows and {len(manifest['media'])} files from {path}")


def register(app: typer.Typer) -> None:
    app.command(name="import")(import_command)
    app.command(name="export")(export_command)
    app.command(name="backup")(backup_command)
    app.command(name="restore")(restore_command)
