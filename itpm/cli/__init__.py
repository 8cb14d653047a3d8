"""The `itpm` command.

Commands that need the database set up Django first (``_django()``); `itpm engine` does not.
Bad input: exit code 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Annotated

import typer

from itpm.cli.engine import app as engine_app
from itpm.cli.interop import register as register_interop

# The demo's published password (README); demo users exist only on demo installs.
DEMO_PASSWORD = "demo-pass-123"  # noqa: S105

app = typer.Typer(
    help="itpm: IT project management.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.add_typer(engine_app, name="engine")
register_interop(app)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itpm.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        _fail(f"configuration: {exc}")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _data_dir() -> None:
    from django.conf import settings

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    _django()
    _data_dir()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes.")] = 2,
    task_workers: Annotated[
        int, typer.Option("--task-workers", help="Background job workers (0 = none).")
    ] = 1,
) -> None:
    """Migrate, then serve itpm with gunicorn and run background job workers."""
    if not 1 <= port <= 65535:
        _fail("--port: must be from 1 to 65535")
    if workers < 1:
        _fail("--workers: must be at least 1")
    _django()
    _data_dir()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if settings.PRODUCTION:
        call_command("collectstatic", interactive=False, verbosity=0)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "itpm.settings"}
    children = [
        subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter
            [sys.executable, "-m", "django", "db_worker", "--queue-name", "default"], env=env
        )
        for _ in range(task_workers)
    ]
    if task_workers:
        # One clock that enqueues the periodic jobs (SLA sweep, EVM snapshots).
        children.append(
            subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter
                [sys.executable, "-m", "django", "periodic"], env=env
            )
        )
    web = subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter
        [
            sys.executable, "-m", "gunicorn", "itpm.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(workers),
            "--access-logfile", "-", "--graceful-timeout", "10",
            # No control socket: its default path is shared by every gunicorn of the user.
            "--no-control-socket",
        ],
        env=env,
    )  # fmt: skip
    children.append(web)
    typer.echo(f"itpm serving at http://{host}:{port}/ (Ctrl+C to stop)")

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while web.poll() is None:
            time.sleep(0.5)
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    raise typer.Exit(code=web.returncode or 0)


@app.command()
def demo(
    password: Annotated[str, typer.Option(help="Password of every demo user.")] = DEMO_PASSWORD,
) -> None:
    """Load the demo portfolio (idempotent: does nothing when it is there)."""
    _django()
    _data_dir()
    from django.core.management import call_command

    from itpm.portfolio.demo import load_demo

    call_command("migrate", interactive=False, verbosity=0)
    created = load_demo(password=password, progress=True)
    if created:
        typer.echo(
            f"Demo portfolio loaded. Log in as 'pm' (or 'admin') with password {password!r}."
        )
    else:
        typer.echo("Demo portfolio already present. Log in as 'pm' or 'admin'.")


@app.command()
def createuser(
    username: str,
    password: Annotated[str, typer.Option(help="The password.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make a site admin.")] = False,
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
) -> None:
    """Create a user."""
    _django()
    from itpm.accounts.services import user_create
    from itpm.core.errors import ServiceError

    try:
        user = user_create(
            actor=None, username=username, password=password, email=email, admin=admin
        )
    except ServiceError as exc:
        _fail(exc.detail)
    typer.echo(f"created {'admin' if admin else 'user'} {user.username}")


@app.command()
def check(
    deploy: Annotated[bool, typer.Option("--deploy/--no-deploy", help="Production checks.")] = True,
) -> None:
    """Check the configuration (Django's checks, with --deploy the production ones)."""
    _django()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check", deploy=deploy, fail_level="WARNING")
    except SystemCheckError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (for operators)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["itpm manage", *ctx.args])


def main() -> None:
    app()
