"""Demo data of accounts: the demo people's addresses count as verified, so "Forgot your
password?" works on a demo install (the mail goes to the console backend)."""

from __future__ import annotations

from django.utils import timezone

from itpm.accounts.models import User


def load_accounts_demo(users: dict[str, User]) -> None:
    User.objects.filter(pk__in=[u.pk for u in users.values()]).exclude(email="").update(
        email_verified_at=timezone.now()
    )
