"""Small files of each kind, made in code (no fixtures on disk)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from itpm.documents.samples import pdf_bytes, png_bytes

__all__ = ["pdf_bytes", "png_bytes", "upload"]


def upload(
    name: str, content: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
