"""Upload limits: size (413), count and type by content (422), hostile file names, and no
file written outside MEDIA_ROOT."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from itpm.core.errors import Invalid
from itpm.core.uploads import (
    DOCUMENT_TYPES,
    TABLE_TYPES,
    UploadTooLarge,
    check_upload,
    sanitize_filename,
)
from itpm.helpdesk.models import TicketAttachment
from itpm.helpdesk.services import ticket_create
from tests.conftest import api_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
ZIP = b"PK\x03\x04" + b"\x00" * 26

# Hostile names a client may send; each must become a plain name with no directory part.
HOSTILE_NAMES = [
    "../../etc/passwd.txt",
    "..\\..\\windows\\system32\\drivers.txt",
    "/etc/passwd.txt",
    "C:\\boot.txt",
    "notes.png\x00.txt",
    "\u2025\u2215\u2025\u2215secret.txt",  # two-dot leader and division slash
    "\uff0e\uff0e\uff0fescape.txt",  # fullwidth ../
    "..",
    ".",
    "....//....//deep.txt",
    "evil\u202etxt.exe.txt",  # right-to-left override
    "\u200bzero\u200bwidth.txt",
    "a" * 400 + ".txt",
    ".hidden.txt",
    "~/.ssh/authorized_keys.txt",
    "%2e%2e%2fencoded.txt",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_become_plain_names(name: str) -> None:
    safe = sanitize_filename(name)
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert ".." not in safe and not safe.startswith(".")
    assert safe not in ("", ".", "..") and len(safe) <= 150
    assert all(c.isprintable() for c in safe)
    assert "\u202e" not in safe and "\u200b" not in safe


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("run.exe", b"MZ\x90\x00", "file type .exe not allowed"),
        ("shot.png", b"MZ\x90\x00" + b"\x00" * 40, "not a .png file"),  # an executable renamed
        ("report.pdf", b"<html><script>alert(1)</script>", "not a .pdf file"),
        ("notes.txt", b"<svg onload=alert(1)>", "not a .txt file"),
        ("notes.txt", b"<!DOCTYPE html><p>", "not a .txt file"),
        ("data.csv", b"a,b\x00c", "not a .csv file"),
        ("data.csv", b"\xff\xfe\xfa bad utf-8", "not a .csv file"),
        ("sheet.xlsx", b"plain text", "not a .xlsx file"),
        ("noext", b"hello", "file type (none) not allowed"),
        ("empty.txt", b"", "is empty"),
    ],
)
def test_types_are_decided_by_content(name: str, content: bytes, problem: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_upload(
            SimpleUploadedFile(name, content), max_bytes=1024, allowed_types=DOCUMENT_TYPES
        )
    assert refused.value.status == 422 and problem in refused.value.detail
    assert refused.value.errors[0].field == "file"


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("shot.png", PNG, "image/png"),
        ("Report 2027 (final).pdf", PDF, "application/pdf"),
        ("book.xlsx", ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("data.csv", "name,cost\nKöln,3\n".encode(), "text/csv"),
        ("photo.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 10, "image/jpeg"),
    ],
)
def test_real_files_pass_and_keep_the_read_position(
    name: str, content: bytes, content_type: str
) -> None:
    upload = SimpleUploadedFile(name, content)
    safe = check_upload(upload, max_bytes=1024, allowed_types=DOCUMENT_TYPES)
    assert safe.content_type == content_type and safe.size == len(content)
    assert upload.read() == content


def test_a_file_over_the_size_limit_is_413() -> None:
    with pytest.raises(UploadTooLarge) as refused:
        check_upload(
            SimpleUploadedFile("big.csv", b"x" * 2049), max_bytes=2048, allowed_types=TABLE_TYPES
        )
    assert refused.value.status == 413 and "2048 bytes" in refused.value.detail


# ---------------------------------------------------------------- through the HTTP stack
@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """MEDIA_ROOT inside a fresh folder; files anywhere else in that folder are escapes."""
    settings.MEDIA_ROOT = tmp_path / "sandbox" / "media"
    settings.MEDIA_ROOT.mkdir(parents=True)
    return tmp_path


@pytest.fixture
def ticket(desk: dict[str, Any]) -> Any:
    return ticket_create(
        actor=desk["agent"], queue=desk["queue"], title="Printer", description="Jams"
    )


def _files_outside(root: Path, media_root: Path) -> list[str]:
    found = []
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder, name).resolve()
            if not path.is_relative_to(media_root.resolve()):
                found.append(str(path))
    return found


def test_hostile_names_write_no_file_outside_media_root(
    desk: dict[str, Any], ticket: Any, media: Path, settings: Any
) -> None:
    settings.ITPM_MAX_ATTACHMENTS = 100
    client = api_client(desk["agent"])
    url = f"/api/v1/tickets/{ticket.pk}/attachments"
    stored = []
    sent = [n for n in HOSTILE_NAMES if n.endswith(".txt")]  # "..", "." cannot even be sent
    for name in sent:
        answer = client.post(url, {"file": SimpleUploadedFile(name, b"plain text")})
        assert answer.status_code == 201, (name, answer.content)
        assert "/" not in answer.json()["name"] and ".." not in answer.json()["name"]
        stored.append(TicketAttachment.objects.get(pk=answer.json()["id"]).file.path)
    assert len(stored) == len(sent) >= 13
    assert _files_outside(media, settings.MEDIA_ROOT) == []
    for path in stored:
        assert Path(path).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
        assert Path(path).read_bytes() == b"plain text"
    assert not Path("/etc/passwd.txt").exists()


def test_the_api_answers_413_and_422_naming_the_file(
    desk: dict[str, Any], ticket: Any, media: Path, settings: Any
) -> None:
    client = api_client(desk["agent"])
    url = f"/api/v1/tickets/{ticket.pk}/attachments"
    settings.ITPM_MAX_UPLOAD_MB = 1
    big = client.post(url, {"file": SimpleUploadedFile("big.txt", b"x" * (1024 * 1024 + 1))})
    assert big.status_code == 413
    assert big.json()["errors"] == [{"field": "file", "message": "larger than 1 MB"}]
    fake = client.post(url, {"file": SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 evil")})
    assert fake.status_code == 422 and "not a .pdf file" in fake.json()["detail"]
    assert not TicketAttachment.objects.filter(ticket=ticket).exists()
    assert _files_outside(media, settings.MEDIA_ROOT) == []
    assert list(Path(settings.MEDIA_ROOT).rglob("*.*")) == []


def test_a_ticket_holds_at_most_the_configured_number_of_files(
    desk: dict[str, Any], ticket: Any, media: Path, settings: Any
) -> None:
    settings.ITPM_MAX_ATTACHMENTS = 2
    client = api_client(desk["agent"])
    url = f"/api/v1/tickets/{ticket.pk}/attachments"
    codes = [
        client.post(url, {"file": SimpleUploadedFile(f"n{i}.txt", b"note")}).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 422]
    assert TicketAttachment.objects.filter(ticket=ticket).count() == 2


def test_a_body_larger_than_any_upload_is_refused_unread(
    desk: dict[str, Any], ticket: Any, media: Path, settings: Any
) -> None:
    settings.ITPM_MAX_REQUEST_MB = 1
    client = api_client(desk["agent"])
    answer = client.post(
        f"/api/v1/tickets/{ticket.pk}/attachments",
        {"file": SimpleUploadedFile("huge.txt", b"y" * (2 * 1024 * 1024))},
    )
    assert answer.status_code == 413 and "larger than 1 MB" in answer.json()["detail"]
    page = api_client(desk["agent"]).post("/portal/new/", {"x": "y" * (2 * 1024 * 1024)})
    assert page.status_code == 413


def test_the_asset_import_checks_size_and_content(people: dict[str, Any], settings: Any) -> None:
    client = api_client(people["admin"])
    exe = client.post(
        "/api/v1/assets/import", {"file": SimpleUploadedFile("assets.csv", b"MZ\x00\x00\x90")}
    )
    assert exe.status_code == 422 and "not a .csv file" in exe.json()["detail"]
    not_a_book = client.post(
        "/api/v1/assets/import", {"file": SimpleUploadedFile("assets.xlsx", b"tag,name\n")}
    )
    assert not_a_book.status_code == 422
    settings.ITPM_MAX_IMPORT_MB = 1
    big = client.post(
        "/api/v1/assets/import",
        {"file": SimpleUploadedFile("assets.csv", b"tag,name\n" + b"a,b\n" * 300_000)},
    )
    assert big.status_code == 413
    ok = client.post(
        "/api/v1/assets/import",
        {"file": SimpleUploadedFile("../../assets.csv", b"tag,name,asset_type\nL-1,Laptop,laptop\n")},
    )  # fmt: skip
    assert ok.status_code == 200, ok.content
    assert ok.json()["ok"] is True
