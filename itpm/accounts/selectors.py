"""Reads of users and teams."""

from __future__ import annotations

from itpm.accounts.models import User
from itpm.core.errors import Invalid


def user_by_username(username: str, *, field: str) -> User:
    """The active user called ``username``; a 422 naming ``field`` otherwise."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Invalid.field(field, f"no user called {username!r}")
    return user


def users_by_username(usernames: list[str], *, field: str) -> list[User]:
    found = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
    missing = [name for name in usernames if name not in found]
    if missing:
        raise Invalid.field(field, f"no user called {missing[0]!r}")
    return [found[name] for name in dict.fromkeys(usernames)]
