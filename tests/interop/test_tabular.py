"""CSV/XLSX task import and export: round trip, mapping, dry run, all-or-nothing, formulas."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from itpm.accounts.models import Role
from itpm.accounts.services import membership_set
from itpm.core.errors import Invalid
from itpm.core.models import AuditEvent
from itpm.interop import tabular
from itpm.planning.models import Assignment, Dependency, Resource, Task
from itpm.planning.services import dependency_update, task_create, task_update
from itpm.portfolio.services import project_create

V1 = "/api/v1"
COPY = {"Key": "", "Version": ""}
DANGEROUS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tTab", "\rCR", '=HYPERLINK("http://x","y")']


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


@pytest.fixture
def empty(people: dict[str, Any]) -> Any:
    project = project_create(actor=people["owner"], key="NEW", name="Empty")
    membership_set(
        actor=people["owner"], project=project, user=people["manager"], role=Role.MANAGER
    )
    membership_set(actor=people["owner"], project=project, user=people["member"], role=Role.MEMBER)
    return project


def _shape(project: Any) -> list[tuple[Any, ...]]:
    tasks = list(Task.objects.filter(project=project).order_by("wbs_sort"))
    return [(t.wbs_code, t.name, t.milestone, t.duration_hours if not t.children.exists() else None,
             t.constraint_type, t.constraint_date, t.deadline, t.percent_complete, t.status,
             t.priority, t.description, t.planned_start, t.planned_finish) for t in tasks]  # fmt: skip


def _links(project: Any) -> list[tuple[str, str, str, int]]:
    return sorted((d.predecessor.wbs_code, d.successor.wbs_code, d.type, d.lag_hours)
                  for d in Dependency.objects.filter(project=project))  # fmt: skip


def test_csv_export_writes_ids_wbs_and_predecessors_with_lags(
    project: Any, tasks: Any, people: Any
) -> None:
    dep = Dependency.objects.get(project=project)
    dependency_update(actor=people["owner"], dependency=dep, version=None, data={"lag_hours": 16})
    text = tabular.tasks_export_csv(project=project).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["ID", "WBS", "Outline level", "Name", "Duration"]
    by_name = {row[3]: row for row in rows[1:]}
    assert by_name["Code"][1] == "1.2" and by_name["Code"][2] == "2"
    assert by_name["Code"][11] == "2FS+2d"  # Design is ID 2
    assert by_name["Launch"][7] == "yes" and by_name["Launch"][4] == "0h"


def test_csv_round_trip_rebuilds_tree_links_and_schedule(
    project: Any, tasks: Any, empty: Any, people: Any
) -> None:
    dep = Dependency.objects.get(project=project)
    dependency_update(
        actor=people["owner"], dependency=dep, version=None, data={"lag_hours": -4, "type": "SS"}
    )
    task_create(actor=people["owner"], project=project, name="=cmd|' /C calc'!A0", duration_hours=4)
    data = tabular.tasks_export_csv(project=project)
    empty.start_date = project.start_date
    empty.save()
    # Copying a plan into another project: its keys name tasks of the first project, so
    # the Key and Version columns are not imported (kept, they would be "unknown task").
    report = tabular.tasks_import(
        actor=people["manager"], project=empty, data=data, filename="x.csv", mapping=COPY
    )
    assert report.applied and not report.errors and report.created == len(report.tasks)
    assert _shape(empty) == _shape(project)
    assert _links(empty) == _links(project)


def test_xlsx_round_trip(project: Any, tasks: Any, empty: Any, people: Any) -> None:
    empty.start_date = project.start_date
    empty.save()
    data = tabular.tasks_export_xlsx(project=project)
    tabular.tasks_import(
        actor=people["manager"], project=empty, data=data, filename="t.xlsx", mapping=COPY
    )
    assert _shape(empty) == _shape(project)
    assert _links(empty) == _links(project)


@pytest.mark.parametrize("name", DANGEROUS)
def test_exported_formula_cells_are_neutralized(project: Any, people: Any, name: str) -> None:
    task = task_create(actor=people["owner"], project=project, name="x", description=name)
    Task.objects.filter(pk=task.pk).update(name=f"{name}x")  # the service strips blanks
    text = tabular.tasks_export_csv(project=project).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[3] == f"'{name}x" and row[16] == f"'{name}"
    sheet = openpyxl.load_workbook(io.BytesIO(tabular.tasks_export_xlsx(project=project))).active
    cell = sheet.cell(row=2, column=4)
    assert cell.data_type == "s" and cell.value == f"'{name}x"
    # The raw sheet XML holds no formula element at all.
    xml = zipfile.ZipFile(io.BytesIO(tabular.tasks_export_xlsx(project=project))).read(
        "xl/worksheets/sheet1.xml"
    )
    assert b"<f>" not in xml and b"<f " not in xml


def test_import_strips_the_apostrophe_again(empty: Any, people: Any) -> None:
    data = _csv([["Name", "Duration"], ["'=SUM(A1)", "2d"], ["'plain", "1d"]])
    tabular.tasks_import(actor=people["manager"], project=empty, data=data, filename="a.csv")
    assert sorted(Task.objects.filter(project=empty).values_list("name", flat=True)) == [
        "'plain",
        "=SUM(A1)",
    ]


def test_dry_run_reports_every_bad_row_and_writes_nothing(empty: Any, people: Any) -> None:
    data = _csv([
        ["ID", "Name", "Duration", "Predecessors", "% complete", "Constraint type", "Resources"],
        ["1", "Design", "3d", "", "0", "", ""],
        ["2", "", "2d", "1", "0", "", ""],
        ["3", "Build", "three days", "9", "150", "SNET", "Nobody"],
        ["4", "Test", "1w", "1FS+2d; 3SS-4h", "50%", "", ""],
    ])  # fmt: skip
    before = (Task.objects.count(), AuditEvent.objects.count())
    report = tabular.tasks_import(actor=people["manager"], project=empty, data=data,
                                  filename="p.csv", dry_run=True)  # fmt: skip
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(3, "Name"), (4, "Duration"), (4, "Predecessors"), (4, "% complete"),
                     (4, "Constraint date"), (4, "Resources")}  # fmt: skip
    assert (Task.objects.count(), AuditEvent.objects.count()) == before
    with pytest.raises(Invalid) as refused:
        tabular.tasks_import(actor=people["manager"], project=empty, data=data, filename="p.csv")
    assert refused.value.errors[0].field == "row 3: Name"
    assert (Task.objects.count(), AuditEvent.objects.count()) == before


def test_split_tasks_round_trip_through_the_splits_column(
    project: Any, tasks: Any, empty: Any, people: Any
) -> None:
    code = Task.objects.get(pk=tasks["code"].pk)
    task_update(actor=people["owner"], task=code, version=code.version,
                data={"splits": [[24, 8], [8, 16]]})  # fmt: skip
    text = tabular.tasks_export_csv(project=project).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index("Splits")
    assert {row[3]: row[column] for row in rows[1:]} == {
        "Build": "", "Design": "", "Code": "8:16, 24:8", "Launch": "",
    }  # fmt: skip
    # In the XLSX the text stays a text cell (a spreadsheet would read "8:16" as a time).
    sheet = openpyxl.load_workbook(io.BytesIO(tabular.tasks_export_xlsx(project=project))).active
    cell = next(c for c in sheet[4] if c.column == column + 1)
    assert (cell.data_type, cell.value) == ("s", "8:16, 24:8")
    empty.start_date = project.start_date
    empty.save()
    for data, name in ((text.encode(), "s.csv"), (tabular.tasks_export_xlsx(project=project),
                                                  "s.xlsx")):  # fmt: skip
        Task.objects.filter(project=empty).delete()
        tabular.tasks_import(actor=people["manager"], project=empty, data=data, filename=name,
                             mapping=COPY)  # fmt: skip
        copy = Task.objects.get(project=empty, name="Code")
        code.refresh_from_db()
        assert copy.splits == [[8, 16], [24, 8]]
        # Placed with its 24 h of pauses, as the original.
        assert (copy.planned_start, copy.planned_finish) == (
            code.planned_start,
            code.planned_finish,
        )
        assert _shape(empty) == _shape(project)


def test_bad_splits_are_row_errors_in_the_dry_run(empty: Any, people: Any) -> None:
    data = _csv([
        ["ID", "WBS", "Name", "Duration", "Pauses (h)"],
        ["1", "1", "Phase", "", "8:8"],
        ["2", "1.1", "Step", "2d", "8 then 24"],
        ["3", "1.2", "Short", "1d", "16:8"],
        ["4", "2", "Gate", "0d", "4:4"],
        ["5", "3", "Fine", "3d", "8:16; 16 : 8h"],
        ["6", "4", "Formula", "3d", "=8:16"],
    ])  # fmt: skip
    before = (Task.objects.count(), AuditEvent.objects.count())
    mapping = {"Pauses (h)": "splits"}
    report = tabular.tasks_import(actor=people["manager"], project=empty, data=data,
                                  filename="s.csv", mapping=mapping, dry_run=True)  # fmt: skip
    assert {(e.row, e.column): e.message for e in report.errors} == {
        (2, "Pauses (h)"): "a summary task spans its subtasks; split those",
        (3, "Pauses (h)"): "'8 then 24': pauses as after:pause working hours, like 16:24, 40:8",
        (4, "Pauses (h)"): "item 1: a pause after 16 h must fall inside the work (1 to 7 h of 8 h)",
        (5, "Pauses (h)"): "a milestone has no pauses",
        # Never a formula: "=8:16" is text that is not a pause.
        (7, "Pauses (h)"): "'=8:16': pauses as after:pause working hours, like 16:24, 40:8",
    }
    assert (Task.objects.count(), AuditEvent.objects.count()) == before
    with pytest.raises(Invalid):
        tabular.tasks_import(actor=people["manager"], project=empty, data=data,
                             filename="s.csv", mapping=mapping)  # fmt: skip
    assert (Task.objects.count(), AuditEvent.objects.count()) == before
    # Without the bad rows the same column imports; the text form is forgiving.
    good = _csv([["Name", "Duration", "Pauses (h)"], ["Fine", "3d", "8:16; 16 : 8h"]])
    tabular.tasks_import(actor=people["manager"], project=empty, data=good, filename="g.csv",
                         mapping=mapping)  # fmt: skip
    assert Task.objects.get(project=empty, name="Fine").splits == [[8, 16], [16, 8]]


def test_an_xlsx_time_cell_is_read_as_one_pause(empty: Any, people: Any) -> None:
    import datetime as dt

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Duration", "Splits"])
    sheet.append(["Typed in a spreadsheet", "5d", dt.time(16, 24)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    tabular.tasks_import(actor=people["manager"], project=empty, data=buffer.getvalue(),
                         filename="t.xlsx")  # fmt: skip
    assert Task.objects.get(project=empty).splits == [[16, 24]]


def test_reimport_changes_keeps_and_clears_splits(project: Any, tasks: Any, people: Any) -> None:
    def rows() -> list[list[str]]:
        text = tabular.tasks_export_csv(project=project).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))

    def code() -> Task:
        return Task.objects.get(pk=tasks["code"].pk)

    sheet = rows()
    column = sheet[0].index("Splits")
    sheet[3][column] = "16:8"
    tabular.tasks_import(actor=people["manager"], project=project, data=_csv(sheet),
                         filename="u.csv")  # fmt: skip
    assert code().splits == [[16, 8]]
    event = AuditEvent.objects.filter(action="task.update", object_id=str(code().pk)).latest("id")
    assert event.changes["splits"] == [[], [[16, 8]]]
    # A file without the column keeps them; a shorter duration drops the pause it no
    # longer holds (as the task form does).
    sheet = rows()
    without = [row[:column] + row[column + 1 :] for row in sheet]
    without[3][4] = "2d"
    tabular.tasks_import(actor=people["manager"], project=project, data=_csv(without),
                         filename="u.csv")  # fmt: skip
    assert (code().duration_hours, code().splits) == (16, [])
    sheet = rows()
    sheet[3][column] = "8:4"
    tabular.tasks_import(actor=people["manager"], project=project, data=_csv(sheet),
                         filename="u.csv")  # fmt: skip
    assert code().splits == [[8, 4]]
    # A keyed row without a duration is checked against the task's own (16 h).
    sheet = rows()
    sheet[3][column] = "20:4"
    sheet[3][4] = ""
    report = tabular.tasks_import(actor=people["manager"], project=project, data=_csv(sheet),
                                  filename="u.csv", dry_run=True)  # fmt: skip
    assert [(e.row, e.column) for e in report.errors] == [(4, "Splits")]
    assert "1 to 15 h of 16 h" in report.errors[0].message
    # An empty cell clears them (the export writes no pause as an empty cell).
    sheet = rows()
    sheet[3][column] = ""
    tabular.tasks_import(actor=people["manager"], project=project, data=_csv(sheet),
                         filename="u.csv")  # fmt: skip
    assert code().splits == []


def test_cycle_in_links_is_reported_in_the_dry_run(empty: Any, people: Any) -> None:
    data = _csv([["ID", "Name", "Predecessors"], ["1", "A", "3"], ["2", "B", "1"], ["3", "C", "2"]])
    report = tabular.tasks_import(actor=people["manager"], project=empty, data=data,
                                  filename="c.csv", dry_run=True)  # fmt: skip
    assert any("cycle" in e.message for e in report.errors)


def test_mapping_overrides_detected_headers_and_outline_builds_the_tree(
    empty: Any, people: Any
) -> None:
    Resource.objects.create(name="Dana")
    data = _csv([
        ["Lvl", "Job", "Days", "Who", "After"],
        ["1", "Phase", "", "", ""],
        ["2", "Step one", "2", "Dana[50%]", ""],
        ["2", "Step two", "1", "", "2"],
        ["1", "Done", "0", "", "3FF"],
    ])  # fmt: skip
    detected = tabular.detect_mapping(tabular.read_table(data=data, filename="m.csv").headers)
    assert detected == {"Lvl": "outline_level", "Job": "", "Days": "", "Who": "", "After": ""}
    mapping = {"Job": "name", "Days": "duration", "Who": "resources", "After": "predecessors"}
    tabular.tasks_import(actor=people["manager"], project=empty, data=data, filename="m.csv",
                         mapping=mapping)  # fmt: skip
    tasks = {t.name: t for t in Task.objects.filter(project=empty)}
    assert tasks["Step two"].parent == tasks["Phase"] and tasks["Step two"].wbs_code == "1.2"
    assert tasks["Step one"].duration_hours == 16 and tasks["Done"].milestone
    assert _links(empty) == [("1.1", "1.2", "FS", 0), ("1.2", "2", "FF", 0)]
    assignment = Assignment.objects.get(task=tasks["Step one"])
    assert str(assignment.units) == "0.50"
    assert tasks["Done"].planned_start is not None  # rescheduled once at the end


def test_import_appends_below_existing_tasks(project: Any, tasks: Any, people: Any) -> None:
    data = _csv([["Name", "Duration"], ["Extra", "1d"]])
    tabular.tasks_import(actor=people["manager"], project=project, data=data, filename="e.csv")
    assert Task.objects.get(project=project, name="Extra").wbs_code == "3"
    assert AuditEvent.objects.filter(project=project, action="tasks.import").count() == 1


def test_macro_workbook_and_garbage_are_refused(empty: Any, people: Any) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<x/>")
        z.writestr("xl/vbaProject.bin", b"\x00" * 10)
    with pytest.raises(Invalid, match="macros"):
        tabular.tasks_import(
            actor=people["manager"], project=empty, data=buffer.getvalue(), filename="m.xlsx"
        )
    with pytest.raises(Invalid, match="XLSX"):
        tabular.tasks_import(
            actor=people["manager"], project=empty, data=b"PK\x03\x04garbage", filename="g.xlsx"
        )
    with pytest.raises(Invalid, match="task name"):
        tabular.tasks_import(
            actor=people["manager"], project=empty, data=b"a,b\n1,2\n", filename="n.csv"
        )


def test_xlsx_with_entities_is_refused(project: Any, tasks: Any, empty: Any, people: Any) -> None:
    """A sheet with a DTD and an entity (billion laughs, external files) is refused whole."""
    source = zipfile.ZipFile(io.BytesIO(tabular.tasks_export_xlsx(project=project)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>' + data
            target.writestr(item, data)
    with pytest.raises(Invalid, match="not a readable XLSX"):
        tabular.tasks_import(
            actor=people["manager"], project=empty, data=buffer.getvalue(), filename="e.xlsx"
        )
    assert not Task.objects.filter(project=empty).exists()


def test_member_may_not_import(empty: Any, people: Any) -> None:
    from itpm.core.errors import Forbidden

    with pytest.raises(Forbidden):
        tabular.tasks_import(
            actor=people["member"], project=empty, data=b"Name\nX\n", filename="x.csv"
        )


# ---------------------------------------------------------------------------- API
def test_api_dry_run_then_apply(api: Any, empty: Any) -> None:
    data = _csv([["Task", "Duration"], ["A", "2d"], ["B", "x"]])
    upload = SimpleUploadedFile("t.csv", data, content_type="text/csv")
    answer = api("manager").post(
        f"{V1}/projects/NEW/tasks/import",
        {"file": upload, "dry_run": "true", "mapping": json.dumps({"Task": "name"})},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["ok"] is False and body["applied"] is False
    assert body["errors"] == [
        {"row": 3, "column": "Duration", "message": body["errors"][0]["message"]}
    ]
    upload = SimpleUploadedFile("t.csv", data, content_type="text/csv")
    answer = api("manager").post(
        f"{V1}/projects/NEW/tasks/import",
        {"file": upload, "dry_run": "false", "mapping": json.dumps({"Task": "name"})},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "row 3: Duration"
    assert not Task.objects.filter(project=empty).exists()
    good = SimpleUploadedFile("t.csv", _csv([["Name"], ["A"], ["B"]]), content_type="text/csv")
    answer = api("manager").post(
        f"{V1}/projects/NEW/tasks/import", {"file": good, "dry_run": "false"}
    )
    assert answer.status_code == 200 and answer.json()["applied"] is True
    assert Task.objects.filter(project=empty).count() == 2


def test_api_export_csv_and_xlsx(api: Any, project: Any, tasks: Any) -> None:
    answer = api("viewer").get(f"{V1}/projects/APL/tasks/export?format=csv")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    assert b"Design" in answer.content
    answer = api("viewer").get(f"{V1}/projects/APL/tasks/export?format=xlsx")
    assert answer.status_code == 200 and answer.content[:2] == b"PK"
    assert api("outsider").get(f"{V1}/projects/APL/tasks/export").status_code == 404
    assert api("viewer").get(f"{V1}/projects/APL/tasks/export?format=pdf").status_code == 422


# ---------------------------------------------------------------------------- the wizard
def test_wizard_upload_mapping_check_apply(client: Any, people: Any, empty: Any) -> None:
    client.force_login(people["manager"])
    page = client.get("/projects/NEW/import-export/")
    assert page.status_code == 200 and b"Tasks as CSV" in page.content
    data = _csv([["Task name", "Dur", "Notes"], ["Plan", "2d", "=1+1"], ["Do", "3d", ""]])
    step = client.post("/projects/NEW/import-export/",
                       {"file": SimpleUploadedFile("w.csv", data, content_type="text/csv")},
                       headers={"HX-Request": "true"})  # fmt: skip
    assert step.status_code == 200 and b"Step 2 of 4" in step.content
    token = step.context["token"]
    form = {
        "token": token,
        "col_0": "name",
        "col_1": "duration",
        "col_2": "notes",
        "action": "check",
    }
    report = client.post("/projects/NEW/import-export/check/", form, headers={"HX-Request": "true"})
    assert b"Import: create 2, update 0" in report.content
    assert not Task.objects.filter(project=empty).exists()
    done = client.post("/projects/NEW/import-export/check/", {**form, "action": "apply"},
                       headers={"HX-Request": "true"})  # fmt: skip
    assert (
        done.status_code == 204
        and done["HX-Redirect"].endswith("/projects/NEW/plan/")
        or done["HX-Redirect"]
    )
    assert sorted(Task.objects.filter(project=empty).values_list("duration_hours", flat=True)) == [
        16,
        24,
    ]


def test_wizard_token_of_another_user_is_refused(client: Any, people: Any, empty: Any) -> None:
    client.force_login(people["manager"])
    step = client.post(
        "/projects/NEW/import-export/",
        {"file": SimpleUploadedFile("w.csv", b"Name\nA\n", content_type="text/csv")},
    )
    token = step.context["token"]
    client.force_login(people["owner"])
    answer = client.post(
        "/projects/NEW/import-export/check/", {"token": token, "col_0": "name", "action": "apply"}
    )
    assert answer.status_code == 404
    assert not Task.objects.filter(project=empty).exists()


def test_wizard_refuses_members(client: Any, people: Any, empty: Any) -> None:
    client.force_login(people["member"])
    answer = client.post(
        "/projects/NEW/import-export/",
        {"file": SimpleUploadedFile("w.csv", b"Name\nA\n", content_type="text/csv")},
    )
    assert answer.status_code == 403
