"""``@username`` mentions in comments and task descriptions.

A mention notifies the named person only if they can see the project at that moment; a
mention of anyone else (an outsider, a mistyped name) does nothing and says nothing, so a
comment cannot be used to learn who exists or to leak project text to outsiders.
"""

from __future__ import annotations

import re
from typing import Any

from itpm.accounts.models import User
from itpm.accounts.permissions import visible_projects
from itpm.notifications.models import Kind, Notification
from itpm.notifications.services import notification_send

# "@mia", "@j.doe", "(@mia)"; not "mia@example.com" (a letter, digit or dot before the @).
MENTION = re.compile(r"(?<![\w@.])@([\w.+-]*\w)")


def can_see(user: User, project: Any) -> bool:
    """Whether ``user`` may see ``project`` now (notices quote project text)."""
    return visible_projects(user).filter(pk=project.pk).exists()


def mentioned_usernames(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(1) for m in MENTION.finditer(text or "")))


def mentioned_users(text: str, project: Any) -> list[User]:
    """The active people ``text`` mentions who can see ``project``."""
    names = mentioned_usernames(text)
    if not names:
        return []
    people = User.objects.filter(username__in=names, is_active=True)
    return [u for u in people if can_see(u, project)]


def mentions_notify(
    *, text: str, project: Any, actor: User | None, what: str, url: str, dedupe_key: str
) -> list[Notification]:
    """Notify everyone ``text`` mentions (once per ``dedupe_key``: an edit re-notifies nobody
    who was told already, but does tell a newly mentioned person)."""
    people = [u for u in mentioned_users(text, project) if actor is None or u.pk != actor.pk]
    who = actor.display_name if actor is not None else "Someone"
    return notification_send(
        recipients=people, kind=Kind.MENTION, text=f"{who} mentioned you in {what}",
        url=url, project=project, actor=actor, dedupe_key=dedupe_key,
    )  # fmt: skip
