"""Checks every uploaded file passes before any app stores or parses it.

``check_upload`` enforces size and type and returns a safe file name. The type is decided by
the file's content (its first bytes), not by the name or by the browser's content type: a
``.pdf`` that is really an HTML page, or an executable renamed ``.png``, is refused. Apps call
it from their services (help-desk attachments, asset imports, task attachments, imports).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from itpm.core.errors import FieldError, Invalid, ServiceError

# The number of bytes read to decide a file's type.
_SNIFF_BYTES = 8192
_MAX_NAME = 150


class UploadTooLarge(ServiceError):
    """The file is larger than the limit: HTTP 413 on the API."""

    status = 413


@dataclass(frozen=True)
class SafeName:
    """A file name with no directory parts, plus the type its content proved."""

    name: str
    extension: str
    content_type: str
    size: int

    def __str__(self) -> str:
        return self.name


_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
# Binary formats: the extension's content type and the magic numbers its content starts with.
_BINARY: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".zip": ("application/zip", _ZIP),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    ".odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
    ".msg": ("application/vnd.ms-outlook", _OLE),
    ".xls": ("application/vnd.ms-excel", _OLE),
    ".mpp": ("application/vnd.ms-project", _OLE),
}
# Text formats: the content must be UTF-8 text without NUL bytes.
_TEXT: dict[str, str] = {
    ".txt": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
    ".json": "application/json",
    ".xml": "application/xml",
    ".eml": "message/rfc822",
    ".md": "text/markdown",
}
# Text that a browser would run as a page or an image with scripts is never accepted, even in
# a .txt file: downloads are served as attachments with nosniff, but defence in depth is cheap.
_ACTIVE_TEXT = re.compile(rb"^\s*<(?:!doctype\s+html|html|script|svg)\b", re.IGNORECASE)

KNOWN_TYPES = frozenset(_BINARY) | frozenset(_TEXT) | {".webp"}
DOCUMENT_TYPES = frozenset(
    {".txt", ".log", ".csv", ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".json", ".xml",
     ".zip", ".eml", ".msg", ".docx", ".xlsx", ".pptx", ".odt", ".ods"}
)  # fmt: skip
TABLE_TYPES = frozenset({".csv", ".xlsx"})


def sanitize_filename(name: str) -> str:
    """A safe file name: no directories, no control or invisible characters, no leading dots.

    Unicode is normalized first (NFKC turns fullwidth ``．．／`` into ``../``), then every
    directory part is dropped (both slash kinds), then anything but letters, digits and
    ``. - _ ( )`` and spaces becomes ``_``. The result is never empty, ``.`` or ``..``.
    """
    name = unicodedata.normalize("NFKC", name or "")
    # NUL and other control or format characters (right-to-left override, zero width) go first,
    # so that "evil\u202egpj.exe" cannot pose as another extension.
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = PurePosixPath(name.replace("\\", "/")).name
    name = re.sub(r"[^\w.\- ()]+", "_", name, flags=re.UNICODE).strip(" ._")
    name = re.sub(r"\.{2,}", ".", name)
    stem, dot, ext = name.rpartition(".")
    if dot and len(name) > _MAX_NAME:
        name = stem[: _MAX_NAME - len(ext) - 1] + "." + ext
    return name[:_MAX_NAME] or "file"


def _head(file: Any) -> bytes:
    position = file.tell() if hasattr(file, "tell") else 0
    head = file.read(_SNIFF_BYTES)
    file.seek(position)
    return head if isinstance(head, bytes) else head.encode()


def _content_matches(extension: str, head: bytes) -> bool:
    if extension == ".webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension in _BINARY:
        return head.startswith(_BINARY[extension][1])
    if extension in _TEXT:
        if b"\x00" in head or _ACTIVE_TEXT.match(head):
            return False
        # The sniffed head may end inside a multi-byte character; ignore a cut-off tail.
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
        return True
    return False


def content_type_for(extension: str) -> str:
    if extension == ".webp":
        return "image/webp"
    if extension in _BINARY:
        return _BINARY[extension][0]
    return _TEXT.get(extension, "application/octet-stream")


def check_upload(
    file: Any, *, max_bytes: int, allowed_types: Iterable[str], field: str = "file"
) -> SafeName:
    """Check an uploaded file and return its safe name; raise before anything is stored.

    ``allowed_types`` are extensions (``".pdf"``, ``".csv"``). The file must be no larger than
    ``max_bytes`` (413), not empty, have an allowed extension and content that really is that
    type (422). The file's read position is left where it was.
    """
    allowed = {t.lower() if t.startswith(".") else "." + t.lower() for t in allowed_types}
    size = int(getattr(file, "size", None) or 0)
    if size > max_bytes:
        limit = (
            f"{max_bytes / (1024 * 1024):g} MB"
            if max_bytes % (1024 * 1024) == 0 or max_bytes >= 1024 * 1024
            else f"{max_bytes} bytes"
        )
        raise UploadTooLarge(
            f"{field}: larger than {limit}", [FieldError(field, f"larger than {limit}")]
        )
    name = sanitize_filename(getattr(file, "name", "") or "")
    extension = PurePosixPath(name).suffix.lower()
    if extension not in allowed:
        listed = ", ".join(sorted(allowed))
        raise Invalid.field(
            field, f"file type {extension or '(none)'} not allowed; allowed: {listed}"
        )
    head = _head(file)
    if size == 0 and not head:
        raise Invalid.field(field, "is empty")
    if not _content_matches(extension, head):
        raise Invalid.field(field, f"the content is not a {extension} file")
    return SafeName(
        name=name,
        extension=extension,
        content_type=content_type_for(extension),
        size=size or len(head),
    )
