"""Documents: upload limits and sniffing, safe storage paths, versions, download rights,
delete rights, audit, and the Documents tab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils.text import get_valid_filename

from itpm.core.errors import Invalid
from itpm.core.models import AuditEvent
from itpm.documents import services
from itpm.documents.models import Document, DocumentVersion
from tests.documents.files import pdf_bytes, png_bytes, upload

V1 = "/api/v1"


def _post(client: Client, key: str, name: str, content: bytes, **extra: Any) -> Any:
    return client.post(f"{V1}/projects/{key}/documents", {"file": upload(name, content), **extra})


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_member_uploads_and_the_file_is_stored_under_the_project(
    api: Any, project: Any, tasks: dict[str, Any], _media_root: Path
) -> None:
    response = _post(api("member"), "APL", "diagram.pdf", pdf_bytes(), task=tasks["code"].pk,
                     subject="Cabling plan")  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "diagram.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["task"] == tasks["code"].pk and body["subject"] == "Cabling plan"
    assert body["created_by"] == "mia" and body["versions"][0]["number"] == 1
    (stored,) = _files(_media_root)
    relative = stored.relative_to(_media_root).parts
    assert relative[:2] == ("projects", str(project.pk))
    assert len(relative) == 4 and len(relative[2]) == 32 and relative[3] == "diagram.pdf"
    event = AuditEvent.objects.get(action="document.upload")
    assert event.project == project and event.changes["name"] == [None, "diagram.pdf"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"", "empty"),
        ("setup.exe", b"MZ\x90\x00", "not allowed"),
        ("page.html", b"<html><script>alert(1)</script></html>", "not allowed"),
        ("image.svg", b"<svg onload=alert(1)>", "not allowed"),
        ("report.pdf", b"<html><script>alert(1)</script></html>", "not a .pdf"),
        ("notes.txt", b"<!DOCTYPE html><script>alert(1)</script>", "not a .txt"),
        ("photo.png", b"%PDF-1.4 not a png", "not a .png"),
        ("notes.txt", b"\x00\x01\x02binary", "not a .txt"),
        ("sheet.xlsx", b"plain text pretending", "not a .xlsx"),
        ("noextension", b"hello", "not allowed"),
    ],
)
def test_bad_files_are_refused_naming_the_file_field(
    api: Any, project: Any, _media_root: Path, name: str, content: bytes, message: str
) -> None:
    response = _post(api("member"), "APL", name, content)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "file"
    assert message in response.json()["detail"]
    assert not Document.objects.exists() and _files(_media_root) == []


def test_size_and_count_limits_come_from_settings(
    api: Any, project: Any, settings: Any, _media_root: Path
) -> None:
    settings.ITPM_DOCUMENT_MAX_MB = 1
    big = b"a" * (1024 * 1024 + 1)
    response = _post(api("member"), "APL", "big.txt", big)
    assert response.status_code == 413 and "larger than 1 MB" in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "file"
    assert _post(api("member"), "APL", "ok.txt", b"a" * (1024 * 1024)).status_code == 201
    settings.ITPM_DOCUMENT_MAX_PER_PROJECT = 1
    response = _post(api("member"), "APL", "two.txt", b"second")
    assert response.status_code == 422 and "already holds 1 documents" in response.json()["detail"]
    assert Document.objects.count() == 1 and len(_files(_media_root)) == 1


def test_a_type_outside_the_setting_is_refused(api: Any, project: Any, settings: Any) -> None:
    settings.ITPM_DOCUMENT_TYPES = ["pdf"]
    response = _post(api("member"), "APL", "notes.txt", b"hello")
    assert response.status_code == 422 and "allowed: .pdf" in response.json()["detail"]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.txt", "win.txt"),
        ("/abs/path/notes.txt", "notes.txt"),
        ("...hidden.txt", "hidden.txt"),
        ("<img src=x onerror=alert(1)>.txt", "img src_x onerror_alert(1)_.txt"),
        ("report..pdf.txt", "report.pdf.txt"),
    ],
)
def test_path_parts_of_a_file_name_never_reach_the_disk(
    api: Any, project: Any, _media_root: Path, sent: str, stored: str
) -> None:
    response = _post(api("member"), "APL", sent, b"text")
    assert response.status_code == 201, response.content
    assert response.json()["name"] == stored
    (path,) = _files(_media_root)
    assert path.resolve().is_relative_to((_media_root / "projects" / str(project.pk)).resolve())
    assert path.name == get_valid_filename(stored)  # the storage's own safe spelling


class _NamedFile:
    """An upload whose name still has its path (a direct call, not through Django's parser)."""

    def __init__(self, name: str, content: bytes) -> None:
        self.name, self.size, self._content = name, len(content), content

    def seek(self, offset: int) -> None:
        pass

    def read(self, size: int = -1) -> bytes:
        return self._content


def test_a_traversal_name_is_refused_by_the_service(people: dict[str, Any], project: Any) -> None:
    with pytest.raises(Invalid) as refused:
        services.document_upload(
            actor=people["member"], project=project, upload=_NamedFile("../../x.txt", b"hi")
        )
    assert refused.value.errors[0].field == "file"


def test_download_needs_a_project_viewer(api: Any, project: Any, foreign_project: Any) -> None:
    document_id = _post(api("member"), "APL", "notes.txt", b"secret plan").json()["id"]
    url = f"{V1}/projects/APL/documents/{document_id}/download"
    response = api("viewer").get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"secret plan"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="notes.txt"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].startswith("text/plain")
    for path in (url, f"{V1}/projects/APL/documents/{document_id}", f"{V1}/projects/APL/documents"):
        assert api("outsider").get(path).status_code == 404
        assert api(None).get(path).status_code == 401
    # The outsider's own project does not reach APL's document either.
    other = f"{V1}/projects/ZED/documents/{document_id}/download"
    assert api("outsider").get(other).status_code == 404


def test_the_page_download_is_permission_checked_too(
    client: Client, people: dict[str, Any], api: Any, project: Any
) -> None:
    document_id = _post(api("member"), "APL", "notes.txt", b"secret").json()["id"]
    url = f"/projects/APL/documents/{document_id}/download/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(people["outsider"])
    assert client.get(url).status_code == 404
    client.force_login(people["viewer"])
    response = client.get(url)
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_viewer_may_not_upload(api: Any, project: Any) -> None:
    assert _post(api("viewer"), "APL", "notes.txt", b"x").status_code == 403
    assert _post(api("outsider"), "APL", "notes.txt", b"x").status_code == 404
    assert not Document.objects.exists()


def test_a_new_version_keeps_the_old_one(api: Any, project: Any, _media_root: Path) -> None:
    first = _post(api("member"), "APL", "plan.txt", b"version one").json()
    url = f"{V1}/projects/APL/documents/{first['id']}"
    response = api("manager").post(
        f"{url}/versions",
        {"file": upload("plan-v2.txt", b"version two"), "version": first["version"]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [v["number"] for v in body["versions"]] == [2, 1]
    assert body["name"] == "plan-v2.txt" and body["version"] == first["version"] + 1
    current = api("viewer").get(f"{url}/download")
    old = api("viewer").get(f"{url}/download?version=1")
    assert b"".join(current.streaming_content) == b"version two"
    assert b"".join(old.streaming_content) == b"version one"
    assert api("viewer").get(f"{url}/download?version=9").status_code == 404
    assert len(_files(_media_root)) == 2
    assert AuditEvent.objects.filter(action="document.version").count() == 1


def test_a_stale_new_version_is_a_409_and_leaves_no_file(
    api: Any, project: Any, _media_root: Path
) -> None:
    first = _post(api("member"), "APL", "plan.txt", b"one").json()
    url = f"{V1}/projects/APL/documents/{first['id']}/versions"
    assert (
        api("member").post(url, {"file": upload("b.txt", b"two"), "version": 1}).status_code == 201
    )
    response = api("member").post(url, {"file": upload("c.txt", b"three"), "version": 1})
    assert response.status_code == 409
    assert DocumentVersion.objects.count() == 2 and len(_files(_media_root)) == 2


def test_patch_moves_a_document_to_a_task_and_a_stale_patch_is_409(
    api: Any, project: Any, tasks: dict[str, Any]
) -> None:
    doc = _post(api("member"), "APL", "plan.txt", b"one").json()
    url = f"{V1}/projects/APL/documents/{doc['id']}"
    response = api("member").patch(url, {"version": doc["version"], "task": tasks["design"].pk,
                                          "subject": "Design review"}, content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and response.json()["task"] == tasks["design"].pk
    stale = api("member").patch(url, {"version": doc["version"], "subject": "x"},
                                content_type="application/json")  # fmt: skip
    assert stale.status_code == 409
    assert Document.objects.get().subject == "Design review"


def test_delete_is_for_managers_and_the_uploader(
    api: Any,
    project: Any,
    people: dict[str, Any],
    _media_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from itpm.accounts.models import Role
    from itpm.accounts.services import membership_set
    from tests.conftest import _user

    other = _user("otto")
    membership_set(actor=people["owner"], project=project, user=other, role=Role.MEMBER)
    mine = _post(api("member"), "APL", "mine.txt", b"mine").json()["id"]
    theirs = _post(api("manager"), "APL", "theirs.txt", b"theirs").json()["id"]
    from tests.conftest import api_client

    assert api_client(other).delete(f"{V1}/projects/APL/documents/{mine}").status_code == 403
    assert api("viewer").delete(f"{V1}/projects/APL/documents/{mine}").status_code == 403
    assert api("member").delete(f"{V1}/projects/APL/documents/{theirs}").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert api("member").delete(f"{V1}/projects/APL/documents/{mine}").status_code == 204
        assert api("manager").delete(f"{V1}/projects/APL/documents/{theirs}").status_code == 204
    assert not Document.objects.exists() and _files(_media_root) == []
    assert AuditEvent.objects.filter(action="document.delete").count() == 2


def test_the_documents_tab_uploads_with_htmx_and_escapes_names(
    client: Client, people: dict[str, Any], project: Any, tasks: dict[str, Any]
) -> None:
    client.force_login(people["member"])
    response = client.post(
        "/projects/APL/documents/",
        {"file": upload("site.png", png_bytes()), "subject": "<script>alert(1)</script>",
         "task": tasks["code"].pk},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="documents"' in html and "site.png" in html and "Document uploaded." in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    page = client.get("/projects/APL/documents/").content.decode()
    assert "site.png" in page and "image/png" in page and "mia" in page
    assert "<script>alert(1)</script>" not in page
    task_page = client.get(f"/projects/APL/tasks/{tasks['code'].pk}/documents/").content.decode()
    assert "site.png" in task_page


def test_a_refused_page_upload_shows_the_reason(
    client: Client, people: dict[str, Any], project: Any
) -> None:
    client.force_login(people["member"])
    response = client.post("/projects/APL/documents/", {"file": upload("x.pdf", b"nope")},
                           follow=True)  # fmt: skip
    assert "the content is not a .pdf file" in response.content.decode()
    assert not Document.objects.exists()
