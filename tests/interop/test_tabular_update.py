"""Re-importing an edited export updates tasks in place (issue #9): keys, versions, the
per-row plan, mixed create and update, other projects' keys, and days in the project's
working day."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from typer.testing import CliRunner

from itpm.cli import app
from itpm.core.errors import Conflict, Invalid
from itpm.core.models import AuditEvent
from itpm.interop import tabular
from itpm.planning.models import Assignment, Dependency, Task
from itpm.planning.resource_services import calendar_create, project_calendar_set, resource_create
from itpm.planning.services import dependency_update, task_create, task_update
from itpm.portfolio.services import project_create

V1 = "/api/v1"
KEY = 18  # column of Key in the export
VERSION = 19
HEADERS = [
    "ID", "WBS", "Outline level", "Name", "Duration", "Start", "Finish", "Milestone",
    "Constraint type", "Constraint date", "Deadline", "Predecessors", "Resources",
    "% complete", "Status", "Priority", "Notes", "Splits", "Key", "Version",
]  # fmt: skip


def _rows(project: Any) -> list[list[str]]:
    text = tabular.tasks_export_csv(project=project).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def _set(rows: list[list[str]], name: str, column: str, value: str) -> None:
    row = next(r for r in rows[1:] if r[3] == name)
    row[rows[0].index(column)] = value


def _import(people: Any, project: Any, rows: list[list[str]], **extra: Any) -> Any:
    return tabular.tasks_import(
        actor=people["manager"], project=project, data=_csv(rows), filename="plan.csv", **extra
    )


def _state(project: Any) -> list[tuple[Any, ...]]:
    return sorted(
        Task.objects.filter(project=project).values_list(
            "pk", "version", "name", "duration_hours", "percent_complete", "parent_id"
        )
    )


def test_export_writes_key_and_version_columns(project: Any, tasks: Any) -> None:
    rows = _rows(project)
    assert rows[0] == HEADERS
    by_name = {row[3]: row for row in rows[1:]}
    design = tasks["design"]
    design.refresh_from_db()
    assert by_name["Design"][KEY] == str(design.pk)
    assert by_name["Design"][VERSION] == str(design.version)


def test_reimported_export_updates_in_place_without_duplicates(
    project: Any, tasks: Any, people: Any
) -> None:
    rows = _rows(project)
    before = {t.pk: t.version for t in Task.objects.filter(project=project)}
    _set(rows, "Design", "Duration", "3d")
    _set(rows, "Design", "% complete", "40")
    _set(rows, "Code", "Predecessors", "2FS+1d")
    _set(rows, "Code", "Name", "Code and review")
    report = _import(people, project, rows)
    assert report.applied and (report.created, report.updated, report.unchanged) == (0, 2, 2)
    assert Task.objects.filter(project=project).count() == 4
    design = Task.objects.get(pk=tasks["design"].pk)
    code = Task.objects.get(pk=tasks["code"].pk)
    assert (design.duration_hours, design.percent_complete) == (24, 40)
    assert code.name == "Code and review"
    # The same link row, changed in place: lag 1 day, version bumped.
    link = Dependency.objects.get(project=project)
    assert (link.predecessor_id, link.successor_id, link.lag_hours) == (design.pk, code.pk, 8)
    assert design.version == before[design.pk] + 1 and code.version == before[code.pk] + 1
    for untouched in (tasks["phase"], tasks["launch"]):
        assert Task.objects.get(pk=untouched.pk).version == before[untouched.pk]
    # The schedule follows the new duration and lag (one reschedule after the import).
    assert code.planned_start is not None and design.planned_finish is not None
    assert code.planned_start > design.planned_finish


def test_audit_events_name_each_updated_task_and_its_changes(
    project: Any, tasks: Any, people: Any
) -> None:
    rows = _rows(project)
    _set(rows, "Design", "Duration", "1d")
    _set(rows, "Launch", "Priority", "900")
    rows.append(["", "", "1", "Go live review", "2h"] + [""] * 14)
    _import(people, project, rows)
    events = AuditEvent.objects.filter(project=project, action="task.update",
                                       changes__source=[None, "import"])  # fmt: skip
    by_task = {e.object_id: e.changes for e in events}
    assert set(by_task) == {str(tasks["design"].pk), str(tasks["launch"].pk)}
    assert by_task[str(tasks["design"].pk)]["duration_hours"] == [16, 8]
    assert by_task[str(tasks["launch"].pk)]["priority"] == [500, 900]
    new = Task.objects.get(project=project, name="Go live review")
    assert AuditEvent.objects.filter(action="task.create", object_id=str(new.pk)).exists()
    summary = AuditEvent.objects.get(project=project, action="tasks.import")
    assert summary.changes["created"] == [None, 1] and summary.changes["updated"] == [None, 2]


def test_unedited_export_is_unchanged_and_writes_no_task(
    project: Any, tasks: Any, people: Any
) -> None:
    rows = _rows(project)
    before = _state(project)
    report = _import(people, project, rows)
    assert report.applied and report.unchanged == 4 and report.updated == report.created == 0
    assert _state(project) == before
    assert not AuditEvent.objects.filter(project=project, changes__source=[None, "import"],
                                         action="task.update").exists()  # fmt: skip


def test_dry_run_plans_each_row_and_writes_nothing(project: Any, tasks: Any, people: Any) -> None:
    rows = _rows(project)
    _set(rows, "Design", "Duration", "5d")
    _set(rows, "Design", "Notes", "with the architects")
    rows.append(["9", "", "1", "Security review", "1d", *[""] * 6, "2"] + [""] * 7)
    before, events = _state(project), AuditEvent.objects.count()
    report = _import(people, project, rows, dry_run=True)
    assert not report.errors and not report.applied
    plan = {row["name"]: row for row in report.plan}
    assert plan["Design"]["action"] == "update"
    assert plan["Design"]["changes"] == ["duration_hours", "description"]
    assert plan["Design"]["key"] == tasks["design"].pk
    assert plan["Code"]["action"] == "unchanged" and plan["Code"]["changes"] == []
    assert plan["Security review"] == {
        "row": 6, "action": "create", "key": None, "name": "Security review", "changes": []
    }  # fmt: skip
    assert (report.created, report.updated, report.unchanged) == (1, 1, 3)
    assert _state(project) == before and AuditEvent.objects.count() == events


def test_mixed_create_and_update_puts_new_rows_under_existing_summaries(
    project: Any, tasks: Any, people: Any
) -> None:
    rows = _rows(project)
    # A new task in Excel under Build, after Code, linked to Design (ID 2), and Code now
    # waits for it (new row's ID 9) as well as for Design.
    rows.insert(4, ["9", "", "2", "Security review", "2d", *[""] * 6, "2FS"] + [""] * 7)
    _set(rows, "Code", "Predecessors", "2; 9")
    report = _import(people, project, rows)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 3)
    review = Task.objects.get(project=project, name="Security review")
    assert review.parent_id == tasks["phase"].pk and review.wbs_code == "1.3"
    code = Task.objects.get(pk=tasks["code"].pk)
    assert sorted(code.predecessor_links.values_list("predecessor__name", flat=True)) == [
        "Design",
        "Security review",
    ]
    assert review.predecessor_links.get().predecessor_id == tasks["design"].pk
    assert Task.objects.filter(project=project).count() == 5
    assert Task.objects.filter(project=project, name="Code").count() == 1


def test_a_row_added_without_an_id_does_not_collide_with_the_ids_below(
    project: Any, tasks: Any, people: Any
) -> None:
    rows = _rows(project)
    # Inserted as the 2nd data row (its position, 2, is Design's ID two rows further down).
    rows.insert(2, ["", "", "2", "Kick-off", "1d"] + [""] * 14)
    report = _import(people, project, rows)
    assert report.applied and (report.created, report.unchanged) == (1, 4)
    assert Task.objects.get(project=project, name="Kick-off").parent_id == tasks["phase"].pk
    code = Task.objects.get(pk=tasks["code"].pk)
    assert code.predecessor_links.get().predecessor_id == tasks["design"].pk


def test_stale_version_is_a_row_error_and_nothing_is_written(
    project: Any, tasks: Any, people: Any
) -> None:
    rows = _rows(project)
    _set(rows, "Design", "Duration", "4d")
    _set(rows, "Code", "Duration", "6d")
    # Someone changes Design in itpm while the spreadsheet is being edited.
    task_update(actor=people["owner"], task=tasks["design"], version=None, data={"priority": 700})
    report = _import(people, project, rows, dry_run=True)
    design_row = next(i for i, r in enumerate(rows) if r[3] == "Design") + 1
    assert [(e.row, e.column) for e in report.errors] == [(design_row, "Version")]
    assert "was changed since the export" in report.errors[0].message
    before = _state(project)
    with pytest.raises(Invalid, match="was changed since the export"):
        _import(people, project, rows)
    assert _state(project) == before  # Code's row was fine, yet not written either
    # Without the Version column the manager chooses to overwrite: the file wins.
    report = _import(people, project, rows, mapping={"Version": ""})
    assert Task.objects.get(pk=tasks["design"].pk).duration_hours == 32
    # Every column of the file wins, Priority too (the export wrote 500).
    assert Task.objects.get(pk=tasks["design"].pk).priority == 500


def test_version_changed_between_check_and_write_is_a_conflict(
    project: Any, tasks: Any, people: Any, monkeypatch: Any
) -> None:
    rows = _rows(project)
    _set(rows, "Design", "Duration", "4d")
    parse = tabular.parse_table

    def parse_then_someone_edits(**kwargs: Any) -> Any:
        report = parse(**kwargs)
        Task.objects.filter(pk=tasks["design"].pk).update(version=99)
        return report

    monkeypatch.setattr(tabular, "parse_table", parse_then_someone_edits)
    with pytest.raises(Conflict, match="changed by someone else"):
        _import(people, project, rows)
    assert Task.objects.get(pk=tasks["design"].pk).duration_hours == 16


def test_unknown_key_and_another_projects_key_get_the_same_row_error(
    project: Any, tasks: Any, people: Any
) -> None:
    other = project_create(actor=people["outsider"], key="SEC", name="Secret")
    secret = task_create(actor=people["outsider"], project=other, name="Secret", duration_hours=8)
    rows = [HEADERS[3:4] + ["Key", "Duration"], ["Mine", "", "1d"],
            ["Theirs", str(secret.pk), "1d"], ["Nobody", "987654321", "1d"],
            ["Junk", "abc", "1d"]]  # fmt: skip
    report = _import(people, project, rows, dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(3, "Key"), (4, "Key"), (5, "Key")]
    assert len({e.message for e in report.errors}) == 1
    assert report.errors[0].message.startswith("unknown task")
    before = Task.objects.count()
    with pytest.raises(Invalid):
        _import(people, project, rows)
    assert Task.objects.count() == before
    secret.refresh_from_db()
    assert (secret.name, secret.duration_hours, secret.project_id) == ("Secret", 8, other.pk)


def test_the_same_key_twice_is_a_row_error(project: Any, tasks: Any, people: Any) -> None:
    key = str(tasks["design"].pk)
    rows = [["Name", "Key"], ["Design A", key], ["Design B", key]]
    report = _import(people, project, rows, dry_run=True)
    assert [(e.row, e.message) for e in report.errors] == [(3, "the same task as row 2")]


def test_resources_column_updates_assignments_in_place(
    project: Any, tasks: Any, people: Any
) -> None:
    ann = resource_create(actor=people["admin"], name="Ann")
    bob = resource_create(actor=people["admin"], name="Bob")
    rows = _rows(project)
    _set(rows, "Design", "Resources", "Ann; Bob[50%]")
    _import(people, project, rows)
    held = dict(
        Assignment.objects.filter(task=tasks["design"]).values_list("resource__name", "units")
    )
    assert held == {"Ann": Decimal("1.00"), "Bob": Decimal("0.50")}
    kept = Assignment.objects.get(task=tasks["design"], resource=ann).pk
    rows = _rows(project)
    _set(rows, "Design", "Resources", "Ann[80%]")
    report = _import(people, project, rows)
    assert report.plan[1]["changes"] == ["resources"]
    assignment = Assignment.objects.get(task=tasks["design"])
    assert (assignment.pk, assignment.units) == (kept, Decimal("0.80"))
    assert not Assignment.objects.filter(resource=bob).exists()


# ---------------------------------------------------------------------------- working days
@pytest.mark.parametrize(
    ("text", "minutes_per_day", "days_per_week", "hours"),
    [
        ("3d", 480, 5, 24),
        ("2d", 450, 5, 15),
        ("3d", 450, 5, 22),  # 22.5 h: whole hours, halves to even
        ("1w", 450, 5, 38),  # 37.5 h
        ("1w", 480, 4, 32),
        ("4h", 450, 5, 4),
        ("90 mins", 450, 5, 2),
        ("2", 450, 5, 15),  # a bare number is days
    ],
)
def test_parse_duration_counts_the_projects_working_day(
    text: str, minutes_per_day: int, days_per_week: int, hours: int
) -> None:
    working = tabular.WorkingTime(minutes_per_day=minutes_per_day, days_per_week=days_per_week)
    assert tabular.parse_duration(text, working) == hours


@pytest.mark.parametrize(
    ("hours", "minutes_per_day", "text"),
    [(15, 450, "2d"), (22, 450, "22h"), (16, 450, "16h"), (16, 480, "2d"), (0, 450, "0h")],
)
def test_format_duration_writes_whole_working_days_else_hours(
    hours: int, minutes_per_day: int, text: str
) -> None:
    working = tabular.WorkingTime(minutes_per_day=minutes_per_day)
    assert tabular.format_duration(hours, working) == text
    assert tabular.parse_duration(text, working) == hours


def test_a_7_5_hour_day_calendar_round_trips_losslessly(
    project: Any, tasks: Any, people: Any
) -> None:
    calendar = calendar_create(actor=people["owner"], name="Office", project=project,
                               working_hours=[["08:30", "12:00"], ["13:00", "17:00"]])  # fmt: skip
    project_calendar_set(actor=people["owner"], project=project, calendar=calendar)
    project.refresh_from_db()
    assert tabular.project_working_time(project).minutes_per_day == 450
    task_update(actor=people["owner"], task=tasks["design"], version=None,
                data={"duration_hours": 15})  # fmt: skip
    dependency_update(actor=people["owner"], dependency=Dependency.objects.get(project=project),
                      version=None, data={"lag_hours": 15})  # fmt: skip
    rows = _rows(project)
    by_name = {row[3]: row for row in rows[1:]}
    assert by_name["Design"][4] == "2d" and by_name["Code"][4] == "40h"  # 40 h is 5.33 days
    assert by_name["Code"][11] == "2FS+2d"
    before = _state(project)
    report = _import(people, project, rows)
    assert report.unchanged == 4 and _state(project) == before
    # A manager types days: they are the project's 7.5-hour days.
    _set(rows, "Code", "Duration", "4d")
    _import(people, project, rows)
    assert Task.objects.get(pk=tasks["code"].pk).duration_hours == 30
    assert {row[3]: row for row in _rows(project)[1:]}["Code"][4] == "4d"


def test_xlsx_edited_in_a_spreadsheet_updates_in_place(
    project: Any, tasks: Any, people: Any
) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(tabular.tasks_export_xlsx(project=project)))
    sheet = workbook.active
    assert sheet is not None
    for row in sheet.iter_rows(min_row=2):
        if row[3].value == "Code":
            row[4].value = "10d"  # Excel keeps the Key and Version cells as numbers
            row[13].value = 0.25  # 25 % as a spreadsheet stores it
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = tabular.tasks_import(
        actor=people["manager"], project=project, data=buffer.getvalue(), filename="p.xlsx"
    )
    assert (report.created, report.updated) == (0, 1)
    code = Task.objects.get(pk=tasks["code"].pk)
    assert (code.duration_hours, code.percent_complete) == (80, 25)
    assert Task.objects.filter(project=project).count() == 4


# ---------------------------------------------------------------------------- entry points
def test_api_round_trip_reports_the_plan_then_updates(api: Any, project: Any, tasks: Any) -> None:
    exported = api("manager").get(f"{V1}/projects/APL/tasks/export?format=csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    _set(rows, "Launch", "Notes", "go/no-go meeting")
    rows.append(["", "", "1", "Hypercare", "1w"] + [""] * 14)

    def post(dry_run: str) -> Any:
        upload = SimpleUploadedFile("p.csv", _csv(rows), content_type="text/csv")
        return api("manager").post(
            f"{V1}/projects/APL/tasks/import", {"file": upload, "dry_run": dry_run}
        )

    answer = post("true")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 1, 3)
    launch = next(row for row in body["plan"] if row["name"] == "Launch")
    assert launch == {"row": 5, "action": "update", "key": tasks["launch"].pk, "name": "Launch",
                      "changes": ["description"]}  # fmt: skip
    assert body["mapping"]["Key"] == "key" and body["mapping"]["Version"] == "version"
    assert Task.objects.filter(project=project).count() == 4
    answer = post("false")
    assert answer.status_code == 200 and answer.json()["applied"] is True
    assert Task.objects.get(pk=tasks["launch"].pk).description == "go/no-go meeting"
    assert Task.objects.filter(project=project).count() == 5
    # The same file again: Launch's version moved on, so its row is now stale.
    answer = post("false")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "row 5: Version"


def test_api_another_projects_key_is_unknown(api: Any, project: Any, people: Any) -> None:
    other = project_create(actor=people["outsider"], key="SEC", name="Secret")
    secret = task_create(actor=people["outsider"], project=other, name="Secret")
    rows = [["Name", "Key"], ["Stolen", str(secret.pk)]]
    upload = SimpleUploadedFile("p.csv", _csv(rows), content_type="text/csv")
    answer = api("manager").post(
        f"{V1}/projects/APL/tasks/import", {"file": upload, "dry_run": "false"}
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "row 2: Key", "message": tabular.UNKNOWN_TASK}]
    assert Task.objects.get(pk=secret.pk).name == "Secret"


def test_wizard_shows_updates_then_applies(
    client: Any, people: Any, project: Any, tasks: Any
) -> None:
    client.force_login(people["manager"])
    rows = _rows(project)
    _set(rows, "Design", "Duration", "3d")
    upload = SimpleUploadedFile("plan.csv", _csv(rows), content_type="text/csv")
    step = client.post("/projects/APL/import-export/", {"file": upload},
                       headers={"HX-Request": "true"})  # fmt: skip
    assert step.status_code == 200
    form = {"token": step.context["token"], "action": "check"}
    form.update({f"col_{h['index']}": h["field"] for h in step.context["headers"]})
    report = client.post("/projects/APL/import-export/check/", form, headers={"HX-Request": "true"})
    text = report.content.decode()
    assert "Import: create 0, update 1" in text and 'id="import-plan"' in text
    assert "duration_hours" in text
    assert Task.objects.get(pk=tasks["design"].pk).duration_hours == 16
    done = client.post("/projects/APL/import-export/check/", {**form, "action": "apply"},
                       headers={"HX-Request": "true"})  # fmt: skip
    assert done.status_code == 204
    assert Task.objects.get(pk=tasks["design"].pk).duration_hours == 24
    assert Task.objects.filter(project=project).count() == 4


def test_cli_dry_run_lists_updates_then_import_applies(
    project: Any, tasks: Any, tmp_path: Path
) -> None:
    runner = CliRunner()
    exported = runner.invoke(app, ["export", "APL", "--format", "csv"])
    assert exported.exit_code == 0, exported.stderr
    rows = list(csv.reader(io.StringIO(exported.stdout.lstrip("\ufeff"))))
    _set(rows, "Code", "Duration", "6d")
    file = tmp_path / "plan.csv"
    file.write_bytes(_csv(rows))
    result = runner.invoke(app, ["import", str(file), "--project", "APL", "--dry-run"])
    assert result.exit_code == 0, result.stderr
    assert "row 4: update Code (duration_hours)" in result.stdout
    assert "(0 to create, 1 to update, 3 unchanged)" in result.stdout
    assert Task.objects.get(pk=tasks["code"].pk).duration_hours == 40
    result = runner.invoke(app, ["import", str(file), "--project", "APL", "--as", "olivia"])
    assert result.exit_code == 0, result.stderr
    assert Task.objects.get(pk=tasks["code"].pk).duration_hours == 48
    assert Task.objects.filter(project=project).count() == 4


def test_key_and_version_headers_are_recognised() -> None:
    assert tabular.detect_mapping(["UID", "Task", "Version"]) == {
        "UID": "key", "Task": "name", "Version": "version"
    }  # fmt: skip


# ---------------------------------------------------------------------------- to the minute
@pytest.mark.parametrize(
    ("text", "minutes_per_day", "expected"),
    [
        ("3d", 450, (1350, False)),  # 22 h 30 of a 7.5-hour day, no longer rounded
        ("1w", 450, (2250, False)),
        ("22h30", 480, (1350, False)),
        ("22 h 30 min", 480, (1350, False)),
        ("0h01", 480, (1, False)),
        ("7.5h", 480, (450, False)),
        ("90 mins", 450, (90, False)),
        ("1.25 mins", 480, (1, False)),  # seconds are rounded to the minute
        ("72eh", 450, (4320, True)),  # elapsed: real hours, day and night
        ("3ed", 450, (4320, True)),
        ("1ew", 450, (10080, True)),
        ("1.5 ehrs", 480, (90, True)),
        ("90em", 480, (90, True)),
        ("2 edays", 480, (2880, True)),
    ],
)
def test_parse_duration_minutes_keeps_minutes_and_elapsed_units(
    text: str, minutes_per_day: int, expected: tuple[int, bool]
) -> None:
    working = tabular.WorkingTime(minutes_per_day=minutes_per_day)
    assert tabular.parse_duration_minutes(text, working) == expected


@pytest.mark.parametrize("text", ["22h75", "3e", "e3d", "3dd", "h30"])
def test_parse_duration_minutes_refuses_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="like"):
        tabular.parse_duration_minutes(text)


@pytest.mark.parametrize(
    ("minutes", "elapsed", "minutes_per_day", "text"),
    [
        (1350, False, 450, "3d"), (1350, False, 480, "22h30"), (450, False, 480, "7h30"),
        (1, False, 480, "0h01"), (960, False, 480, "2d"), (600, False, 480, "10h"),
        (0, False, 480, "0h"), (4320, True, 480, "3ed"), (4380, True, 480, "73eh"),
        (90, True, 480, "90em"),
    ],
)  # fmt: skip
def test_format_task_duration_is_read_back_exactly(
    minutes: int, elapsed: bool, minutes_per_day: int, text: str
) -> None:
    working = tabular.WorkingTime(minutes_per_day=minutes_per_day)
    assert tabular.format_task_duration(minutes, working, elapsed=elapsed) == text
    assert tabular.parse_duration_minutes(text, working) == (minutes, elapsed)


def test_durations_to_the_minute_and_elapsed_round_trip(
    project: Any, tasks: Any, people: Any
) -> None:
    calendar = calendar_create(actor=people["owner"], name="Office", project=project,
                               working_hours=[["08:30", "12:00"], ["13:00", "17:00"]])  # fmt: skip
    project_calendar_set(actor=people["owner"], project=project, calendar=calendar)
    project.refresh_from_db()
    rows = _rows(project)
    _set(rows, "Design", "Duration", "3d")  # three 7.5-hour days: 22 h 30
    _set(rows, "Code", "Duration", "40h15")
    rows.append(["", "", "1", "Burn-in", "3ed"] + [""] * 15)
    rows.append(["", "", "1", "Check", "0h01"] + [""] * 15)
    report = _import(people, project, rows)
    assert (report.created, report.updated) == (2, 2)
    state = {
        t.name: (t.duration_hours, t.duration_minutes, t.elapsed)
        for t in Task.objects.filter(project=project)
    }
    assert {name: state[name] for name in ("Design", "Code", "Burn-in", "Check")} == {
        "Design": (23, 1350, False), "Code": (40, 2415, False),
        "Burn-in": (72, None, True), "Check": (0, 1, False),
    }  # fmt: skip
    design = Task.objects.get(pk=tasks["design"].pk)
    event = AuditEvent.objects.filter(action="task.update", object_id=str(design.pk)).last()
    assert event is not None and event.changes["duration_minutes"] == [None, 1350]
    # The export writes them so that a second import changes nothing.
    again = _rows(project)
    by_name = {row[3]: row[4] for row in again[1:]}
    assert [by_name[name] for name in ("Design", "Code", "Burn-in", "Check")] == [
        "3d", "40h15", "3ed", "0h01"
    ]  # fmt: skip
    before = _state(project)
    report = _import(people, project, again)
    assert report.unchanged == 6 and _state(project) == before
    # Whole hours clear the minutes; a working-time unit makes the task not elapsed again.
    _set(again, "Design", "Duration", "16h")
    _set(again, "Burn-in", "Duration", "2d")
    _import(people, project, again)
    assert sorted(
        Task.objects.filter(name__in=["Design", "Burn-in"], project=project).values_list(
            "name", "duration_hours", "duration_minutes", "elapsed"
        )
    ) == [("Burn-in", 15, None, False), ("Design", 16, None, False)]


def test_duration_row_errors_name_the_column(project: Any, tasks: Any, people: Any) -> None:
    rows = _rows(project)
    _set(rows, "Design", "Duration", "22h75")
    _set(rows, "Code", "Duration", "72eh")
    _set(rows, "Code", "Splits", "8:8")  # an elapsed task has no pauses
    _set(rows, "Build", "Duration", "3ed")  # nor is a summary task elapsed
    rows.append(["", "", "1", "Soak", "2ed", "", "", "", "", "", "", "", "", "", "", "", "",
                 "4:4"])  # fmt: skip
    with pytest.raises(Invalid) as caught:
        _import(people, project, rows)
    errors = sorted((e.field, e.message) for e in caught.value.errors)
    assert errors == sorted([
        ("row 2: Duration", "a summary task spans its subtasks: it cannot be elapsed"),
        ("row 3: Duration", "'22h75': minutes after the hours are 0 to 59, like 22h30"),
        ("row 4: Splits", "an elapsed task runs day and night without pauses"),
        ("row 6: Splits", "an elapsed task runs day and night without pauses"),
    ])  # fmt: skip
    assert Task.objects.get(pk=tasks["code"].pk).elapsed is False


def test_an_elapsed_duration_on_a_split_task_is_a_row_error(
    project: Any, tasks: Any, people: Any
) -> None:
    """Without a Splits column the task keeps its pauses, which an elapsed task cannot."""
    code = tasks["code"]
    task_update(actor=people["owner"], task=code, version=None, data={"splits": [[8, 8]]})
    rows = [["Key", "Name", "Duration"], [str(code.pk), "Code", "72eh"]]
    with pytest.raises(Invalid) as caught:
        _import(people, project, rows)
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("row 2: Duration", "an elapsed task runs day and night without pauses; remove its splits")
    ]
