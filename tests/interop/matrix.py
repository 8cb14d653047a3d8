"""Expectations of the interop routes (task CSV/XLSX import and export, project archive)
for the permission matrix. Their write bodies are multipart uploads, which the
mass-assignment sweep leaves out (their fields are fixed), so there is no ``writes()``.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.interop import mspdi_matrix

CSV = b"Name,Duration,Predecessors\r\nMatrix A,2d,\r\nMatrix B,1d,1\r\n"


def _csv_upload(c: Any) -> dict[str, Any]:
    return {
        "file": SimpleUploadedFile("tasks.csv", CSV, content_type="text/csv"),
        "dry_run": "false",
    }


def _wizard_upload(c: Any) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("tasks.csv", CSV, content_type="text/csv")}


def _wizard_apply(c: Any) -> dict[str, Any]:
    """The form of the wizard's last step, with a token made for this actor and project."""
    from itpm.interop.views import TOKEN_SALT, UPLOAD_DIR

    user = c.world.users.get(c.actor)
    path = default_storage.save(f"{UPLOAD_DIR}/matrix.bin", ContentFile(CSV))
    token = signing.dumps({"path": path, "project": c.site.project.pk,
                           "user": getattr(user, "pk", None), "name": "tasks.csv"},
                          salt=TOKEN_SALT)  # fmt: skip
    return {"token": token, "col_0": "name", "col_1": "duration", "col_2": "predecessors",
            "action": "apply"}  # fmt: skip


def _archive_upload(c: Any) -> dict[str, Any]:
    from itpm.interop.archive import project_export_json

    data = project_export_json(actor=c.world.users["admin"], project=c.world.sites["own"].project)
    return {"file": SimpleUploadedFile("apl.json", data, content_type="application/json")}


def routes(
    V1: str, READ: Any, WRITE: Any, MANAGE: Any, Expect: Any, PAGE: dict[str, Any]
) -> dict[tuple[str, str], Any]:  # noqa: N803 - the matrix's own names
    P = f"{V1}/projects/{{key}}"  # noqa: N806
    return {
        **mspdi_matrix.routes(V1, READ, Expect, PAGE),
        ("POST", f"{P}/tasks/import"): MANAGE(200, body=_csv_upload),
        ("GET", f"{P}/tasks/export"): READ(),
        ("GET", f"{P}/archive/export"): MANAGE(200),
        ("POST", f"{V1}/projects/import"): Expect("authenticated", 201, body=_archive_upload),
        # --- pages
        ("GET", "/projects/{key}/import-export/"): READ(**PAGE),
        ("POST", "/projects/{key}/import-export/"): MANAGE(
            200, body=_wizard_upload, changes_data=False, **PAGE),
        ("POST", "/projects/{key}/import-export/check/"): MANAGE(302, body=_wizard_apply, **PAGE),
        ("GET", "/projects/{key}/export/tasks.csv"): READ(**PAGE),
        ("GET", "/projects/{key}/export/tasks.xlsx"): READ(**PAGE),
        ("GET", "/projects/{key}/export/archive.json"): MANAGE(200, **PAGE),
        ("GET", "/projects/import/"): Expect("authenticated", 200, **PAGE),
        ("POST", "/projects/import/"): Expect("authenticated", 302, body=_archive_upload, **PAGE),
    }  # fmt: skip
