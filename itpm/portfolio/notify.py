"""A thin shim kept for the lifecycle and help-desk callers: ``notify`` now goes through
``itpm.notifications.services.notification_send`` (in-app rows in the caller's transaction,
e-mail by a background job after commit, each person's preferences and digest respected).

The old ``portfolio.Notification`` table is no longer written (see docs/notifications.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from itpm.accounts.models import User


def notify(
    *,
    users: Iterable[User | None],
    text: str,
    url: str = "",
    email: bool = True,
    kind: str = "request",
    project: Any = None,
    actor: User | None = None,
    dedupe_key: str = "",
) -> int:
    """Notify each distinct active user (``kind`` is one of ``notifications.models.Kind``)."""
    from itpm.notifications.services import notification_send

    return len(
        notification_send(
            recipients=users,
            kind=kind,
            text=text,
            url=url,
            project=project,
            actor=actor,
            dedupe_key=dedupe_key,
            email=email,
        )  # fmt: skip
    )
