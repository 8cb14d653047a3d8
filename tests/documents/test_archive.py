"""The project JSON archive (itpm/interop) carries documents with their files and versions,
field definitions and task values; an import lands the files under the new project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from itpm.documents import services
from itpm.documents.models import CustomField, Document, TaskCustomValues
from itpm.interop.archive import project_export_json, project_import
from tests.documents.files import pdf_bytes, upload


def test_documents_and_fields_round_trip_through_the_archive(
    people: dict[str, Any], project: Any, tasks: dict[str, Any], _media_root: Path
) -> None:
    owner = people["owner"]
    doc = services.document_upload(actor=owner, project=project, task=tasks["code"],
                                   subject="Design", upload=upload("plan.pdf", pdf_bytes()))  # fmt: skip
    services.document_add_version(actor=owner, document=doc, version=doc.version,
                                  upload=upload("plan.txt", b"second version"))  # fmt: skip
    services.custom_field_create(actor=owner, project=project, key="site", name="Site",
                                 field_type="choice", choices=["Berlin", "Lisbon"])  # fmt: skip
    services.task_custom_values_set(actor=owner, task=tasks["code"], values={"site": "Lisbon"},
                                    version=None)  # fmt: skip

    data = project_export_json(actor=owner, project=project)
    copy = project_import(actor=owner, data=data, key="APC")

    new_doc = Document.objects.get(project=copy)
    assert new_doc.pk != doc.pk and new_doc.subject == "Design" and new_doc.name == "plan.txt"
    assert new_doc.task is not None and new_doc.task.project_id == copy.pk
    assert new_doc.task.name == "Code"
    versions = sorted(new_doc.versions.all(), key=lambda v: v.number)
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].file.read() == pdf_bytes() and versions[1].file.read() == b"second version"
    assert all(v.file.name.startswith(f"projects/{copy.pk}/") for v in versions)
    assert CustomField.objects.get(project=copy).choices == ["Berlin", "Lisbon"]
    values = TaskCustomValues.objects.get(task__project=copy)
    assert values.values == {"site": "Lisbon"} and values.task.name == "Code"
