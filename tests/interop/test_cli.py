"""itpm import / export / backup / restore: answers, exit codes and one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from itpm.cli import app
from itpm.planning.models import Task
from itpm.portfolio.models import Project

runner = CliRunner()


def _call(*args: str) -> Any:
    return runner.invoke(app, list(args))


def _one_line_error(result: Any, text: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert text in result.stderr


@pytest.fixture
def plan(project: Project, tasks: Any) -> Project:
    return project


def test_export_csv_to_stdout_and_xlsx_to_a_file(plan: Project, tmp_path: Path) -> None:
    result = _call("export", "APL", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert rows[0][3] == "Name" and {r[3] for r in rows[1:]} == {
        "Build",
        "Design",
        "Code",
        "Launch",
    }
    target = tmp_path / "plan.xlsx"
    assert _call("export", "APL", "--format", "xlsx", "--output", str(target)).exit_code == 0
    assert openpyxl.load_workbook(target).active.cell(row=2, column=4).value == "Build"


def test_export_json_archive(plan: Project) -> None:
    result = _call("export", "APL", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["project_key"] == "APL"


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("export", "NOPE", "--format", "csv"), "project 'NOPE' not found"),
        (("export", "APL", "--format", "pdf"), "unknown format 'pdf'"),
        (("export", "APL", "--format", "xlsx"), "give --output PATH"),
        (("export", "APL", "--format", "csv", "--as", "nobody"), "no active user 'nobody'"),
        (("export", "APL", "--format", "json", "--as", "mia"), "manager role"),
    ],
)
def test_export_bad_input_is_one_line_and_exit_2(
    plan: Project, args: tuple[str, ...], text: str
) -> None:
    _one_line_error(_call(*args), text)


def test_import_csv_into_a_project_prints_its_key(plan: Project, tmp_path: Path) -> None:
    file = tmp_path / "more.csv"
    file.write_text("Name,Duration,Predecessors\nWire,2d,\nTest wiring,1d,1\n")
    result = _call("import", str(file), "--project", "apl", "--as", "olivia")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "APL"
    assert (
        Task.objects.get(project=plan, name="Test wiring").predecessor_links.get().predecessor.name
        == "Wire"
    )


def test_import_dry_run_lists_problems_and_writes_nothing(plan: Project, tmp_path: Path) -> None:
    file = tmp_path / "bad.csv"
    file.write_text("Name,Duration\nA,2d\n,x\n")
    before = Task.objects.count()
    result = _call("import", str(file), "--project", "APL", "--dry-run")
    assert result.exit_code == 2
    assert "row 3, Name: must not be empty" in result.stderr and "row 3, Duration" in result.stderr
    result = _call("import", str(file), "--project", "APL")
    _one_line_error(result, "2 problem(s) in the file; nothing was imported")
    assert Task.objects.count() == before


def test_import_mapping_option(plan: Project, tmp_path: Path) -> None:
    file = tmp_path / "m.csv"
    file.write_text("Job;Days\nPaint;3\n")
    result = _call(
        "import", str(file), "--project", "APL", "--map", "Job=name", "--map", "Days=duration"
    )
    assert result.exit_code == 0, result.stderr
    assert Task.objects.get(project=plan, name="Paint").duration_hours == 24


def test_import_json_archive_creates_a_project(plan: Project, tmp_path: Path) -> None:
    file = tmp_path / "apl.json"
    file.write_bytes(_call("export", "APL", "--format", "json").stdout_bytes)
    result = _call("import", str(file), "--project", "COPY")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "COPY"
    assert Task.objects.filter(project__key="COPY").count() == 4


def test_import_mspdi_dispatches_by_extension(people: Any, tmp_path: Path) -> None:
    from tests.interop.mspdi_matrix import PLAN

    file = tmp_path / "plan.xml"
    file.write_bytes(PLAN)
    result = _call("import", str(file), "--project", "MSP")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "MSP" and Task.objects.filter(project__key="MSP").count() == 2
    exported = _call("export", "MSP", "--format", "mspdi")
    assert exported.exit_code == 0 and b"<Project" in exported.stdout_bytes


@pytest.mark.parametrize(
    ("name", "content", "args", "text"),
    [
        ("x.csv", "Name\nA\n", (), "--project KEY is required"),
        ("x.pdf", "%PDF-1.4", ("--project", "APL"), "unknown format"),
        ("x.csv", "Name\nA\n", ("--project", "NOPE"), "project 'NOPE' not found"),
        ("x.json", "{not json", (), "not valid JSON"),
        ("x.json", '{"format": "itpm-project-archive", "format_version": 99}', (), "upgrade itpm"),
        ("x.xlsx", "PK\x03\x04broken", ("--project", "APL"), "not an XLSX workbook"),
        ("x.xml", "<Project><Tasks><Task>", (), "error: "),
    ],
)
def test_import_bad_input_is_one_line_and_exit_2(
    plan: Project, tmp_path: Path, name: str, content: str, args: tuple[str, ...], text: str
) -> None:
    file = tmp_path / name
    file.write_text(content)
    before = (Project.objects.count(), Task.objects.count())
    _one_line_error(_call("import", str(file), *args), text)
    assert (Project.objects.count(), Task.objects.count()) == before


def test_missing_file_and_no_admin(people: Any, tmp_path: Path) -> None:
    _one_line_error(_call("import", str(tmp_path / "none.csv"), "--project", "APL"), "no such file")
    people["admin"].is_superuser = people["admin"].is_staff = False
    people["admin"].save()
    file = tmp_path / "a.csv"
    file.write_text("Name\nA\n")
    _one_line_error(_call("import", str(file), "--project", "APL"), "--as USERNAME")


def test_backup_command_writes_a_zip(plan: Project, tmp_path: Path) -> None:
    target = tmp_path / "site.zip"
    result = _call("backup", str(target))
    assert result.exit_code == 0, result.stderr
    assert "rows in" in result.stdout and target.exists()
    _one_line_error(
        _call("backup", str(tmp_path / "no" / "dir.zip")), "not a file in an existing folder"
    )
    _one_line_error(_call("restore", str(tmp_path / "none.zip")), "no such file")
