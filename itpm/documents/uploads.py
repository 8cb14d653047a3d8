"""The document upload check: ``itpm.core.uploads.check_upload`` (size, type by content,
safe name) with the document settings, after refusing a name that still carries a path.

Django's multipart parser already cuts a browser's path down to the base name; a name that
still holds ``/``, ``\\`` or ``..`` here came from a direct call (an import, a script) and is
refused rather than silently renamed.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings

from itpm.core.errors import Invalid
from itpm.core.uploads import SafeName, check_upload

_PATH_PART = re.compile(r"[\\/\x00]|(^|[\\/])\.\.($|[\\/])")


def check_document(file: Any, *, field: str = "file") -> SafeName:
    """Refuse a missing, oversized (413), unlisted, mislabelled or path-carrying file."""
    if file is None:
        raise Invalid.field(field, "required: choose a file")
    if _PATH_PART.search(str(getattr(file, "name", "") or "")):
        raise Invalid.field(field, "the file name must not contain a path")
    return check_upload(
        file,
        max_bytes=settings.ITPM_DOCUMENT_MAX_MB * 1024 * 1024,
        allowed_types=settings.ITPM_DOCUMENT_TYPES,
        field=field,
    )
