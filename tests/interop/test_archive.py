"""The project JSON archive: itpm → JSON → itpm, field by field, and what an import refuses."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from itpm.accounts.models import User
from itpm.control import services as control
from itpm.core.errors import Forbidden, Invalid
from itpm.interop import archive
from itpm.planning.models import Assignment, CalendarException, Label, Resource, Task, WorkCalendar
from itpm.planning.resource_services import baseline_create
from itpm.planning.services import task_update
from itpm.portfolio.models import Project

V1 = "/api/v1"


@pytest.fixture
def rich(project: Project, tasks: dict[str, Task], people: dict[str, User]) -> Project:
    """APL with a calendar and exception, labels, an assignment, a split task, an elapsed
    task of 7 h 30 (to the minute), a baseline, a risk, an issue, a decision and a document
    with a file."""
    owner = people["owner"]
    code = Task.objects.get(pk=tasks["code"].pk)
    task_update(actor=owner, task=code, version=code.version, data={"splits": [[16, 8]]})
    design = Task.objects.get(pk=tasks["design"].pk)
    task_update(actor=owner, task=design, version=design.version,
                data={"duration_minutes": 450, "elapsed": True})  # fmt: skip
    calendar = WorkCalendar.objects.create(name="APL hours", project=project, working_days=[0, 1, 2, 3],
                                           working_hours=[["08:00", "12:00"], ["13:00", "17:00"]])  # fmt: skip
    CalendarException.objects.create(calendar=calendar, date=dt.date(2027, 1, 6), name="Epiphany")
    Project.objects.filter(pk=project.pk).update(calendar=calendar)
    label = Label.objects.create(project=project, name="infra", color="#ff0000")
    tasks["code"].labels.add(label)
    tasks["code"].assignees.add(people["member"])
    resource = Resource.objects.create(
        name="Rack team", capacity=Decimal("2.50"), cost_rate=Decimal("80.00")
    )
    Assignment.objects.create(
        project=project, task=tasks["code"], resource=resource, units=Decimal("0.75")
    )
    baseline_create(actor=owner, project=project, name="Plan v1", active=True)
    risk = control.risk_create(actor=owner, project=project, title="Vendor late", category="vendor",
                               chance="0.2", delay_hours=8, delay_tasks=[tasks["code"]])  # fmt: skip
    control.issue_create(actor=owner, project=project, title="Racks missing")
    control.decision_create(actor=owner, project=project, date=dt.date(2027, 1, 5),
                            decision="Buy racks", made_by="Board")  # fmt: skip
    try:
        from itpm.documents.services import document_upload
    except ImportError:  # pragma: no cover - the documents app is optional here
        pass
    else:
        document_upload(actor=owner, project=project, task=tasks["design"], subject="Spec",
                        upload=SimpleUploadedFile("spec.txt", b"the spec\n", content_type="text/plain"))  # fmt: skip
    del risk
    return Project.objects.get(pk=project.pk)


def _normal(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Rows with every id replaced by its position in its table, so two copies compare."""
    rows = data["rows"]
    position = {
        label: {row["id"]: index for index, row in enumerate(items)}
        for label, items in rows.items()
    }
    from django.apps import apps

    result = {}
    for label, items in rows.items():
        model = apps.get_model(label)
        owned = {f.name: f.related_model._meta.label for f in model._meta.concrete_fields
                 if isinstance(f, models.ForeignKey)}  # fmt: skip
        m2m = {f.name: f.related_model._meta.label for f in model._meta.many_to_many}
        unique = {f.name for f in model._meta.concrete_fields if f.unique and not f.is_relation}
        out = []
        for row in items:
            clean = {}
            for name, value in row.items():
                if name == "id" or name in unique:
                    continue
                target = owned.get(name) or m2m.get(name)
                if target in position:
                    value = ([position[target].get(v) for v in value] if name in m2m
                             else position[target].get(value))  # fmt: skip
                elif target is not None:
                    value = ("ref", data["references"].get(target, {}).get(str(value)) if name not in m2m
                             else sorted(json.dumps(data["references"][target][str(v)], sort_keys=True) for v in value))  # fmt: skip
                elif isinstance(value, str) and value.startswith(
                    ("projects/", "documents/", "helpdesk/")
                ):
                    value = "file"
                clean[name] = value
            out.append(clean)
        result[label] = out
    return result


def test_round_trip_keeps_every_field(rich: Project, people: dict[str, User]) -> None:
    first = archive.project_export(actor=people["owner"], project=rich)
    copy = archive.project_import(
        actor=people["owner"], data=json.dumps(first).encode(), key="APL2"
    )
    assert copy.key == "APL2" and copy.pk != rich.pk
    second = archive.project_export(actor=people["owner"], project=copy)
    a, b = _normal(first), _normal(second)
    # The copy's trail has one more event: the import itself.
    assert b["core.AuditEvent"][-1]["action"] == "project.import"
    b["core.AuditEvent"] = b["core.AuditEvent"][:-1]
    a["portfolio.Project"][0].pop("name"), b["portfolio.Project"][0].pop("name")
    assert set(a) == set(b)
    for label in a:
        assert len(a[label]) == len(b[label]), label
        for left, right in zip(a[label], b[label], strict=True):
            assert left == right, label
    assert sum(len(v) for v in first["rows"].values()) > 30
    # Files travel with their bytes, names and types.
    for entry in first["files"].values():
        assert entry["base64"] and entry["content_type"] == "text/plain"
    if first["files"]:
        from itpm.documents.models import DocumentVersion

        version = DocumentVersion.objects.get(document__project=copy)
        assert version.file.read() == b"the spec\n"


def test_round_trip_sample_fields(rich: Project, people: dict[str, User]) -> None:
    data = archive.project_export_json(actor=people["owner"], project=rich)
    copy = archive.project_import(actor=people["admin"], data=data, key="CPY", name="Copy")
    code = Task.objects.get(project=copy, name="Code")
    assert code.wbs_code == "1.2" and code.parent.name == "Build" and code.duration_hours == 40
    assert code.splits == [[16, 8]]
    design = Task.objects.get(project=copy, name="Design")
    assert (design.duration_hours, design.duration_minutes, design.elapsed) == (8, 450, True)
    assert (code.duration_minutes, code.elapsed) == (None, False)
    # Placed with its pause, as in the original (40 h of work over 48 working hours).
    original = Task.objects.get(project=rich, name="Code")
    assert (code.planned_start, code.planned_finish) == (
        original.planned_start,
        original.planned_finish,
    )
    assert list(code.labels.values_list("name", flat=True)) == ["infra"]
    assert list(code.assignees.values_list("username", flat=True)) == ["mia"]
    assert code.assignments.get().resource == Resource.objects.get(
        name="Rack team"
    )  # matched, not copied
    assert copy.calendar.project == copy and copy.calendar.exceptions.get().name == "Epiphany"
    assert copy.name == "Copy" and copy.memberships.get(user=people["admin"]).role == "owner"
    assert copy.baselines.get().tasks.count() == 4


def test_unknown_people_become_inactive_named_accounts(
    rich: Project, people: dict[str, User]
) -> None:
    data = archive.project_export(actor=people["owner"], project=rich)
    for ref in data["references"]["accounts.User"].values():
        if ref["username"] == "mia":
            ref.update(username="ghost", email="ghost@elsewhere.example", first_name="Gus")
    copy = archive.project_import(actor=people["owner"], data=json.dumps(data).encode())
    ghost = User.objects.get(username="ghost")
    assert not ghost.is_active and not ghost.has_usable_password() and not ghost.is_staff
    assert ghost.first_name == "Gus"
    assert Task.objects.get(project=copy, name="Code").assignees.get() == ghost


def test_newer_format_and_garbage_are_refused(rich: Project, people: dict[str, User]) -> None:
    data = archive.project_export(actor=people["owner"], project=rich)
    before = Project.objects.count()
    data["format_version"] = archive.FORMAT_VERSION + 1
    with pytest.raises(Invalid, match="upgrade"):
        archive.project_import(actor=people["owner"], data=json.dumps(data).encode())
    with pytest.raises(Invalid, match="JSON"):
        archive.project_import(actor=people["owner"], data=b"{nope")
    data["format_version"] = 1
    data["rows"]["planning.Task"][0]["duration_hours"] = "many"
    with pytest.raises(Invalid, match="damaged"):
        archive.project_import(actor=people["owner"], data=json.dumps(data).encode())
    assert Project.objects.count() == before


def test_only_managers_export(rich: Project, people: dict[str, User]) -> None:
    with pytest.raises(Forbidden):
        archive.project_export(actor=people["member"], project=rich)


def test_api_export_and_import(api: Any, rich: Project) -> None:
    answer = api("manager").get(f"{V1}/projects/APL/archive/export")
    assert answer.status_code == 200 and answer.json()["format"] == "itpm-project-archive"
    assert api("member").get(f"{V1}/projects/APL/archive/export").status_code == 403
    upload = SimpleUploadedFile("apl.json", answer.content, content_type="application/json")
    created = api("outsider").post(f"{V1}/projects/import", {"file": upload, "key": "OSC"})
    assert created.status_code == 201, created.content
    assert created.json()["key"] == "OSC"
    assert Project.objects.get(key="OSC").memberships.get(user__username="oscar").role == "owner"
    upload = SimpleUploadedFile("apl.json", answer.content, content_type="application/json")
    taken = api("outsider").post(f"{V1}/projects/import", {"file": upload, "key": "OSC"})
    assert taken.status_code == 422


def test_pages_download_and_import(client: Any, people: dict[str, User], rich: Project) -> None:
    client.force_login(people["owner"])
    assert b"/projects/import/" in client.get("/projects/").content
    download = client.get("/projects/APL/export/archive.json")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    data = b"".join(download.streaming_content) if download.streaming else download.content
    answer = client.post(
        "/projects/import/", {"file": SimpleUploadedFile("a.json", data), "key": "PGI"}
    )
    assert answer.status_code == 302 and Project.objects.filter(key="PGI").exists()


def test_a_resource_calendar_travels_with_the_archive(
    project: Project, people: dict[str, User]
) -> None:
    """Another instance does not know the night crew: it is created with a copy of its
    calendar (hours and days off), so its task keeps its night dates."""
    from itpm.planning import resource_services as rs
    from itpm.planning.services import task_create

    night = rs.calendar_create(
        actor=people["admin"], name="Night shift", working_hours=[["00:00", "06:00"], ["22:00", "24:00"]],
        use_for_project=False,
    )  # fmt: skip
    rs.calendar_exception_add(actor=people["admin"], calendar=night, date=dt.date(2027, 1, 5))
    crew = rs.resource_create(actor=people["admin"], name="Night crew", calendar=night)
    swap = task_create(actor=people["owner"], project=project, name="Swap", duration_hours=8)
    rs.assignment_create(actor=people["owner"], task=swap, resource=crew)
    swap.refresh_from_db()
    data = json.dumps(archive.project_export(actor=people["owner"], project=project)).encode()
    # As if in another instance: neither the crew nor its calendar is known by name.
    Resource.objects.filter(pk=crew.pk).update(name="Old crew")
    WorkCalendar.objects.filter(pk=night.pk).update(name="Old nights")
    copy = archive.project_import(actor=people["owner"], data=data, key="APL2")
    new_crew = Resource.objects.get(name="Night crew")
    assert new_crew.pk != crew.pk and new_crew.calendar is not None
    assert new_crew.calendar.pk != night.pk and new_crew.calendar.name == "Night shift"
    assert new_crew.calendar.working_hours == [["00:00", "06:00"], ["22:00", "24:00"]]
    assert list(new_crew.calendar.exceptions.values_list("date", "working")) == [
        (dt.date(2027, 1, 5), False)
    ]
    copied = Task.objects.get(project=copy, name="Swap")
    assert (copied.planned_start, copied.planned_finish) == (
        swap.planned_start,
        swap.planned_finish,
    )
    # Monday 22:00 to Tuesday 06:00 UTC on the night shift.
    assert swap.planned_start == dt.datetime(2027, 1, 4, 22, tzinfo=dt.UTC)
    # A calendar that is not readable refuses the whole import, naming it.
    broken = json.loads(data)
    for ref in broken["references"]["planning.Resource"].values():
        ref["calendar"]["exceptions"] = [{"date": "the fifth"}]
    Resource.objects.filter(name="Night crew").update(name="Newer crew")
    WorkCalendar.objects.filter(name="Night shift").update(name="Newer nights")
    with pytest.raises(Invalid) as caught:
        archive.project_import(actor=people["owner"], data=json.dumps(broken).encode(), key="APL3")
    assert caught.value.errors[0].field == "calendar"
    assert not Project.objects.filter(key="APL3").exists()
