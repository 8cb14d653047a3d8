"""Objects, path parameters and expectations of the documents and custom-field routes for
the permission matrix and the mass-assignment sweep.

``build_documents`` runs inside ``tests.world.build_world``: per site, APL ("own", by its
owner) and ZED ("foreign", by zoe), a text document on the "test" task, a choice field
"site" and a value of it on "test". Their ids go into ``site.extra`` (``document_id``,
``field_id``), which ``Case.param`` reads.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from itpm.documents import services
from itpm.documents.models import CustomField, Document, TaskCustomValues


def build_documents(world: Any) -> None:
    for target in ("own", "foreign"):
        site = world.sites[target]
        owner = world.users["zoe" if target == "foreign" else "owner"]
        document = services.document_upload(
            actor=owner, project=site.project, upload=_file("matrix.txt"),
            task=site.tasks["test"], subject="Matrix",
        )  # fmt: skip
        field = services.custom_field_create(
            actor=owner, project=site.project, key="site", name="Site", field_type="choice",
            choices=["Berlin", "Lisbon"],
        )  # fmt: skip
        services.task_custom_values_set(
            actor=owner, task=site.tasks["test"], values={"site": "Berlin"}, version=None
        )
        site.extra["document_id"] = document.pk
        site.extra["field_id"] = field.pk


def destroy_documents() -> None:
    for model in (Document, TaskCustomValues, CustomField):
        model.objects.all().delete()


def _file(name: str = "notes.txt", content: bytes = b"matrix notes") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def _document(c: Any) -> Document:
    return Document.objects.get(pk=c.site.extra["document_id"])


def _field(c: Any) -> CustomField:
    return CustomField.objects.get(pk=c.site.extra["field_id"])


def _values_version(c: Any) -> int:
    return TaskCustomValues.objects.get(task=c.site.tasks["test"]).version


def routes(
    V1: str, READ: Any, WRITE: Any, MANAGE: Any, Expect: Any, PAGE: dict[str, Any]
) -> dict[tuple[str, str], Any]:  # noqa: N803 - the matrix's own names
    """The table entries. Deleting a document is for managers or its uploader (the owner)."""
    P = f"{V1}/projects/{{key}}"  # noqa: N806
    D = f"{P}/documents/{{document_id}}"  # noqa: N806
    return {
        ("GET", f"{P}/documents"): READ(),
        ("POST", f"{P}/documents"): WRITE(201, body=lambda c: {"file": _file()}),
        ("GET", D): READ(),
        ("PATCH", D): WRITE(200, body=lambda c: {"version": _document(c).version, "subject": "Renamed"}),
        ("DELETE", D): MANAGE(204),
        ("POST", f"{D}/versions"): WRITE(201, body=lambda c: {
            "file": _file("v2.txt"), "version": _document(c).version}),
        ("GET", f"{D}/download"): READ(),
        ("GET", f"{P}/custom-fields"): READ(),
        ("POST", f"{P}/custom-fields"): MANAGE(201, body=lambda c: {"key": "vendor", "name": "Vendor"}),
        ("GET", f"{P}/custom-fields/suggestions"): READ(),
        ("POST", f"{P}/custom-fields/suggestions"): MANAGE(201, body=lambda c: {}),
        ("PATCH", f"{P}/custom-fields/{{field_id}}"): MANAGE(200, body=lambda c: {
            "version": _field(c).version, "name": "Location"}),
        ("DELETE", f"{P}/custom-fields/{{field_id}}"): MANAGE(204),
        ("GET", f"{P}/tasks/{{task_id}}/custom-fields"): READ(),
        ("PATCH", f"{P}/tasks/{{task_id}}/custom-fields"): WRITE(200, body=lambda c: {
            "version": _values_version(c), "values": {"site": "Lisbon"}}),
        # --- pages; refused forms redirect with the message and change nothing
        ("GET", "/projects/{key}/documents/"): READ(**PAGE),
        ("POST", "/projects/{key}/documents/"): WRITE(302, low=302, body=lambda c: {
            "file": _file(), "subject": "Paged"}, **PAGE),
        ("GET", "/projects/{key}/documents/{document_id}/download/"): READ(**PAGE),
        ("POST", "/projects/{key}/documents/{document_id}/versions/"): WRITE(302, low=302, body=lambda c: {
            "file": _file("v2.txt"), "version": _document(c).version}, **PAGE),
        ("POST", "/projects/{key}/documents/{document_id}/delete/"): MANAGE(302, low=302, **PAGE),
        ("GET", "/projects/{key}/fields/"): READ(**PAGE),
        ("POST", "/projects/{key}/fields/"): MANAGE(302, low=302, body=lambda c: {
            "key": "paged", "name": "Paged", "field_type": "text"}, **PAGE),
        ("POST", "/projects/{key}/fields/suggested/"): MANAGE(302, low=302, **PAGE),
        ("POST", "/projects/{key}/fields/{field_id}/"): MANAGE(302, low=302, body=lambda c: {
            "version": _field(c).version, "name": "Location", "action": "save", "position": "1"}, **PAGE),
        ("GET", "/projects/{key}/tasks/{task_id}/documents/"): READ(**PAGE),
        ("GET", "/projects/{key}/tasks/{task_id}/fields/row/"): READ(**PAGE),
        ("POST", "/projects/{key}/tasks/{task_id}/fields/"): WRITE(302, low=302, body=lambda c: {
            "version": _values_version(c), "cf_site": "Lisbon"}, **PAGE),
    }  # fmt: skip


def writes(V1: str) -> dict[tuple[str, str], Any]:  # noqa: N803
    """Mass-assignment: the model each JSON body writes to (uploads are multipart forms)."""
    P = f"{V1}/projects/{{key}}"  # noqa: N806
    return {
        ("PATCH", f"{P}/documents/{{document_id}}"): Document,
        ("POST", f"{P}/custom-fields"): CustomField,
        ("POST", f"{P}/custom-fields/suggestions"): CustomField,
        ("PATCH", f"{P}/custom-fields/{{field_id}}"): CustomField,
        ("PATCH", f"{P}/tasks/{{task_id}}/custom-fields"): TaskCustomValues,
    }
