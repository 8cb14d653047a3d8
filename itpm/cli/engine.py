"""`itpm engine ...`: the scheduling engine from the shell, for scripts and checks.

Each command reads a file, calls one engine entry point and prints JSON. Bad input is an
``EngineError``; it becomes exit code 2 with one line on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from itpm.engine.errors import EngineError

app = typer.Typer(help="Run the scheduling engine on files.", no_args_is_help=True)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(f"{path}: no such file")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{path}: cannot read: {exc}")
    except json.JSONDecodeError as exc:
        _fail(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")


def _print(result: dict[str, Any]) -> None:
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


@app.command()
def schedule(
    plan: Path,
    level: Annotated[bool, typer.Option("--level", help="Level resources.")] = False,
    status_date: Annotated[
        str | None, typer.Option("--status-date", help="Schedule from this date (ISO).")
    ] = None,
) -> None:
    """Compute the critical-path schedule of PLAN.json."""
    from itpm.engine.plan_json import schedule_document

    document = _read_json(plan)
    try:
        _print(schedule_document(document, level=level, status_date=status_date))
    except EngineError as exc:
        _fail(str(exc))


@app.command()
def level(
    file: Path,
    solver: Annotated[str, typer.Option(help="heuristic or exact")] = "heuristic",
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds for exact.")] = 10.0,
) -> None:
    """Level a PSPLIB .sm instance; print its makespan and the start of every job."""
    from itpm.engine.psplib import level_file

    if solver not in ("heuristic", "exact"):
        _fail(f"--solver: expected heuristic or exact, got {solver!r}")
    if time_limit <= 0:
        _fail("--time-limit: must be positive")
    try:
        _print(level_file(file, solver=solver, time_limit=time_limit))
    except FileNotFoundError:
        _fail(f"{file}: no such file")
    except EngineError as exc:
        _fail(str(exc))


@app.command()
def forecast(
    plan: Path,
    iterations: Annotated[int, typer.Option(help="Monte Carlo iterations.")] = 10_000,
    seed: Annotated[int | None, typer.Option(help="Seed for repeatable results.")] = None,
    target_date: Annotated[
        str | None, typer.Option("--target-date", help="Chance to finish by this date.")
    ] = None,
) -> None:
    """Monte Carlo forecast of PLAN.json's finish date."""
    from itpm.engine.plan_json import forecast_document

    if iterations < 1:
        _fail("--iterations: must be at least 1")
    document = _read_json(plan)
    try:
        _print(
            forecast_document(document, iterations=iterations, seed=seed, target_date=target_date)
        )
    except EngineError as exc:
        _fail(str(exc))
