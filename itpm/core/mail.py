"""Stable ``Message-ID`` headers for the mail itpm sends per event.

SMTP has no two-phase commit: a worker killed after the mail server accepted a message and
before its transaction recorded that sends the message again when the job reruns. That
cannot be prevented, so it is made harmless the way mail systems do it: the rerun sends the
*same* ``Message-ID``, and receiving servers and mail clients drop a message whose id they
already hold. Django's ``make_msgid`` is random (and names the sending machine), so each
mail of an event gets its id from the event instead.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from django.conf import settings


def _host() -> str:
    # The site's own name, not the worker machine's (``make_msgid`` uses the latter): a job
    # rerun on another worker must produce the same id.
    host = urlsplit(settings.ITPM_BASE_URL).hostname or ""
    return host or "itpm.invalid"


def stable_message_id(*, kind: str, key: str, seed: str = "") -> str:
    """``<itpm.{kind}.{key}.{hash}@{host}>``, the same every time for the same arguments.

    ``key`` names the event (a primary key, a user and a date); ``seed`` is what else tells
    this event apart from another one with the same key (for example its creation time, so
    a database restored or reset and reusing primary keys does not reuse ids).
    """
    digest = hashlib.sha256(f"{kind}\x1f{key}\x1f{seed}".encode()).hexdigest()[:16]
    return f"<itpm.{kind}.{key}.{digest}@{_host()}>"
